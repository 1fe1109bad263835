/*
 * The wire protocol between libiommufd-sim-shim.so (in the program) and `iommufd-sim serve`
 * (dev.iommufdsim.repl.server.Wire on the Java side; keep the two in step).
 *
 * One UNIX stream connection per open of /dev/iommu: the connection is the iommufd context,
 * its end (the last copy of the descriptor closed) is the context's release. An open of
 * /dev/vfio/devices/vfioN is a connection too, whose first message is SIM_T_VFIO_OPEN: the
 * connection is then that VFIO device file (its end is vfio_device_fops_release).
 *
 * Every message is a frame: u32 type, u32 payload length, payload; all little-endian.
 *
 * Program -> server:
 *   SIM_T_IOCTL    u32 cmd, u32 pid (the calling process: current->mm), u64 arg, then a
 *                  prefetch of the bytes at arg (possibly none): what the program could read
 *                  there, at most the struct's size field (<= 4096). The server then drives
 *                  the ioctl with requests until it sends SIM_S_DONE.
 *   SIM_T_CLOSEFD  s32 fd: the program closed a descriptor it was given (a fault or vEVENTQ
 *                  queue, a selftest access).
 *   SIM_T_QREAD    s32 fd, u32 0, u64 buf, u64 count: read() of a queue descriptor; served
 *   SIM_T_QWRITE   like an ioctl (SIM_S_WRITE / SIM_S_READ on buf), SIM_S_DONE has the byte
 *                  count or -errno (eventq.c fops: iommu_hwpt_pgfault records, page responses,
 *                  vEVENTs)
 *   SIM_T_QPOLL    s32 fd: poll() of a queue descriptor; SIM_S_DONE has the EPOLL* mask
 *   SIM_T_MMAP     u64 addr, u64 length, u64 offset, u32 prot, u32 flags: mmap() of the
 *                  iommufd; addr is a shared anonymous mapping the shim made, which the server
 *                  fills with the region's bytes (SIM_S_WRITE); SIM_S_DONE has the mapping's
 *                  ID (> 0) or -errno
 *   SIM_T_MUNMAP   s32 id: that mapping went (munmap); no answer
 *   SIM_T_VMSTAT   u32 pid: the emulator's accounting of that process (mm->pinned_vm,
 *                  mm->locked_vm); answered SIM_S_DONE with u64 pinned kB, u64 locked kB
 *                  (16 bytes): the shim's /proc/PID/status VmPin and VmLck
 *   SIM_T_VFIO_OPEN u32 N, u32 pid: the first message of an open of /dev/vfio/devices/vfioN
 *                  (vfio_device_fops_cdev_open); SIM_S_DONE has 0 or -errno (ENOENT: no
 *                  such cdev). ioctls on the device are SIM_T_IOCTL on this connection.
 *   SIM_T_WHO      (no payload): what this connection is; SIM_S_DONE has u32 kind (1: an
 *                  iommufd, 2: a VFIO device file), u32 the connection's number (the server's
 *                  name of it; BIND_IOMMUFD's iommufd is identified by it). Served without
 *                  waiting for the machine, so it may be sent while another connection of the
 *                  process is in an ioctl.
 *   answers:       SIM_R_DATA bytes | SIM_R_FAULT | SIM_R_OK | SIM_R_BOOL u32 | SIM_R_FD s32
 *
 * Server -> program, only while an ioctl is in flight:
 *   SIM_S_READ     u64 addr, u32 len         -> SIM_R_DATA (len bytes) or SIM_R_FAULT
 *                                               (copy_from_user)
 *   SIM_S_WRITE    u64 addr, bytes           -> SIM_R_OK or SIM_R_FAULT (copy_to_user; the
 *                                               bytes before a fault are written)
 *   SIM_S_PROBE    u64 addr, u64 len, u32 w, u32 pid
 *                                            -> SIM_R_BOOL: every page of [addr, addr+len) is
 *                                               mapped readable (and writable when w) in the
 *                                               caller (pid 0) or in process pid (its
 *                                               /proc/PID/maps): pin_user_pages(); with len 0
 *                                               and a pid: whether that process still has an
 *                                               address space (mmget_not_zero)
 *   SIM_S_HUGE     u64 addr, u64 len, u32 pid
 *                                            -> SIM_R_DATA: u64 start, u64 end pairs: the
 *                                               hugetlb mappings (smaps KernelPageSize above
 *                                               the base page) meeting [addr, addr+len)
 *   SIM_S_NEWFD    u32 kind                  -> SIM_R_FD: a new descriptor standing for a
 *                                               queue or access fd (or -errno)
 *   SIM_S_DROPFD   s32 fd                    -> SIM_R_OK: that descriptor closed again
 *   SIM_S_FSTAT    s32 fd                    -> SIM_R_DATA: u32 major, u32 minor, u64 ino,
 *                                               u64 size, u32 memfd (shmem/hugetlbfs) of the
 *                                               program's fd, or no bytes when it is not open
 *                                               (IOAS_MAP_FILE's fget)
 *   SIM_S_FILEAT   u64 addr                  -> SIM_R_DATA: u64 start, u64 end, u64 offset,
 *                                               u32 major, u32 minor, u64 ino, u32 shared: the
 *                                               caller's mapping holding addr (/proc/self/maps),
 *                                               or no bytes when unmapped
 *   SIM_S_IOMMUFD  s32 fd                    -> SIM_R_FD: the number (SIM_T_WHO) of the iommufd
 *                                               connection the program's fd is, -EBADF when fd is
 *                                               not open, -EBADFD when it is not an iommufd
 *                                               (iommufd_ctx_from_fd of VFIO_DEVICE_BIND_IOMMUFD)
 *   SIM_S_DONE     s64 ret                   the result: >= 0 returned, < 0 is -errno
 */
#ifndef IOMMUFD_SIM_PROTOCOL_H
#define IOMMUFD_SIM_PROTOCOL_H

enum {
	SIM_T_IOCTL = 2,
	SIM_T_CLOSEFD = 3,
	SIM_T_QREAD = 4,
	SIM_T_QWRITE = 5,
	SIM_T_QPOLL = 6,
	SIM_T_MMAP = 7,
	SIM_T_MUNMAP = 8,
	SIM_T_VMSTAT = 9,
	SIM_T_VFIO_OPEN = 10,
	SIM_T_WHO = 11,

	SIM_R_DATA = 20,
	SIM_R_FAULT = 21,
	SIM_R_OK = 22,
	SIM_R_BOOL = 23,
	SIM_R_FD = 24,

	SIM_S_READ = 40,
	SIM_S_WRITE = 41,
	SIM_S_PROBE = 42,
	SIM_S_NEWFD = 43,
	SIM_S_DROPFD = 44,
	SIM_S_HUGE = 45,
	SIM_S_FSTAT = 46,
	SIM_S_FILEAT = 47,
	SIM_S_IOMMUFD = 48,
	SIM_S_DONE = 50,
};

/* SIM_T_WHO kinds. */
#define SIM_KIND_IOMMUFD 1u
#define SIM_KIND_VFIO 2u

/* The largest SIM_S_READ / SIM_S_WRITE payload the server sends. */
#define SIM_MAX_XFER (1u << 20)
/* The largest prefetch the shim sends with SIM_T_IOCTL. */
#define SIM_PREFETCH_MAX 4096u

#endif
