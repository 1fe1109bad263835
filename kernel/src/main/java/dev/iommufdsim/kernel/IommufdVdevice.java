package dev.iommufdsim.kernel;

/**
 * struct iommufd_vdevice (viommu.c): a device's virtual ID (vSID, vRID) in a vIOMMU. It holds
 * the vIOMMU; the device cannot go while it exists (unbinding destroys it and leaves its ID
 * a tombstone).
 */
public final class IommufdVdevice extends IommufdObject {
    final IommufdViommu viommu;
    final IommufdDevice idev;
    final long virtId;

    IommufdVdevice(IommufdViommu viommu, IommufdDevice idev, long virtId) {
        super(ObjType.VDEVICE);
        this.viommu = viommu;
        this.idev = idev;
        this.virtId = virtId;
    }

    public long virtId() {
        return virtId;
    }

    public IommufdViommu viommu() {
        return viommu;
    }

    public IommufdDevice device() {
        return idev;
    }

    /** iommufd_vdevice_destroy() / iommufd_vdevice_abort(). */
    @Override
    void destroy() {
        viommu.vdevs.remove(virtId, this);
        viommu.put();
        idev.vdev = null;
    }
}
