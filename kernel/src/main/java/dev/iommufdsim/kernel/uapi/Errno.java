package dev.iommufdsim.kernel.uapi;

/**
 * The errno values iommufd returns, with the meaning include/uapi/linux/iommufd.h documents
 * for each (the header's "errno" paragraph) or, where it says nothing, the usual one.
 */
public enum Errno {
    EPERM(1, "operation not permitted (capability, DMA ownership or write to a read-only source)"),
    ENOENT(2, "an ID or IOVA given does not exist"),
    EIO(5, "I/O error (driver dependency not met)"),
    ENXIO(6, "no such device or address"),
    E2BIG(7, "a struct tail the kernel does not know is non-zero"),
    EBADF(9, "not an open file descriptor"),
    EAGAIN(11, "try again; for dma_write / dma_read (not uAPI), the DMA stalled on a page request queued on a fault object: answer it on the fault fd, then retry"),
    ENOMEM(12, "out of memory (or the memory accounting limit)"),
    EFAULT(14, "a user pointer could not be read or written, or user memory could not be pinned; for dma_write / dma_read (not uAPI), a DMA fault: the access does not translate (and raises no page request)"),
    EBUSY(16, "the object is in use"),
    EEXIST(17, "already exists (IOVA already mapped, virtual ID already used)"),
    ENODEV(19, "no such device"),
    EINVAL(22, "a field the kernel understands has a wrong value"),
    ENOSPC(28, "no free IOVA space left"),
    ESPIPE(29, "illegal seek: a queue fd read or written at an offset, or by a count that is not a whole number of records"),
    ENOTTY(25, "unknown ioctl"),
    ERANGE(34, "out of range"),
    EDEADLOCK(35, "an in-kernel access keeps pages pinned that an unmap asked it to release"),
    EBADE(52, "the pages an access pinned are not the pages at the user address given (selftest check)"),
    EBADFD(77, "file descriptor in a bad state"),
    EMSGSIZE(90, "the output array is too small"),
    EOPNOTSUPP(95, "a field has a value the kernel does not understand or support (unknown flag, non-zero __reserved, unsupported type)"),
    EADDRINUSE(98, "the IOVA range is in use (a reservation collides with a mapping or an allowed range)"),
    EOVERFLOW(75, "arithmetic overflow in an address or length");

    private final int number;
    private final String meaning;

    Errno(int number, String meaning) {
        this.number = number;
        this.meaning = meaning;
    }

    /** The positive errno number as on x86-64 Linux. */
    public int number() {
        return number;
    }

    /** What the uAPI documents this errno to mean for iommufd. */
    public String meaning() {
        return meaning;
    }

    /** The errno of that name, or null. */
    public static Errno byName(String name) {
        for (Errno e : values()) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
