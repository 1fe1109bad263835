package dev.iommufdsim.repl.server;

/**
 * The calling process as the kernel reaches it during an ioctl: its memory (read, written,
 * pinned) and its descriptor table. The server's implementation asks the shim; tests use
 * an in-memory process.
 */
public interface UserAccess {
    /** copy_from_user(): len bytes at addr, or a fault when some byte cannot be read. */
    byte[] read(long addr, int len) throws UserFault;

    /**
     * copy_to_user(): writes data at addr. On a fault the bytes before the first bad one are
     * written, as the kernel's copy leaves them.
     */
    void write(long addr, byte[] data) throws UserFault;

    /** pin_user_pages(): every page of [addr, addr+len) is mapped readable (writable). */
    boolean canPin(long addr, long len, boolean write);

    /** get_unused_fd_flags() + fd_install(): a new descriptor in the process, or -errno. */
    int newFd(int kind);

    /** put_unused_fd(): the descriptor given by newFd goes away again. */
    void dropFd(int fd);
}
