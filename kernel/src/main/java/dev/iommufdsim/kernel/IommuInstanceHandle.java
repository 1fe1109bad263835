package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;

import dev.iommufdsim.kernel.spi.DeviceAccess;
import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.DirtyBitmap;
import dev.iommufdsim.kernel.spi.DmaFault;
import dev.iommufdsim.kernel.spi.DmaFaultEvent;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.Viommu;
import dev.iommufdsim.kernel.spi.PageRequest;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * One declared IOMMU instance as the kernel holds it (struct iommu_device): the driver's
 * {@link IommuInstance} behind a boundary that contains the plugin. Every call into driver
 * code goes through here, so a driver that throws something other than an errno, or returns
 * malformed data, fails the uAPI call with the plugin named and changes no state; a call
 * that does not return can be abandoned by the host ({@link DriverCallWatch}), and a
 * disabled plugin is not called at all ({@link PluginStatus}).
 */
public final class IommuInstanceHandle {
    private final String name;
    private final PluginStatus plugin;
    private final String pluginId;
    private final String driverName;
    private final IommuInstance ops;

    IommuInstanceHandle(String name, PluginStatus plugin, String driverName, IommuInstance ops) {
        this.name = name;
        this.plugin = plugin;
        this.pluginId = plugin.pluginId();
        this.driverName = driverName;
        this.ops = ops;
    }

    /** The instance's name in the machine ("smmu0"). */
    public String name() {
        return name;
    }

    /** The plugin that provides the driver (its PF4J plugin id, or "builtin"). */
    public String pluginId() {
        return pluginId;
    }

    /** The driver's name ("arm_smmuv3"), as registered. */
    public String driverName() {
        return driverName;
    }

    /** Same driver (the kernel compares iommu_ops pointers: domain->owner != ops). */
    boolean sameDriver(IommuInstanceHandle other) {
        return ops.driver().getClass() == other.ops.driver().getClass()
                && driverName().equals(other.driverName());
    }

    /** iommu_get_resv_regions(dev), validated: no zero length, no wrap, at most one SW_MSI. */
    public List<ResvRegion> getResvRegions(DeviceInfo dev) {
        List<ResvRegion> regions = contain("get_resv_regions", () -> ops.getResvRegions(dev));
        if (regions == null) {
            return List.of();
        }
        List<ResvRegion> sorted = new ArrayList<>(regions);
        int swMsi = 0;
        for (ResvRegion r : sorted) {
            if (r == null || r.type() == null) {
                throw malformed("get_resv_regions", "returned a null region or type");
            }
            if (r.length() == 0) {
                throw malformed("get_resv_regions", String.format("returned %s region at 0x%x with length 0", r.type(), r.start()));
            }
            if (Long.compareUnsigned(r.start() + r.length() - 1, r.start()) < 0) {
                throw malformed("get_resv_regions", String.format("returned %s region 0x%x + 0x%x that wraps past 2^64", r.type(), r.start(), r.length()));
            }
            if (r.type() == ResvType.SW_MSI) {
                swMsi++;
            }
        }
        if (swMsi > 1) {
            throw malformed("get_resv_regions", "returned " + swMsi + " SW_MSI windows for " + dev.name() + " (at most one)");
        }
        sorted.sort(Comparator.comparingLong(ResvRegion::start).thenComparing(ResvRegion::type));
        for (int i = 1; i < sorted.size(); i++) {
            ResvRegion a = sorted.get(i - 1);
            ResvRegion b = sorted.get(i);
            if (a.type() == b.type() && Long.compareUnsigned(b.start(), a.last()) <= 0) {
                throw malformed("get_resv_regions", String.format(
                        "returned overlapping %s regions 0x%x-0x%x and 0x%x-0x%x for %s",
                        a.type(), a.start(), a.last(), b.start(), b.last(), dev.name()));
            }
        }
        return sorted;
    }

    /** iommu_ops.capable and dev->iommu facts. */
    public DeviceCaps capabilities(DeviceInfo dev) {
        DeviceCaps caps = contain("capable", () -> ops.capabilities(dev));
        if (caps == null) {
            throw malformed("capable", "returned no capabilities");
        }
        return caps;
    }

    /** domain_alloc_paging_flags, validated: a page-size bitmap and a non-empty aperture. */
    PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
        FailNth.step("driver domain_alloc_paging_flags");
        PagingDomain d = contain("domain_alloc_paging_flags", () -> ops.domainAllocPagingFlags(dev, flags, dataType, data));
        if (d == null) {
            throw malformed("domain_alloc_paging_flags", "returned no domain");
        }
        if (d.pgsizeBitmap() == 0) {
            throw malformed("domain_alloc_paging_flags", "returned a domain with an empty pgsize_bitmap");
        }
        if (Long.compareUnsigned(d.apertureStart(), d.apertureEnd()) > 0) {
            throw malformed("domain_alloc_paging_flags", String.format("returned aperture 0x%x-0x%x (start after end)", d.apertureStart(), d.apertureEnd()));
        }
        return d;
    }

    void attachDev(PagingDomain domain, DeviceInfo dev) {
        FailNth.step("driver attach_dev");
        contain("attach_dev", () -> {
            ops.attachDev(domain, dev);
            return null;
        });
    }

    /** iommu_domain_ops.enforce_cache_coherency (IommuInstance.enforceCacheCoherency). */
    boolean enforceCacheCoherency(PagingDomain domain) {
        return contain("enforce_cache_coherency", () -> ops.enforceCacheCoherency(domain));
    }

    /** map_pages' refusal of an area before anything is mapped (IommuInstance.checkMap). */
    void checkMap(PagingDomain domain, long iova, long length, int prot) {
        contain("map_pages", () -> {
            ops.checkMap(domain, iova, length, prot);
            return null;
        });
    }

    /** hw_info, or null when the driver has none. */
    HwInfo hwInfo(DeviceInfo dev, int requestedType) {
        return contain("hw_info", () -> ops.hwInfo(dev, requestedType));
    }

    boolean hasDomainAllocNested() {
        return contain("domain_alloc_nested", ops::hasDomainAllocNested);
    }

    NestedDomain domainAllocNested(DeviceInfo dev, PagingDomain parent, int flags, int dataType, byte[] data) {
        FailNth.step("driver domain_alloc_nested");
        NestedDomain d = contain("domain_alloc_nested", () -> ops.domainAllocNested(dev, parent, flags, dataType, data));
        if (d == null) {
            throw malformed("domain_alloc_nested", "returned no domain");
        }
        return d;
    }

    boolean viommuSupported(DeviceInfo dev, int type) {
        return contain("get_viommu_size", () -> ops.viommuSupported(dev, type));
    }

    Viommu viommuInit(int type, PagingDomain parent, DeviceInfo dev, byte[] data, dev.iommufdsim.kernel.spi.ViommuContext ctx) {
        FailNth.step("driver viommu_init");
        Viommu v = contain("viommu_init", () -> ops.viommuInit(type, parent, dev, data, ctx));
        if (v == null) {
            throw new IommufdException(EOPNOTSUPP,
                    String.format("driver plugin '%s' (%s) viommu_init filled no ops", pluginId, driverName()));
        }
        return v;
    }

    void viommuDestroy(Viommu v) {
        tryRun("viommu destroy", v::destroy);
    }

    /** viommu_ops->get_hw_queue_size (and hw_queue_init_phys present) for a queue type. */
    boolean hwQueueSupported(Viommu v, int queueType) {
        return contain("get_hw_queue_size", () -> v.hwQueueSupported(queueType));
    }

    /** viommu_ops->hw_queue_init_phys; a driver that returns no queue is a plugin bug (EIO). */
    dev.iommufdsim.kernel.spi.HwQueue hwQueueInitPhys(Viommu v, dev.iommufdsim.kernel.spi.HwQueueContext q, int index, long basePa) {
        FailNth.step("driver hw_queue_init_phys");
        dev.iommufdsim.kernel.spi.HwQueue hq = contain("hw_queue_init_phys", () -> v.hwQueueInitPhys(q, index, basePa));
        if (hq == null) {
            throw new IommufdException(dev.iommufdsim.kernel.uapi.Errno.EIO,
                    String.format("driver plugin '%s' (%s) hw_queue_init_phys returned no queue", pluginId, driverName()));
        }
        return hq;
    }

    /** hw_queue->destroy, which cannot fail. */
    void hwQueueDestroy(dev.iommufdsim.kernel.spi.HwQueue hq) {
        tryRun("hw_queue destroy", hq::destroy);
    }

    long msiDoorbell(DeviceInfo dev) {
        return contain("msi doorbell", () -> ops.msiDoorbell(dev));
    }

    void selftestCheck(String op, Object target, long index, long value) {
        contain(op, () -> {
            ops.selftestCheck(op, target, index, value);
            return null;
        });
    }

    // ---- IOPTEs and dirty tracking: only for domains with dirty tracking ----------------------

    /** map_pages, which cannot fail here (see IommuInstance.mapPages): a throwing plugin is ignored. */
    void mapPages(PagingDomain domain, long iova, long paddr, long pgsize, long pgcount, int prot) {
        // the kernel's only failure is ENOMEM, which the emulator does not model
        tryRun("map_pages", () -> ops.mapPages(domain, iova, paddr, pgsize, pgcount, prot));
    }

    /** unmap_pages, which cannot fail: a throwing plugin is ignored. */
    void unmapPages(PagingDomain domain, long iova, long size) {
        tryRun("unmap_pages", () -> ops.unmapPages(domain, iova, size));
    }

    void setDirtyTracking(PagingDomain domain, boolean enable) {
        contain("set_dirty_tracking", () -> {
            ops.setDirtyTracking(domain, enable);
            return null;
        });
    }

    void readAndClearDirty(PagingDomain domain, long iova, long size, long flags, DirtyBitmap dirty) {
        contain("read_and_clear_dirty", () -> {
            ops.readAndClearDirty(domain, iova, size, flags, dirty);
            return null;
        });
    }

    void dmaWrite(DeviceInfo dev, PagingDomain domain, long iova, long length) {
        contain("dma_write", () -> {
            ops.dmaWrite(dev, domain, iova, length);
            return null;
        });
    }

    /** The nested domain's attach_dev checks after the IOPF enabling (NestedDomain.attachDevAfterIopf). */
    void nestedAttachAfterIopf(dev.iommufdsim.kernel.spi.NestedDomain domain, DeviceInfo dev) {
        contain("attach_dev", () -> {
            domain.attachDevAfterIopf(dev, ops);
            return null;
        });
    }

    void enableIopf(DeviceInfo dev) {
        contain("enable_iopf", () -> {
            ops.enableIopf(dev);
            return null;
        });
    }

    List<PageRequest> pageRequests(DeviceInfo dev, DeviceAccess access) {
        List<PageRequest> out = contain("page_requests", () -> ops.pageRequests(dev, access));
        return out == null ? List.of() : List.copyOf(out);
    }

    /** {@link NestedDomain#abortsDma}: read while playing a DMA, so no fail-nth step (as {@link #pageRequests}). */
    String nestedAbortsDma(NestedDomain domain) {
        return contain("aborts_dma", domain::abortsDma);
    }

    DmaFaultEvent nestedDmaFault(DeviceInfo dev, NestedDomain domain, DmaFault fault, VdevLookup vdevs) {
        return contain("nested_dma_fault", () -> ops.nestedDmaFault(dev, domain, fault, vdevs));
    }

    boolean selftestCanSetDirty(PagingDomain domain) {
        return contain("selftest set_dirty", () -> ops.selftestCanSetDirty(domain));
    }

    void selftestSetDirty(PagingDomain domain, long iova) {
        contain("selftest set_dirty", () -> {
            ops.selftestSetDirty(domain, iova);
            return null;
        });
    }

    /** Any other call into the driver's objects (nested domains, vIOMMUs), contained. */
    <T> T call(String hook, Supplier<T> body) {
        FailNth.step(hook); // a driver op (no string built: zero cost unarmed)
        return contain(hook, body);
    }

    void run(String hook, Runnable body) {
        FailNth.step(hook); // a driver op (no string built: zero cost unarmed)
        contain(hook, () -> {
            body.run();
            return null;
        });
    }

    /**
     * A driver op the kernel cannot fail (a destroy, an unmap, a rollback): contained and
     * watched like any call, and whatever it throws (an errno, an exception, an Error such as
     * a plugin's assert) is dropped, where the kernel would at most WARN. Not a fail_nth step.
     *
     * @return whether the op completed
     */
    boolean tryRun(String hook, Runnable body) {
        try {
            contain(hook, () -> {
                body.run();
                return null;
            });
            return true;
        } catch (IommufdException e) {
            return false; // dropped: see above
        }
    }

    /** The instance object itself, for drivers' own extension calls. */
    public IommuInstance ops() {
        return ops;
    }

    private <T> T contain(String hook, Supplier<T> call) {
        return contain(plugin, driverName, hook, call);
    }

    /** A call into a plugin's driver code: enabled, watched, and failing only with an errno. */
    static <T> T contain(PluginStatus plugin, String driverName, String hook, Supplier<T> call) {
        plugin.checkEnabled(driverName, hook);
        DriverCallWatch watch = DriverCallWatch.current();
        long stamp = watch == null ? 0 : watch.enter(plugin, driverName, hook);
        try {
            return call.get();
        } catch (IommufdException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            throw new IommufdException(EIO, String.format("driver plugin '%s' (%s) failed in %s: %s", plugin.pluginId(), driverName, hook, e));
        } finally {
            if (watch != null) {
                watch.exit(stamp);
            }
        }
    }

    private IommufdException malformed(String hook, String what) {
        return new IommufdException(EINVAL, String.format("driver plugin '%s' (%s) %s: %s", pluginId, driverName(), hook, what));
    }

    @Override
    public String toString() {
        return name + " (" + driverName() + ")";
    }
}
