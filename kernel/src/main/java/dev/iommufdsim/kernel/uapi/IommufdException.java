package dev.iommufdsim.kernel.uapi;

/**
 * A failed uAPI call: the errno the kernel returns and a one-line reason naming the objects
 * and ranges involved. Thrown by the kernel's handlers and by drivers; the message is for
 * people and never carries a stack trace to the user (stack traces are disabled).
 */
public final class IommufdException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Errno errno;
    private final transient Object partialOutput;

    public IommufdException(Errno errno, String reason) {
        this(errno, reason, null);
    }

    /**
     * A failure after which the kernel still wrote outputs back (IOAS_IOVA_RANGES gives
     * EMSGSIZE with num_iovas and the ranges that fit; HWPT_INVALIDATE writes entry_num).
     */
    public IommufdException(Errno errno, String reason, Object partialOutput) {
        super(reason, null, false, false);
        this.errno = errno;
        this.partialOutput = partialOutput;
    }

    /** The outputs the kernel wrote back despite the error, or null. */
    public Object partialOutput() {
        return partialOutput;
    }

    public Errno errno() {
        return errno;
    }

    /** The kernel-side reason, without the errno name. */
    public String reason() {
        return getMessage();
    }

    /** Shorthand used by handlers: {@code throw fail(EINVAL, "length %#x is 0", len)}. */
    public static IommufdException fail(Errno errno, String format, Object... args) {
        return new IommufdException(errno, args.length == 0 ? format : String.format(format, args));
    }

    @Override
    public String toString() {
        return errno + ": " + getMessage();
    }
}
