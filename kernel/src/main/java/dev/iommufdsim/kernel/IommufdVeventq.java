package dev.iommufdsim.kernel;

/** struct iommufd_veventq (eventq.c): a vIOMMU's event queue of one type, read from its fd. */
public final class IommufdVeventq extends IommufdObject {
    final IommufdViommu viommu;
    final int veventqType;
    final int depth;
    /** The fd iommufd_eventq_init() installed (set once the object is reserved). */
    int fd = -1;

    IommufdVeventq(IommufdViommu viommu, int veventqType, int depth) {
        super(ObjType.VEVENTQ);
        this.viommu = viommu;
        this.veventqType = veventqType;
        this.depth = depth;
    }

    public int fd() {
        return fd;
    }

    public IommufdViommu viommu() {
        return viommu;
    }

    public int veventqType() {
        return veventqType;
    }

    /** iommufd_veventq_destroy(). */
    @Override
    void destroy() {
        viommu.veventqs.remove(this);
        viommu.put();
    }
}
