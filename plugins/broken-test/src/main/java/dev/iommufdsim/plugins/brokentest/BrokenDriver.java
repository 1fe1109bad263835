package dev.iommufdsim.plugins.brokentest;

import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import java.util.Map;
import org.pf4j.Extension;

/**
 * "broken": a driver that works like a plain IOMMU (no reserved regions, a 48-bit aperture,
 * 4 KiB pages) until told to misbehave in one hook. Instance options {@code hook} and
 * {@code mode} make it misbehave from the start; {@link BrokenInstance#misbehave} (reached by
 * reflection from the tests) arms it later, after devices were declared and bound.
 *
 * <p>Hooks: probe, get_resv_regions, capable, domain_alloc_paging_flags, attach_dev, hw_info.
 * Modes: {@code throw} (IllegalStateException), {@code recurse} (StackOverflowError),
 * {@code linkage} (NoClassDefFoundError), {@code assert} (AssertionError), {@code null};
 * for get_resv_regions also {@code overlap} (two overlapping RESERVED regions),
 * {@code two_sw_msi}, {@code zero_length}, {@code wrap}; for domain_alloc_paging_flags also
 * {@code empty_pgsize} and {@code bad_aperture}. Mode {@code loop} never returns: it spins,
 * deaf to interrupts, until {@link BrokenInstance#misbehave} changes the mode or
 * {@link #releaseLoops()} is called (so that a test can stop the spinning thread its host
 * abandoned; the host must not wait for it).
 */
@Extension
public class BrokenDriver implements IommuDriver {
    @Override
    public String name() {
        return "broken";
    }

    @Override
    public String description() {
        return "a deliberately broken driver for the containment tests";
    }

    /** Ends every {@code loop} of this plugin, now and later (reached by reflection from the tests). */
    public void releaseLoops() {
        BrokenInstance.released = true;
    }

    @Override
    public IommuInstance probe(String instanceName, Map<String, Object> properties) {
        String hook = String.valueOf(properties.getOrDefault("hook", "none"));
        String mode = String.valueOf(properties.getOrDefault("mode", "throw"));
        BrokenInstance inst = new BrokenInstance(this);
        inst.misbehave(hook, mode);
        inst.fail("probe");
        return inst;
    }
}
