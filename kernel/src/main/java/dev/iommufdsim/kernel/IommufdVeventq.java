package dev.iommufdsim.kernel;

/** struct iommufd_veventq (eventq.c): a vIOMMU's event queue of one type, read from its fd. */
public final class IommufdVeventq extends IommufdObject {
    final IommufdViommu viommu;
    final int veventqType;
    final int depth;
    final int fd;

    IommufdVeventq(IommufdViommu viommu, int veventqType, int depth, int fd) {
        super(ObjType.VEVENTQ);
        this.viommu = viommu;
        this.veventqType = veventqType;
        this.depth = depth;
        this.fd = fd;
    }

    public int fd() {
        return fd;
    }

    /** iommufd_veventq_destroy(). */
    @Override
    void destroy() {
        viommu.veventqs.remove(this);
        viommu.put();
    }
}
