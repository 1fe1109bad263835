package dev.iommufdsim.kernel;

import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.Set;
import java.util.TreeSet;

/**
 * struct iommufd_device (drivers/iommu/iommufd/device.c): a physical device bound to a
 * context. The binding driver (VFIO, the selftest) holds an extra user until unbind, so
 * IOMMU_DESTROY of a dev_id is always EBUSY.
 */
public final class IommufdDevice extends IommufdObject {
    final IommufdCtx ictx;
    final PhysDevice dev;
    final IommufdGroup igroup;
    /**
     * vfio_device's pasids ida, for VFIO cdev devices: the PASIDs attached with
     * VFIO_DEVICE_ATTACH_PASID (0 among them when a program passes IOMMU_NO_PASID with the flag).
     */
    final Set<Integer> vfioAttached = new TreeSet<>();
    /** vfio_device's iommufd_attached: the RID attached without VFIO_DEVICE_ATTACH_PASID. */
    boolean vfioRidAttached;
    /** idev->vdev: the device's vDEVICE (at most one), or null. */
    IommufdVdevice vdev;
    /** idev->enforce_cache_coherency: IOMMU_CAP_ENFORCE_CACHE_COHERENCY, read at bind. */
    boolean enforceCacheCoherency;

    IommufdDevice(IommufdCtx ictx, PhysDevice dev, IommufdGroup igroup) {
        super(ObjType.DEVICE);
        this.ictx = ictx;
        this.dev = dev;
        this.igroup = igroup;
    }

    public PhysDevice physDevice() {
        return dev;
    }

    /** The HWPT the device's RID is attached to, or null. */
    public HwPagetable attachedHwpt() {
        return attachedHwpt(Uapi.IOMMU_NO_PASID);
    }

    /** The HWPT attached for a PASID (0 = the RID) if this device is among its devices. */
    public HwPagetable attachedHwpt(int pasid) {
        IommufdGroup.Attach a = igroup.pasidAttach.get(pasid);
        return a != null && a.devices.containsKey(id()) ? a.hwpt : null;
    }

    /** iommufd_device_destroy(): releases DMA ownership and the group. */
    @Override
    void destroy() {
        ictx.releaseDmaOwner(dev);
        ictx.putGroup(igroup);
        dev.bound = null;
    }

    /** idev->enforce_cache_coherency: the HWPTs allocated for this device enforce cache coherency. */
    public boolean enforceCacheCoherency() {
        return enforceCacheCoherency;
    }

    /** The context the device is bound to. */
    public IommufdCtx ctx() {
        return ictx;
    }

    /** Per PASID (0 = the RID), the HWPT this device is attached to, a copy (for the invariant checker). */
    public java.util.Map<Integer, HwPagetable> attachments() {
        java.util.Map<Integer, HwPagetable> out = new java.util.TreeMap<>();
        igroup.pasidAttach.forEach((pasid, a) -> {
            if (a.devices.get(id()) == this) {
                out.put(pasid, a.hwpt);
            }
        });
        return out;
    }

    /** The PASIDs the VFIO cdev believes attached (vfio_device's iommufd_attached), a copy. */
    public Set<Integer> vfioAttachedPasids() {
        Set<Integer> out = new TreeSet<>(vfioAttached);
        if (vfioRidAttached) {
            out.add(0);
        }
        return Set.copyOf(out);
    }

    /** The device's vDEVICE, or null. */
    public IommufdVdevice vdevice() {
        return vdev;
    }

    /** igroup->sw_msi_start of the device's group in this context (-1: none). */
    public long groupSwMsiStart() {
        return igroup.swMsiStart;
    }

    /** igroup->required_sw_msi of the device's group in this context. */
    public long groupRequiredSwMsi() {
        return igroup.requiredSwMsi;
    }

    /** Owner tag of the device's reserved ranges: names the device and the region type. */
    public ResvOwner resvOwner() {
        return resvOwner;
    }

    private final ResvOwner resvOwner = this::describeReserved;

    private String describeReserved(long start, long last) {
        String type = "reserved region";
        for (ResvRegion r : dev.iommu().getResvRegions(dev.info())) {
            if (r.start() == start && r.last() == last) {
                type = r.type().name().toLowerCase() + (r.source() == null ? "" : " '" + r.source() + "'");
                break;
            }
        }
        return type + " of dev " + id() + " (" + dev.name() + ")";
    }

}
