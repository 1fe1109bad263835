package dev.iommufdsim.kernel;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.spi.Viommu;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * struct iommufd_viommu (viommu.c): a VM's slice of one physical IOMMU instance on a
 * nesting parent; owns the virtual device IDs (vdevs) and the vEVENTQs.
 */
public final class IommufdViommu extends IommufdObject implements VdevLookup {
    final int type;
    final HwptPaging hwpt;
    final IommuInstanceHandle iommuDev;
    Viommu ops;
    /** viommu->vdevs, keyed by virt_id. */
    final TreeMap<Long, IommufdVdevice> vdevs = new TreeMap<>(Long::compareUnsigned);
    final List<IommufdVeventq> veventqs = new ArrayList<>();
    /** The driver's HW queues and their core objects (for iommufd_hw_queue_depend()). */
    final java.util.Map<dev.iommufdsim.kernel.spi.HwQueue, IommufdHwQueue> hwQueues = new java.util.IdentityHashMap<>();
    /** The context's mmap regions, where the driver's regions are removed at destroy. */
    MmapTable mmaps;

    IommufdViommu(int type, HwptPaging hwpt, IommuInstanceHandle iommuDev) {
        super(ObjType.VIOMMU);
        this.type = type;
        this.hwpt = hwpt;
        this.iommuDev = iommuDev;
    }

    public int viommuType() {
        return type;
    }

    public HwptPaging parent() {
        return hwpt;
    }

    public IommuInstanceHandle iommu() {
        return iommuDev;
    }

    /** viommu->vdevs by virt_id, a copy (for the invariant checker). */
    public java.util.Map<Long, IommufdVdevice> vdevices() {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(vdevs));
    }

    /** Its vEVENTQs, a copy. */
    public List<IommufdVeventq> veventqs() {
        return List.copyOf(veventqs);
    }

    /** iommufd_viommu_find_veventq(): its vEVENTQ of that type, or null. */
    IommufdVeventq findVeventq(int veventqType) {
        for (IommufdVeventq q : veventqs) {
            if (q.veventqType == veventqType) {
                return q;
            }
        }
        return null;
    }

    /** iommufd_viommu_get_vdev_id(). */
    @Override
    public Long virtIdOf(DeviceInfo dev) {
        for (IommufdVdevice v : vdevs.values()) {
            if (v.idev.dev.info() == dev || v.idev.dev.info().equals(dev)) {
                return v.virtId;
            }
        }
        return null;
    }

    /** iommufd_viommu_find_dev(). */
    @Override
    public DeviceInfo deviceOf(long virtId) {
        IommufdVdevice v = vdevs.get(virtId);
        return v == null ? null : v.idev.dev.info();
    }

    /** iommufd_viommu_destroy(). */
    @Override
    void destroy() {
        if (mmaps != null) {
            mmaps.removeOwner(this); // the driver's destroy: iommufd_viommu_destroy_mmap()
        }
        if (ops != null) {
            iommuDev.viommuDestroy(ops);
        }
        hwpt.put();
    }
}
