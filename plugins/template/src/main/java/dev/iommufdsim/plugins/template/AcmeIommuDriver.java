package dev.iommufdsim.plugins.template;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DriverOptions;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.pf4j.Extension;

/**
 * The ACME IOMMU, a fictional IOMMU: every device behind it has one reserved region (the
 * unit's scratch window, which the hardware itself writes to and which must never be handed
 * out as IOVA), and paging domains of 4 KiB and 2 MiB pages over a {@code aperture_bits}-bit
 * aperture. It has no hw_info, no dirty tracking, no nesting.
 *
 * <p>The {@link IommuDriver} is what scripts name: {@code iommu acme0 = acme_iommu(...)}. It
 * is a PF4J {@link Extension}, created once per loaded plugin and shared by every machine, so
 * it keeps no state: all state lives in the instances {@link #probe} returns.
 *
 * <p>Instance options: {@code aperture_bits} (32..57, default 39), {@code scratch_base}
 * (default 0xfd000000) and {@code scratch_length} (default 1 MiB).
 */
@Extension
public class AcmeIommuDriver implements IommuDriver {
    public static final long DEFAULT_SCRATCH_BASE = 0xfd000000L;
    public static final long DEFAULT_SCRATCH_LENGTH = 0x100000L;
    /** The options probe accepts, each with a line for `help acme_iommu` (IommuDriver#options). */
    static final Map<String, String> OPTION_HELP = DriverOptions.described(
            "aperture_bits", "width of the paging domains' aperture, 32..57 (default 39)",
            "scratch_base", "start of the scratch window the hardware writes to (default 0xfd000000)",
            "scratch_length", "length of the scratch window (default 1M)");
    static final Set<String> OPTIONS = OPTION_HELP.keySet();

    @Override
    public String name() {
        return "acme_iommu";
    }

    @Override
    public String description() {
        return "the ACME IOMMU (a fictional example: one reserved scratch window, 4K/2M pages)";
    }

    @Override
    public Map<String, String> options() {
        return OPTION_HELP;
    }

    /**
     * Models the driver's probe: validate the declaration's options (a wrong name or value is
     * EINVAL, the errno {@link IommuDriver#probe} documents) and create the instance.
     */
    @Override
    public IommuInstance probe(String instanceName, Map<String, Object> properties) {
        for (String key : properties.keySet()) {
            if (!OPTIONS.contains(key)) {
                throw fail(EINVAL, "acme_iommu %s: unknown option '%s' (known: %s)", instanceName, key, new TreeSet<>(OPTIONS));
            }
        }
        long bits = number(instanceName, properties, "aperture_bits", 39);
        if (bits < 32 || bits > 57) {
            throw fail(EINVAL, "acme_iommu %s: aperture_bits must be 32..57, not %d", instanceName, bits);
        }
        long base = number(instanceName, properties, "scratch_base", DEFAULT_SCRATCH_BASE);
        long length = number(instanceName, properties, "scratch_length", DEFAULT_SCRATCH_LENGTH);
        if (length == 0) {
            throw fail(EINVAL, "acme_iommu %s: scratch_length must not be 0", instanceName);
        }
        return new AcmeIommuInstance(this, (int) bits, base, length);
    }

    private static long number(String instance, Map<String, Object> props, String key, long dflt) {
        Object v = props.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Number n)) {
            throw fail(EINVAL, "acme_iommu %s: option '%s' must be a number, not %s", instance, key, v);
        }
        return n.longValue();
    }
}
