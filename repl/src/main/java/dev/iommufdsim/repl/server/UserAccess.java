package dev.iommufdsim.repl.server;

import java.util.List;

/**
 * The calling process as the kernel reaches it during an ioctl: its memory (read, written,
 * pinned), the memory of processes it forked (pinned), and its descriptor table. The server's
 * implementation asks the shim; tests use an in-memory process.
 */
public interface UserAccess {
    /** The calling process's pid (current->mm), or 0 when unknown (then one process is assumed). */
    default int callerPid() {
        return 0;
    }

    /** copy_from_user(): len bytes at addr, or a fault when some byte cannot be read. */
    byte[] read(long addr, int len) throws UserFault;

    /**
     * copy_to_user(): writes data at addr. On a fault the bytes before the first bad one are
     * written, as the kernel's copy leaves them.
     */
    void write(long addr, byte[] data) throws UserFault;

    /**
     * pin_user_pages() in the caller (pid 0) or in process pid: every page of [addr, addr+len)
     * is mapped readable (writable). With len 0 and a pid: whether that process still exists.
     */
    boolean canPin(int pid, long addr, long len, boolean write);

    /**
     * The hugetlb (compound page) mappings of the caller (pid 0) or of process pid that meet
     * [addr, addr+len), as {start, end} (end exclusive). Default: none.
     */
    default List<long[]> hugeRanges(int pid, long addr, long len) {
        return List.of();
    }

    /**
     * fget() of the caller's fd for IOAS_MAP_FILE (fstat/fstatfs in the program): the file,
     * or null when fd is not open. Default: no files.
     */
    default dev.iommufdsim.kernel.MappedFile file(int fd) {
        return null;
    }

    /**
     * The caller's mapping holding addr (/proc/self/maps), or null when addr is unmapped.
     * Default: anonymous memory, no file behind it.
     */
    default dev.iommufdsim.kernel.UserMemory.FileMapping fileAt(long addr) {
        return null;
    }

    /**
     * iommufd_ctx_from_fd() of the caller's fd (VFIO_DEVICE_BIND_IOMMUFD): the number of the
     * iommufd connection it is, -EBADF when it is not open, -EBADFD when it is no iommufd.
     * Default: no descriptor is open.
     */
    default int iommufd(int fd) {
        return -dev.iommufdsim.kernel.uapi.Errno.EBADF.number();
    }

    /** get_unused_fd_flags() + fd_install(): a new descriptor in the process, or -errno. */
    int newFd(int kind);

    /** put_unused_fd(): the descriptor given by newFd goes away again. */
    void dropFd(int fd);
}
