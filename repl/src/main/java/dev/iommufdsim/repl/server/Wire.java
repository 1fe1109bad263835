package dev.iommufdsim.repl.server;

/**
 * The message types of the shim protocol (native/shim/protocol.h; keep the two in step). A
 * frame is u32 type, u32 payload length, payload, all little-endian, on one UNIX stream
 * connection per open of /dev/iommu.
 */
final class Wire {
    private Wire() {
    }

    /** Program to server: u32 cmd, u32 pid of the caller, u64 arg, then the prefetched bytes at arg. */
    static final int T_IOCTL = 2;
    /** Program to server: s32 fd, a queue or access descriptor the program closed. */
    static final int T_CLOSEFD = 3;
    /** Program to server: s32 fd, u32 0, u64 buf, u64 count: read() of a queue descriptor. */
    static final int T_QREAD = 4;
    /** Program to server: s32 fd, u32 0, u64 buf, u64 count: write() of a queue descriptor. */
    static final int T_QWRITE = 5;
    /** Program to server: s32 fd: poll() of a queue descriptor; the answer is the poll mask. */
    static final int T_QPOLL = 6;
    /** Program to server: u64 addr, u64 length, u64 offset, u32 prot, u32 flags: mmap() of the iommufd. */
    static final int T_MMAP = 7;
    /** Program to server: s32 id: munmap() of a mapping T_MMAP made (no answer). */
    static final int T_MUNMAP = 8;
    /**
     * Program to server: u32 pid: the emulator's mm->pinned_vm and mm->locked_vm of that
     * process (the shim's /proc/PID/status VmPin and VmLck); answered S_DONE with u64 pinned
     * kB, u64 locked kB.
     */
    static final int T_VMSTAT = 9;
    /**
     * Program to server, the first message of an open of /dev/vfio/devices/vfioN: u32 N, u32
     * pid; answered S_DONE 0 or -errno. The connection is then that VFIO device file.
     */
    static final int T_VFIO_OPEN = 10;
    /** Program to server: what this connection is; answered S_DONE u32 kind (KIND_*), u32 its number. */
    static final int T_WHO = 11;

    /** T_WHO kinds. */
    static final int KIND_IOMMUFD = 1;
    static final int KIND_VFIO = 2;

    static final int R_DATA = 20;
    static final int R_FAULT = 21;
    static final int R_OK = 22;
    static final int R_BOOL = 23;
    static final int R_FD = 24;

    /** Server to program: u64 addr, u32 len. */
    static final int S_READ = 40;
    /** Server to program: u64 addr, bytes. */
    static final int S_WRITE = 41;
    /** Server to program: u64 addr, u64 len, u32 write, u32 pid (0: the caller). */
    static final int S_PROBE = 42;
    /** Server to program: u32 kind. */
    static final int S_NEWFD = 43;
    /** Server to program: s32 fd. */
    static final int S_DROPFD = 44;
    /** Server to program: u64 addr, u64 len, u32 pid; answered R_DATA with u64 start, end pairs. */
    static final int S_HUGE = 45;
    /** Server to program: s32 fd; answered R_DATA u32 major, u32 minor, u64 ino, u64 size, u32 memfd (or empty). */
    static final int S_FSTAT = 46;
    /** Server to program: u64 addr; answered R_DATA u64 start, end, offset, u32 major, minor, u64 ino, u32 shared (or empty). */
    static final int S_FILEAT = 47;
    /**
     * Server to program: s32 fd; answered R_FD with the number (T_WHO) of the iommufd
     * connection that fd is, -EBADF (not open) or -EBADFD (not an iommufd).
     */
    static final int S_IOMMUFD = 48;
    /** Server to program: s64 result (>= 0) or -errno. */
    static final int S_DONE = 50;

    /** SIM_MAX_XFER: the largest read or write the server asks for at once. */
    static final int MAX_XFER = 1 << 20;
    /** The largest payload the shim sends (a read answer), with room for headers. */
    static final int MAX_FRAME = MAX_XFER + 64;
}
