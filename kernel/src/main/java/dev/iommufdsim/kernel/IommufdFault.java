package dev.iommufdsim.kernel;

/**
 * struct iommufd_fault (eventq.c): the queue of I/O page faults of the HWPTs allocated with
 * FAULT_ID_VALID, read by the VMM from its fd. Faults themselves are not emulated yet.
 */
public final class IommufdFault extends IommufdObject {
    final int fd;

    IommufdFault(int fd) {
        super(ObjType.FAULT);
        this.fd = fd;
    }

    public int fd() {
        return fd;
    }

    @Override
    void destroy() {
    }
}
