package dev.iommufdsim.kernel;

/**
 * struct iommufd_fault (eventq.c): the queue of I/O page faults of the HWPTs allocated with
 * FAULT_ID_VALID, read by the VMM from its fd. Faults themselves are not emulated yet.
 */
public final class IommufdFault extends IommufdObject {
    /** The fd iommufd_eventq_init() installed (set once the object is reserved). */
    int fd = -1;

    IommufdFault() {
        super(ObjType.FAULT);
    }

    public int fd() {
        return fd;
    }

    @Override
    void destroy() {
    }
}
