package dev.iommufdsim.kernel;

import java.util.List;

/**
 * A process's address space as the kernel reaches it (current->mm, or an iopt_pages'
 * source_mm): which pages exist and can be pinned, the bytes behind them, and which pages
 * are part of compound (huge) pages. The emulator has no physical pages: a user page is
 * identified by its mm and its address, so pins are counted per (mm, page) in
 * {@link UserPagePins}.
 */
public interface UserMemory {
    /** A range [start, last] of user addresses. */
    record Range(long start, long last) {
    }

    /**
     * The identity of this address space (the mm): two objects with equal keys are one
     * process; iopt_pages compares it with the caller's (source_mm != current->mm).
     */
    Object mm();

    /**
     * pin_user_pages() of every page of [va, va + length): false when a page is not mapped,
     * not readable, or (write: FOLL_WRITE) not writable, or when the process is gone
     * (mmget_not_zero() failing).
     */
    boolean canPin(long va, long length, boolean write);

    /**
     * mmget_not_zero(): whether the process still exists. A gone process's pages can no longer
     * be pinned, but what the kernel pinned before stays pinned. Default: alive.
     */
    default boolean isAlive() {
        return true;
    }

    /** copy_from_user(): the bytes, or EFAULT when one cannot be read. */
    byte[] read(long va, int length);

    /** copy_to_user(): on EFAULT the bytes before the fault are written. */
    void write(long va, byte[] data);

    /**
     * The mapping holding va, for the file pages behind user memory (IOAS_MAP_FILE pins are on
     * the file's pages): [start, end) maps the file from offset, or file is null when the
     * mapping is anonymous or private. Null when va is not mapped. Default: anonymous memory.
     */
    default FileMapping fileAt(long va) {
        return null;
    }

    /** A mapping [start, end) of a shared file (or of no file) from a file offset. */
    record FileMapping(long start, long end, MappedFile.Id file, long offset) {
    }

    /**
     * The parts of [va, va + length) backed by compound pages (hugetlb, THP): the kernel's
     * MD_CHECK_REFS does not count their references (PageCompound). Default: none.
     */
    default List<Range> compoundRanges(long va, long length) {
        return List.of();
    }

    /** RLIM_INFINITY as an unsigned long. */
    long RLIM_INFINITY = -1L;

    /**
     * capable(CAP_IPC_LOCK) of this process (as current): iopt_alloc_pages() then charges its
     * pages to nobody (IOPT_PAGES_ACCOUNT_NONE). Default: yes (scripts run as root).
     */
    default boolean capIpcLock() {
        return true;
    }

    /**
     * task_rlimit(task, RLIMIT_MEMLOCK) of this process's group leader, in bytes (an unsigned
     * long; {@link #RLIM_INFINITY} when unlimited). Default: unlimited.
     */
    default long rlimitMemlock() {
        return RLIM_INFINITY;
    }

    /**
     * current_user() of this process: the key of its user_struct (the real uid), whose
     * locked_vm IOPT_PAGES_ACCOUNT_USER charges. Default: root.
     */
    default Object user() {
        return Integer.valueOf(0);
    }
}
