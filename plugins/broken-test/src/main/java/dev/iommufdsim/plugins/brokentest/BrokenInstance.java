package dev.iommufdsim.plugins.brokentest;

import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import java.util.ArrayList;
import java.util.List;

/** One instance of the broken driver; see {@link BrokenDriver} for the hooks and modes. */
public final class BrokenInstance implements IommuInstance {
    private final IommuDriver driver;
    // volatile: a test heals an instance that is looping on another thread
    private volatile String hook = "none";
    private volatile String mode = "throw";

    BrokenInstance(IommuDriver driver) {
        this.driver = driver;
    }

    /** From now on, misbehave in {@code hook} the way {@code mode} says ("none" heals it). */
    public void misbehave(String hook, String mode) {
        this.hook = hook;
        this.mode = mode;
    }

    /** Throws as the armed mode says when {@code name} is the armed hook; returns whether to return null. */
    boolean fail(String name) {
        if (!hook.equals(name)) {
            return false;
        }
        switch (mode) {
            case "throw":
                throw new IllegalStateException("deliberate bug in " + name);
            case "recurse":
                return recurse(0) > 0;
            case "linkage":
                throw new NoClassDefFoundError("dev/iommufdsim/plugins/brokentest/Missing");
            case "assert":
                throw new AssertionError("deliberate assertion in " + name);
            case "null":
                return true;
            case "loop":
                loop(name);
                return false;
            default:
                return false;
        }
    }

    /** Set by {@link BrokenDriver#releaseLoops()}: every loop of this plugin ends. */
    static volatile boolean released;

    /**
     * Spins, deaf to interrupts, until the instance is told to behave otherwise (misbehave, from
     * another thread) or the driver releases all loops (for a loop in probe, whose instance nobody holds).
     */
    private void loop(String name) {
        while (hook.equals(name) && mode.equals("loop") && !released) {
            Thread.onSpinWait();
        }
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    @Override
    public IommuDriver driver() {
        return driver;
    }

    @Override
    public List<ResvRegion> getResvRegions(DeviceInfo dev) {
        if (fail("get_resv_regions")) {
            return null;
        }
        List<ResvRegion> out = new ArrayList<>();
        if (hook.equals("get_resv_regions")) {
            switch (mode) {
                case "overlap" -> {
                    out.add(new ResvRegion(0x10000000L, 0x2000, 0, ResvType.RESERVED, "broken A"));
                    out.add(new ResvRegion(0x10001000L, 0x2000, 0, ResvType.RESERVED, "broken B"));
                }
                case "two_sw_msi" -> {
                    out.add(new ResvRegion(0x8000000L, 0x100000, 0, ResvType.SW_MSI, "broken SW_MSI 1"));
                    out.add(new ResvRegion(0x9000000L, 0x100000, 0, ResvType.SW_MSI, "broken SW_MSI 2"));
                }
                case "zero_length" -> out.add(new ResvRegion(0x10000000L, 0, 0, ResvType.RESERVED, "broken empty"));
                case "wrap" -> out.add(new ResvRegion(-0x1000L, 0x2000, 0, ResvType.RESERVED, "broken wrap"));
                default -> {
                }
            }
        }
        return out;
    }

    @Override
    public DeviceCaps capabilities(DeviceInfo dev) {
        if (fail("capable")) {
            return null;
        }
        return new DeviceCaps(true, false, false, 0, true);
    }

    @Override
    public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
        if (fail("domain_alloc_paging_flags")) {
            return null;
        }
        if (hook.equals("domain_alloc_paging_flags") && mode.equals("empty_pgsize")) {
            return new PagingDomain(0, (1L << 48) - 1, 0, false, null);
        }
        if (hook.equals("domain_alloc_paging_flags") && mode.equals("bad_aperture")) {
            return new PagingDomain(0x2000, 0x1000, 4096, false, null);
        }
        return new PagingDomain(0, (1L << 48) - 1, 4096, false, null);
    }

    @Override
    public void attachDev(PagingDomain domain, DeviceInfo dev) {
        fail("attach_dev");
    }

    @Override
    public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
        if (fail("hw_info")) {
            return null;
        }
        return null;
    }
}
