/*
 * libiommufd-sim-shim.so: run an unmodified program against `iommufd-sim serve`.
 *
 *   LD_PRELOAD=libiommufd-sim-shim.so IOMMUFD_SIM_SOCKET=/path/to/socket PROGRAM ...
 *
 * open("/dev/iommu") connects to the server's UNIX socket and returns the connected
 * descriptor: one connection is one iommufd context. ioctl() on such a descriptor is sent to
 * the server as (cmd, arg); the server decodes it like iommufd_fops_ioctl() and asks the shim
 * to read and write the program's memory (copy_from_user / copy_to_user) and whether user
 * memory can be pinned, until it sends the result. Memory is read and written through a pipe
 * (write(2) from / read(2) into the program's address), so a bad address is an EFAULT from
 * the kernel here too, never a crash. Everything else passes through (dlsym RTLD_NEXT).
 *
 * open("/dev/vfio/devices/vfioN") is a connection too, whose first message names the device:
 * the connection is that VFIO device file, its ioctls are served like the iommufd's (the
 * iommufd descriptor VFIO_DEVICE_BIND_IOMMUFD names is looked up here: SIM_S_IOMMUFD).
 *
 * See protocol.h for the messages. IOMMUFD_SIM_DEBUG=1 traces every ioctl on stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

#define EXPORT __attribute__((visibility("default")))

#define IOMMUFD_TYPE 0x3b
#define FD_TABLE 65536

enum { FD_NONE = 0, FD_IOMMUFD = 1, FD_QUEUE = 2, FD_VFIO = 3 };

/* The cdevs of VFIO devices (drivers/vfio/device_cdev.c: "vfio/devices/vfioN"). */
#define VFIO_CDEV_PREFIX "/dev/vfio/devices/vfio"


/*
 * What each descriptor is; for queue fds (fault and vEVENTQ queues, selftest accesses: an
 * eventfd standing in for the kernel's file), the connection that made it.
 */
static unsigned char fd_kind[FD_TABLE];
static int queue_owner[FD_TABLE];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int debug;

/* The pipe memory goes through, per process (a forked child makes its own). */
static int pipe_rd = -1, pipe_wr = -1;
static pid_t pipe_pid;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real___open_2)(const char *, int);
static int (*real___open64_2)(const char *, int);
static int (*real___openat_2)(int, const char *, int);
static int (*real___openat64_2)(int, const char *, int);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_close)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);

static void *next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	return p;
}

static void resolve(void)
{
	if (real_ioctl)
		return;
	real_open = next("open");
	real_open64 = next("open64");
	real_openat = next("openat");
	real_openat64 = next("openat64");
	real___open_2 = next("__open_2");
	real___open64_2 = next("__open64_2");
	real___openat_2 = next("__openat_2");
	real___openat64_2 = next("__openat64_2");
	real_close = next("close");
	real_dup2 = next("dup2");
	real_dup3 = next("dup3");
	real_read = next("read");
	real_write = next("write");
	real_poll = next("poll");
	real_mmap = next("mmap");
	real_munmap = next("munmap");
	real_fopen = next("fopen");
	real_fopen64 = next("fopen64");
	real_ioctl = next("ioctl");
}

static void after_fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *d = getenv("IOMMUFD_SIM_DEBUG");

	debug = d && *d && strcmp(d, "0") != 0;
	resolve();
	pthread_atfork(NULL, NULL, after_fork_child);
}

static void trace(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (!debug)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(2, buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1);
}

/* ---- raw I/O, retrying EINTR and waiting out O_NONBLOCK ------------------------------- */

static int wait_fd(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, -1) < 0 && errno != EINTR ? -1 : 0;
}

static int send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (wait_fd(fd, POLLOUT))
					return -1;
				continue;
			}
			return -1;
		}
		p += w;
		n -= w;
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = recv(fd, p, n, 0);

		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (wait_fd(fd, POLLIN))
					return -1;
				continue;
			}
			return -1;
		}
		p += r;
		n -= r;
	}
	return 0;
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4); /* x86-64 and arm64 are little-endian, as the wire is */
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * One frame in one sendmsg() when it fits (the server then wakes once per message, not once
 * per part); what a short send leaves goes out part by part.
 */
static int send_frame(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	unsigned char h[8];
	struct iovec iov[3] = { { h, 8 }, { (void *)a, alen }, { (void *)b, blen } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 3 };
	size_t total = 8 + alen + blen;
	ssize_t w;

	put32(h, type);
	put32(h + 4, (uint32_t)(alen + blen));
	do
		w = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	if (w < 0)
		w = 0;
	if ((size_t)w == total)
		return 0;
	/* the rest, part by part */
	for (int i = 0; i < 3; i++) {
		size_t len = iov[i].iov_len;
		const char *p = iov[i].iov_base;

		if ((size_t)w >= len) {
			w -= len;
			continue;
		}
		if (send_all(fd, p + w, len - w))
			return -1;
		w = 0;
	}
	return 0;
}

/* ---- the program's memory, touched only through the kernel -------------------------- */

#define PIPE_CHUNK 32768

static int ensure_pipe(void)
{
	pid_t pid = (pid_t)syscall(SYS_getpid);
	int p[2];

	/* still ours? (a program may close every descriptor it does not know) */
	if (pipe_rd >= 0 && pipe_pid == pid && fcntl(pipe_rd, F_GETFD) >= 0 && fcntl(pipe_wr, F_GETFD) >= 0)
		return 0;
	/* a forked child: the inherited pipe is shared with the parent, leave it to it */
	if (syscall(SYS_pipe2, p, O_CLOEXEC))
		return -1;
	/* out of the way of the program's own descriptor numbers, when the limit allows */
	pipe_rd = fcntl(p[0], F_DUPFD_CLOEXEC, 700);
	pipe_wr = pipe_rd < 0 ? -1 : fcntl(p[1], F_DUPFD_CLOEXEC, 700);
	if (pipe_rd < 0 || pipe_wr < 0) {
		if (pipe_rd >= 0)
			syscall(SYS_close, pipe_rd);
		pipe_rd = p[0];
		pipe_wr = p[1];
	} else {
		syscall(SYS_close, p[0]);
		syscall(SYS_close, p[1]);
	}
	pipe_pid = pid;
	return 0;
}

static void drain(size_t n)
{
	char scratch[4096];

	while (n) {
		ssize_t r = syscall(SYS_read, pipe_rd, scratch, n < sizeof(scratch) ? n : sizeof(scratch));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		n -= r;
	}
}

/* copy_from_user(): 0, or -1 when some byte of [src, src+n) cannot be read. */
static int safe_read(void *dst, uintptr_t src, size_t n)
{
	char *d = dst;

	if (ensure_pipe())
		return -1;
	while (n) {
		size_t chunk = n < PIPE_CHUNK ? n : PIPE_CHUNK;
		ssize_t w = syscall(SYS_write, pipe_wr, (const void *)src, chunk);
		size_t got = 0;

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1; /* EFAULT */
		while (got < (size_t)w) {
			ssize_t r = syscall(SYS_read, pipe_rd, d + got, (size_t)w - got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			got += r;
		}
		d += w;
		src += w;
		n -= w;
	}
	return 0;
}

/* copy_to_user(): 0, or -1 at the first byte that cannot be written (earlier ones are). */
static int safe_write(uintptr_t dst, const void *src, size_t n)
{
	const char *s = src;

	if (ensure_pipe())
		return -1;
	while (n) {
		size_t chunk = n < PIPE_CHUNK ? n : PIPE_CHUNK;
		size_t put = 0, got = 0;

		while (put < chunk) {
			ssize_t w = syscall(SYS_write, pipe_wr, s + put, chunk - put);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			put += w;
		}
		while (got < chunk) {
			ssize_t r = syscall(SYS_read, pipe_rd, (void *)(dst + got), chunk - got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				drain(chunk - got);
				return -1;
			}
			got += r;
		}
		s += chunk;
		dst += chunk;
		n -= chunk;
	}
	return 0;
}

/*
 * The whole of /proc/self/NAME (pid 0) or /proc/PID/NAME, NUL-terminated, in a malloc'ed
 * buffer; NULL when it cannot be read (the process is gone). *n gets the length.
 */
static char *read_proc(uint32_t pid, const char *name, size_t *n)
{
	size_t cap = 1 << 16, used = 0;
	char path[64], *buf;
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%u/%s", pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", name);
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		ssize_t r;

		if (used + 4096 > cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		r = syscall(SYS_read, fd, buf + used, cap - used - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		used += r;
	}
	syscall(SYS_close, fd);
	if (buf)
		buf[used] = 0;
	*n = used;
	return buf;
}

/*
 * pin_user_pages(): is every page of [addr, addr+len) in a VMA the program (pid 0) or
 * process pid may read (and write)? Read from its maps; special mappings (VM_IO/PFNMAP)
 * cannot be pinned. With len 0 and a pid: whether the process still has an address space
 * (a zombie's or a reaped process's maps read empty or not at all).
 */
static int probe(uint64_t addr, uint64_t len, int want_write, uint32_t pid)
{
	uint64_t end = addr + len, cur = addr;
	size_t used;
	char *buf, *line;
	int ok = 0;

	if (end < addr)
		return 0;
	if (len == 0 && !pid)
		return 1;
	buf = read_proc(pid, "maps", &used);
	if (!buf)
		return 0;
	if (len == 0) {
		free(buf);
		return used > 0;
	}
	/* the lines are sorted by address */
	for (line = buf; line && *line && !ok;) {
		char *nl = strchr(line, '\n');
		unsigned long lo, hi;
		char perms[8] = "";

		if (nl)
			*nl = 0;
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && hi > cur) {
			if (lo > cur)
				break; /* a hole */
			if (perms[0] != 'r' || (want_write && perms[1] != 'w') || strstr(line, "[vvar") ||
			    strstr(line, "[vsyscall]"))
				break;
			cur = hi;
			if (cur >= end)
				ok = 1;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(buf);
	return ok;
}

/*
 * The hugetlb mappings of the program (pid 0) or process pid meeting [addr, addr+len): their
 * smaps entry shows a KernelPageSize above the base page. Written as u64 start, end pairs
 * into *out (malloc'ed); returns the number of bytes, 0 for none or when unreadable.
 */
static size_t huge_ranges(uint64_t addr, uint64_t len, uint32_t pid, unsigned char **out)
{
	uint64_t end = addr + len, lo = 0, hi = 0;
	size_t used, n = 0, cap = 0;
	char *buf = read_proc(pid, "smaps", &used), *line, *nl;
	long base_kb = sysconf(_SC_PAGESIZE) / 1024;
	int in_range = 0;

	*out = NULL;
	if (!buf)
		return 0;
	for (line = buf; line && *line; line = nl ? nl + 1 : NULL) {
		unsigned long a, b, kb;

		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			lo = a;
			hi = b;
			in_range = hi > addr && lo < end;
		} else if (in_range && sscanf(line, "KernelPageSize: %lu kB", &kb) == 1 && (long)kb > base_kb) {
			if (n + 16 > cap) {
				unsigned char *nb = realloc(*out, cap ? cap * 2 : 256);

				if (!nb)
					break;
				*out = nb;
				cap = cap ? cap * 2 : 256;
			}
			put64(*out + n, lo);
			put64(*out + n + 8, hi);
			n += 16;
		}
	}
	free(buf);
	return n;
}

/*
 * SIM_S_FSTAT: the file behind the program's fd (IOAS_MAP_FILE's fget): u32 major, u32 minor,
 * u64 ino, u64 size, u32 memfd (shmem or hugetlbfs: memfd_pin_folios() takes it); 28 bytes,
 * or nothing when fd is not open.
 */
static size_t file_stat(int fd, unsigned char *out)
{
	struct stat st;
	struct statfs sfs;
	int memfd;

	if (fstat(fd, &st))
		return 0;
	memfd = S_ISREG(st.st_mode) && fstatfs(fd, &sfs) == 0 &&
		((unsigned long)sfs.f_type == 0x01021994UL /* TMPFS_MAGIC */ ||
		 (unsigned long)sfs.f_type == 0x958458f6UL /* HUGETLBFS_MAGIC */);
	put32(out, major(st.st_dev));
	put32(out + 4, minor(st.st_dev));
	put64(out + 8, (uint64_t)st.st_ino);
	put64(out + 16, (uint64_t)st.st_size);
	put32(out + 24, (uint32_t)memfd);
	return 28;
}

/*
 * SIM_S_FILEAT: the mapping of the caller holding addr (/proc/self/maps): u64 start, u64 end,
 * u64 offset, u32 major, u32 minor, u64 ino, u32 shared; 44 bytes, or nothing when unmapped.
 */
static size_t file_at(uint64_t addr, unsigned char *out)
{
	size_t used, n = 0;
	char *buf = read_proc(0, "maps", &used), *line, *nl;

	if (!buf)
		return 0;
	for (line = buf; line && *line; line = nl ? nl + 1 : NULL) {
		unsigned long a, b, off, ino;
		unsigned int ma, mi;
		char perms[8];

		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &a, &b, perms, &off, &ma, &mi, &ino) != 7)
			continue;
		if (addr < a || addr >= b)
			continue;
		put64(out, a);
		put64(out + 8, b);
		put64(out + 16, off);
		put32(out + 24, ma);
		put32(out + 28, mi);
		put64(out + 32, ino);
		put32(out + 40, ino != 0 && perms[3] == 's');
		n = 44;
		break;
	}
	free(buf);
	return n;
}

/* ---- descriptors ---------------------------------------------------------------------- */

static int sim_socket_path(struct sockaddr_un *sa, socklen_t *len)
{
	const char *path = getenv("IOMMUFD_SIM_SOCKET");
	size_t n;

	if (!path || !*path)
		return -1;
	n = strlen(path);
	if (n >= sizeof(sa->sun_path))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	*len = offsetof(struct sockaddr_un, sun_path) + n + 1;
	return 0;
}

static int is_dev_iommu(const char *path)
{
	return path && strcmp(path, "/dev/iommu") == 0;
}

/* N of "/dev/vfio/devices/vfioN" (decimal, no leading zero), or -1 for any other path. */
static int vfio_cdev_index(const char *path)
{
	const char *p;
	long n = 0;

	if (!path || strncmp(path, VFIO_CDEV_PREFIX, sizeof(VFIO_CDEV_PREFIX) - 1) != 0)
		return -1;
	p = path + sizeof(VFIO_CDEV_PREFIX) - 1;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1]))
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || n > 100000)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return (int)n;
}

/* A connection to the server, or -1 with errno ENOENT (no server named) or ENODEV. */
static int sim_connect(int flags)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd, saved;

	if (sim_socket_path(&sa, &len)) {
		errno = ENOENT;
		return -1;
	}
	fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0), 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sa, len)) {
		if (errno == EINTR)
			continue;
		saved = errno;
		syscall(SYS_close, fd);
		trace("iommufd-sim-shim: cannot connect to %s: %s\n", sa.sun_path, strerror(saved));
		errno = ENODEV;
		return -1;
	}
	return fd;
}

/* open("/dev/iommu"): a connection to the server, or -1 with the errno of a missing device. */
static int sim_open(int flags)
{
	int fd = sim_connect(flags);

	if (fd < 0)
		return -1;
	if (fd < FD_TABLE)
		fd_kind[fd] = FD_IOMMUFD;
	trace("iommufd-sim-shim: open /dev/iommu -> fd %d\n", fd);
	return fd;
}

/* A descriptor the table does not know (inherited over exec, dup'ed): is it our socket? */
static int is_sim_socket(int fd)
{
	struct sockaddr_un want, got;
	socklen_t wlen, glen = sizeof(got);

	if (sim_socket_path(&want, &wlen))
		return 0;
	memset(&got, 0, sizeof(got));
	if (getpeername(fd, (struct sockaddr *)&got, &glen) || got.sun_family != AF_UNIX)
		return 0;
	return strncmp(got.sun_path, want.sun_path, sizeof(got.sun_path)) == 0;
}

/* ---- the ioctl transaction ------------------------------------------------------------ */

/* The server went away mid-call: the program sees ENODEV, as from an unplugged device. */
static int lost(int fd)
{
	static int told;
	char msg[96];
	int n;

	if (!told++) {
		n = snprintf(msg, sizeof(msg), "iommufd-sim-shim: lost the server on fd %d\n", fd);
		if (n > 0)
			(void)!write(2, msg, n);
	}
	return -1;
}

static int answer(int fd, uint32_t type, const void *p, size_t n)
{
	return send_frame(fd, type, p, n, NULL, 0);
}

/* get_unused_fd_flags() + fd_install() of a queue or access file: an eventfd placeholder. */
static int make_queue_fd(int owner)
{
	int qfd = (int)syscall(SYS_eventfd2, 0, O_CLOEXEC | O_NONBLOCK);

	if (qfd >= 0 && qfd < FD_TABLE) {
		fd_kind[qfd] = FD_QUEUE;
		queue_owner[qfd] = owner;
	}
	return qfd < 0 ? -errno : qfd;
}

/* One ioctl: 0 with the server's result in *ret, or -1 when the connection broke. */
static int serve(int fd, long *ret);

/*
 * open("/dev/vfio/devices/vfioN") (vfio_device_fops_cdev_open): a connection that names
 * device N first; -1 with the server's errno (ENOENT: the machine has no device N).
 */
static int sim_vfio_open(int index, int flags)
{
	unsigned char m[8];
	long ret = 0;
	int fd = sim_connect(flags), rc;

	if (fd < 0)
		return -1;
	put32(m, (uint32_t)index);
	put32(m + 4, (uint32_t)syscall(SYS_getpid));
	pthread_mutex_lock(&lock);
	rc = send_frame(fd, SIM_T_VFIO_OPEN, m, 8, NULL, 0);
	if (!rc)
		rc = serve(fd, &ret);
	pthread_mutex_unlock(&lock);
	if (rc || ret < 0) {
		syscall(SYS_close, fd);
		errno = rc ? ENODEV : (int)-ret;
		return -1;
	}
	if (fd < FD_TABLE)
		fd_kind[fd] = FD_VFIO;
	trace("iommufd-sim-shim: open %s%d -> fd %d\n", VFIO_CDEV_PREFIX, index, fd);
	return fd;
}

/*
 * What a connection to the server is (SIM_T_WHO): FD_IOMMUFD or FD_VFIO, with its number on
 * the server in *number; FD_NONE when the connection broke.
 */
static int who(int fd, uint32_t *number)
{
	long ret = 0;

	if (send_frame(fd, SIM_T_WHO, NULL, 0, NULL, 0) || serve(fd, &ret))
		return FD_NONE;
	*number = (uint32_t)((unsigned long)ret >> 32);
	return ((unsigned long)ret & 0xffffffffu) == SIM_KIND_VFIO ? FD_VFIO : FD_IOMMUFD;
}

/* iommufd_ctx_from_fd() of VFIO_DEVICE_BIND_IOMMUFD: the iommufd's number on the server,
 * -EBADF when fd is not open, -EBADFD when it is not an iommufd. */
static int32_t iommufd_number(int fd)
{
	uint32_t number = 0;

	if (fd < 0 || syscall(SYS_fcntl, fd, F_GETFD) < 0)
		return -EBADF;
	if (fd >= FD_TABLE || (fd_kind[fd] != FD_IOMMUFD && (fd_kind[fd] != FD_NONE || !is_sim_socket(fd))))
		return -EBADFD;
	if (who(fd, &number) != FD_IOMMUFD)
		return -EBADFD;
	fd_kind[fd] = FD_IOMMUFD;
	return (int32_t)number;
}

static int transact(int fd, unsigned int cmd, uintptr_t arg, long *ret)
{
	unsigned char head[16], pre[SIM_PREFETCH_MAX];
	uint32_t prelen = 0;

	/* prefetch the struct: its size field, then that many bytes (a cache, nothing more) */
	if (arg && safe_read(pre, arg, 4) == 0) {
		uint32_t size = get32(pre);
		uint32_t want = size < 4 ? 4 : size > SIM_PREFETCH_MAX ? SIM_PREFETCH_MAX : size;

		prelen = 4;
		if (want > 4 && safe_read(pre, arg, want) == 0)
			prelen = want;
	}
	put32(head, cmd);
	put32(head + 4, (uint32_t)syscall(SYS_getpid)); /* current->mm: a forked child is another */
	put64(head + 8, arg);
	if (send_frame(fd, SIM_T_IOCTL, head, 16, pre, prelen))
		return lost(fd);
	return serve(fd, ret);
}

/* Answer the server's requests until SIM_S_DONE: 0 with its result in *ret, -1 when the
 * connection broke. */
static int serve(int fd, long *ret)
{
	unsigned char *buf = NULL;
	size_t bufcap = 0;

	for (;;) {
		unsigned char h[8];
		uint32_t type, len;

		if (recv_all(fd, h, 8))
			return lost(fd);
		type = get32(h);
		len = get32(h + 4);
		if (len > SIM_MAX_XFER + 64) {
			free(buf);
			return lost(fd);
		}
		if (len > bufcap) {
			unsigned char *nb = realloc(buf, len);

			if (!nb) {
				free(buf);
				return lost(fd);
			}
			buf = nb;
			bufcap = len;
		}
		if (len && recv_all(fd, buf, len)) {
			free(buf);
			return lost(fd);
		}
		switch (type) {
		case SIM_S_READ: {
			uint64_t addr = get64(buf);
			uint32_t n = get32(buf + 8);
			unsigned char *data = n <= SIM_MAX_XFER ? malloc(n ? n : 1) : NULL;
			int rc;

			if (data && safe_read(data, addr, n) == 0)
				rc = answer(fd, SIM_R_DATA, data, n);
			else
				rc = answer(fd, SIM_R_FAULT, NULL, 0);
			free(data);
			if (rc) {
				free(buf);
				return lost(fd);
			}
			break;
		}
		case SIM_S_WRITE: {
			uint64_t addr = get64(buf);
			int ok = safe_write(addr, buf + 8, len - 8) == 0;

			if (answer(fd, ok ? SIM_R_OK : SIM_R_FAULT, NULL, 0)) {
				free(buf);
				return lost(fd);
			}
			break;
		}
		case SIM_S_PROBE: {
			unsigned char r[4];

			put32(r, probe(get64(buf), get64(buf + 8), get32(buf + 16) != 0, len >= 24 ? get32(buf + 20) : 0));
			if (answer(fd, SIM_R_BOOL, r, 4)) {
				free(buf);
				return lost(fd);
			}
			break;
		}
		case SIM_S_HUGE: {
			unsigned char *ranges;
			size_t n = huge_ranges(get64(buf), get64(buf + 8), len >= 20 ? get32(buf + 16) : 0, &ranges);
			int rc = answer(fd, SIM_R_DATA, ranges, n);

			free(ranges);
			if (rc) {
				free(buf);
				return lost(fd);
			}
			break;
		}
		case SIM_S_FSTAT: {
			unsigned char r[28];

			if (answer(fd, SIM_R_DATA, r, len >= 4 ? file_stat((int)get32(buf), r) : 0)) {
				free(buf);
				return lost(fd);
			}
			break;
		}
		case SIM_S_FILEAT: {
			unsigned char r[44];

			if (answer(fd, SIM_R_DATA, r, len >= 8 ? file_at(get64(buf), r) : 0)) {
				free(buf);
				return lost(fd);
			}
			break;
		}
		case SIM_S_NEWFD: {
			unsigned char r[4];

			put32(r, (uint32_t)make_queue_fd(fd));
			if (answer(fd, SIM_R_FD, r, 4)) {
				free(buf);
				return lost(fd);
			}
			break;
		}
		case SIM_S_IOMMUFD: {
			unsigned char r[4];

			put32(r, (uint32_t)(len >= 4 ? iommufd_number((int)get32(buf)) : -EBADF));
			if (answer(fd, SIM_R_FD, r, 4)) {
				free(buf);
				return lost(fd);
			}
			break;
		}
		case SIM_S_DROPFD: {
			int q = (int)get32(buf);

			if (q >= 0 && q < FD_TABLE)
				fd_kind[q] = FD_NONE;
			syscall(SYS_close, q);
			if (answer(fd, SIM_R_OK, NULL, 0)) {
				free(buf);
				return lost(fd);
			}
			break;
		}
		case SIM_S_DONE:
			*ret = (long)get64(buf);
			free(buf);
			return 0;
		default:
			free(buf);
			return lost(fd);
		}
	}
}

/* ---- interposed entry points ---------------------------------------------------------- */

/* The VFS answers these itself, before the driver sees them (do_vfs_ioctl). */
static int vfs_ioctl(unsigned long req)
{
	return req == FIOCLEX || req == FIONCLEX || req == FIONBIO || req == FIOASYNC;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	long ret = 0;
	int rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	resolve();

	if (fd < 0 || fd >= FD_TABLE || (fd_kind[fd] != FD_IOMMUFD && fd_kind[fd] != FD_VFIO)) {
		uint32_t number;
		int kind;

		if (fd < 0 || fd >= FD_TABLE || fd_kind[fd] != FD_NONE || ((req >> 8) & 0xff) != IOMMUFD_TYPE ||
		    !is_sim_socket(fd))
			return real_ioctl(fd, req, arg);
		/* inherited or dup'ed: an iommufd or a VFIO device file (both use type ';') */
		pthread_mutex_lock(&lock);
		kind = who(fd, &number);
		pthread_mutex_unlock(&lock);
		if (kind == FD_NONE) {
			errno = ENODEV;
			return -1;
		}
		fd_kind[fd] = (unsigned char)kind;
	}
	if (vfs_ioctl(req))
		return real_ioctl(fd, req, arg);

	pthread_mutex_lock(&lock);
	rc = transact(fd, (unsigned int)req, (uintptr_t)arg, &ret);
	pthread_mutex_unlock(&lock);
	if (rc) {
		errno = ENODEV;
		return -1;
	}
	trace("iommufd-sim-shim: ioctl(%d, 0x%lx) = %ld\n", fd, req, ret);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (int)ret;
}

EXPORT int close(int fd)
{
	resolve();
	if (fd >= 0 && fd < FD_TABLE && fd_kind[fd] != FD_NONE) {
		if (fd_kind[fd] == FD_QUEUE) {
			int owner = queue_owner[fd];
			unsigned char q[4];

			put32(q, (uint32_t)fd);
			pthread_mutex_lock(&lock);
			if (owner >= 0 && owner < FD_TABLE && fd_kind[owner] == FD_IOMMUFD)
				(void)send_frame(owner, SIM_T_CLOSEFD, q, 4, NULL, 0);
			pthread_mutex_unlock(&lock);
		}
		fd_kind[fd] = FD_NONE;
	}
	return real_close(fd);
}

/* ---- fault and vEVENTQ descriptors: read, write and poll reach the server -------------- */

static int is_queue(int fd)
{
	return fd >= 0 && fd < FD_TABLE && fd_kind[fd] == FD_QUEUE;
}

/* One read/write/poll of queue descriptor qfd on the connection that made it: the server's
 * result (>= 0 or -errno). A queue whose iommufd is gone answers ENODEV (see docs/exec.md). */
static long queue_call(int qfd, uint32_t type, uint64_t buf, uint64_t count)
{
	int owner = queue_owner[qfd];
	unsigned char m[24];
	long ret = 0;
	int rc;

	if (owner < 0 || owner >= FD_TABLE || fd_kind[owner] != FD_IOMMUFD)
		return -ENODEV;
	put32(m, (uint32_t)qfd);
	put32(m + 4, 0);
	put64(m + 8, buf);
	put64(m + 16, count);
	pthread_mutex_lock(&lock);
	rc = send_frame(owner, type, m, type == SIM_T_QPOLL ? 4 : 24, NULL, 0);
	if (!rc)
		rc = serve(owner, &ret);
	pthread_mutex_unlock(&lock);
	if (rc)
		return lost(owner), -ENODEV;
	return ret;
}

static ssize_t queue_rw(int fd, uint32_t type, uintptr_t buf, size_t count)
{
	long r = queue_call(fd, type, buf, count);

	trace("iommufd-sim-shim: %s(%d, %zu) = %ld\n", type == SIM_T_QREAD ? "read" : "write", fd, count, r);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/*
 * read()/write() of a VFIO device file (config space, BARs: vfio_pci_core_read/write) is not
 * emulated: EINVAL, as vfio_device_fops_read answers an unbound file, instead of the socket
 * under the descriptor (which would hang).
 */
static int is_vfio(int fd)
{
	if (fd >= 0 && fd < FD_TABLE && fd_kind[fd] == FD_VFIO) {
		trace("iommufd-sim-shim: read/write of VFIO device fd %d: not emulated (EINVAL)\n", fd);
		errno = EINVAL;
		return 1;
	}
	return 0;
}

EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	resolve();
	if (is_vfio(fd))
		return -1;
	if (!is_queue(fd))
		return real_read(fd, buf, count);
	return queue_rw(fd, SIM_T_QREAD, (uintptr_t)buf, count);
}

EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	resolve();
	if (is_vfio(fd))
		return -1;
	if (!is_queue(fd))
		return real_write(fd, buf, count);
	return queue_rw(fd, SIM_T_QWRITE, (uintptr_t)buf, count);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

/*
 * poll() over a set with queue descriptors: their readiness is the server's
 * (iommufd_eventq_fops_poll), the others' the kernel's. Events reach a queue only through
 * calls into the emulator, so the set is asked again every 10 ms until the timeout.
 */
EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct pollfd *copy;
	long start;
	nfds_t i;
	int any = 0;

	resolve();
	for (i = 0; i < n; i++)
		any |= is_queue(fds[i].fd);
	if (!any)
		return real_poll(fds, n, timeout);
	copy = malloc(n * sizeof(*copy));
	if (!copy) {
		errno = ENOMEM;
		return -1;
	}
	start = now_ms();
	for (;;) {
		int ready = 0, r, wait;
		long left = timeout < 0 ? 10 : timeout - (now_ms() - start);

		for (i = 0; i < n; i++) {
			copy[i] = fds[i];
			if (!is_queue(fds[i].fd))
				continue;
			copy[i].fd = -1;
			long m = queue_call(fds[i].fd, SIM_T_QPOLL, 0, 0);

			fds[i].revents = (short)(m < 0 ? POLLERR : m & (fds[i].events | POLLERR | POLLHUP));
			if (fds[i].revents)
				ready++;
		}
		wait = ready || left <= 0 ? 0 : left < 10 ? (int)left : 10;
		r = real_poll(copy, n, wait);
		if (r < 0) {
			free(copy);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (!is_queue(fds[i].fd))
				fds[i].revents = copy[i].revents;
		if (ready + r > 0 || (timeout >= 0 && now_ms() - start >= timeout)) {
			free(copy);
			return ready + r;
		}
	}
}

/* ---- mmap() of the iommufd: vIOMMU regions ------------------------------------------- */

/* The program's mappings of iommufd regions: munmap() of one ends it on the server. */
#define MAX_SIM_MAPS 256
static struct sim_map {
	uintptr_t addr;
	size_t len;
	int owner;
	int id;
} sim_maps[MAX_SIM_MAPS];
static int n_sim_maps;

/*
 * The server checks the call (ksys_mmap_pgoff, iommufd_fops_mmap) and writes the region's bytes
 * into a shared anonymous mapping made here, which then moves to a MAP_FIXED address and gets
 * the protection asked for.
 */
static void *sim_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	size_t plen = (len + 4095) & ~(size_t)4095;
	unsigned char m[32];
	void *tmp = NULL, *res;
	long ret = 0;
	int rc;

	if (len && plen >= len) {
		tmp = real_mmap(NULL, plen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (tmp == MAP_FAILED) {
			errno = ENOMEM;
			return MAP_FAILED;
		}
	}
	put64(m, (uintptr_t)tmp);
	put64(m + 8, len);
	put64(m + 16, (uint64_t)off);
	put32(m + 24, (uint32_t)prot);
	put32(m + 28, (uint32_t)flags);
	pthread_mutex_lock(&lock);
	rc = send_frame(fd, SIM_T_MMAP, m, 32, NULL, 0);
	if (!rc)
		rc = serve(fd, &ret);
	pthread_mutex_unlock(&lock);
	if (rc) {
		lost(fd);
		ret = -ENODEV;
	}
	trace("iommufd-sim-shim: mmap(%d, 0x%zx, off 0x%llx) = %ld\n", fd, len, (unsigned long long)off, ret);
	if (ret <= 0) {
		if (tmp)
			real_munmap(tmp, plen);
		errno = ret < 0 ? (int)-ret : EIO;
		return MAP_FAILED;
	}
	res = tmp;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		res = mremap(tmp, plen, plen, MREMAP_MAYMOVE | MREMAP_FIXED, addr);
	if (res != MAP_FAILED && prot != (PROT_READ | PROT_WRITE) && mprotect(res, plen, prot))
		res = MAP_FAILED;
	pthread_mutex_lock(&lock);
	if (res == MAP_FAILED || n_sim_maps == MAX_SIM_MAPS) {
		int e = res == MAP_FAILED ? errno : ENOMEM;

		put32(m, (uint32_t)ret);
		(void)send_frame(fd, SIM_T_MUNMAP, m, 4, NULL, 0);
		pthread_mutex_unlock(&lock);
		real_munmap(res == MAP_FAILED ? tmp : res, plen);
		errno = e;
		return MAP_FAILED;
	}
	sim_maps[n_sim_maps++] = (struct sim_map){ (uintptr_t)res, plen, fd, (int)ret };
	pthread_mutex_unlock(&lock);
	return res;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	resolve();
	if (fd < 0 || fd >= FD_TABLE || fd_kind[fd] != FD_IOMMUFD) {
		if (fd < 0 || fd >= FD_TABLE || fd_kind[fd] != FD_NONE || (flags & MAP_ANONYMOUS) || !is_sim_socket(fd))
			return real_mmap(addr, len, prot, flags, fd, off);
		fd_kind[fd] = FD_IOMMUFD;
	}
	return sim_mmap(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* munmap() touching a region's mapping ends it (iommufd_fops_vma_close), then unmaps. */
EXPORT int munmap(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;
	int i;

	resolve();
	if (n_sim_maps) {
		pthread_mutex_lock(&lock);
		for (i = 0; i < n_sim_maps;) {
			struct sim_map *m = &sim_maps[i];

			if (a < m->addr + m->len && m->addr < a + len) {
				unsigned char q[4];

				put32(q, (uint32_t)m->id);
				if (m->owner >= 0 && m->owner < FD_TABLE && fd_kind[m->owner] == FD_IOMMUFD)
					(void)send_frame(m->owner, SIM_T_MUNMAP, q, 4, NULL, 0);
				sim_maps[i] = sim_maps[--n_sim_maps];
				continue;
			}
			i++;
		}
		pthread_mutex_unlock(&lock);
	}
	return real_munmap(addr, len);
}

/* dup2/dup3 onto a descriptor closes what it was; a copy of an iommufd is an iommufd */
static void after_dup(int oldfd, int newfd)
{
	if (newfd < 0 || newfd >= FD_TABLE || newfd == oldfd)
		return;
	fd_kind[newfd] = oldfd >= 0 && oldfd < FD_TABLE && (fd_kind[oldfd] == FD_IOMMUFD || fd_kind[oldfd] == FD_VFIO)
				 ? fd_kind[oldfd]
				 : FD_NONE;
}

EXPORT int dup2(int oldfd, int newfd)
{
	int r;

	resolve();
	r = real_dup2(oldfd, newfd);
	if (r >= 0)
		after_dup(oldfd, r);
	return r;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int r;

	resolve();
	r = real_dup3(oldfd, newfd, flags);
	if (r >= 0)
		after_dup(oldfd, r);
	return r;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

/* ---- /proc/PID/status: VmPin and VmLck carry the emulator's pinned-page accounting ------ */

/*
 * "/proc/self/status" or "/proc/<pid>/status": the pid it names (0 when it is not such a path).
 */
static pid_t proc_status_pid(const char *path)
{
	const char *p;
	long pid = 0;

	if (!path || strncmp(path, "/proc/", 6) != 0)
		return 0;
	p = path + 6;
	if (strncmp(p, "self/", 5) == 0) {
		pid = (long)syscall(SYS_getpid);
		p += 4;
	} else {
		if (*p < '1' || *p > '9')
			return 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			pid = pid * 10 + (*p - '0');
			if (pid > INT_MAX)
				return 0;
		}
	}
	return strcmp(p, "/status") == 0 ? (pid_t)pid : 0;
}

/* One of the process's iommufd connections (any: they share the emulator), or -1. */
static int any_iommufd(void)
{
	for (int fd = 0; fd < FD_TABLE; fd++)
		if (fd_kind[fd] == FD_IOMMUFD)
			return fd;
	return -1;
}

/* Rewrites the value of line "tag\t%8lu kB" in buf (host's figure + add kB); 0 on success. */
static int status_add(char *out, size_t cap, size_t *n, const char *line, size_t len, const char *tag,
		      unsigned long add)
{
	size_t tl = strlen(tag);
	int w;

	if (len < tl || memcmp(line, tag, tl) != 0)
		return 1;
	w = snprintf(out + *n, cap - *n, "%s\t%8lu kB\n", tag, strtoul(line + tl, NULL, 10) + add);
	if (w < 0 || (size_t)w >= cap - *n)
		return -1;
	*n += (size_t)w;
	return 0;
}

/*
 * open() of /proc/PID/status for reading while the emulator serves this process: a memfd
 * holding the host's file with the emulator's mm->pinned_vm added to VmPin and its
 * mm->locked_vm to VmLck (SIM_T_VMSTAT), positioned at 0. -1 when anything fails: the caller
 * then opens the real file.
 */
static int status_fd(pid_t pid, int flags)
{
	char host[16384], out[16640];
	unsigned char m[4], h[8], a[16];
	size_t hn = 0, n = 0;
	unsigned long pinned, locked;
	int conn, fd, rc;
	ssize_t r;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_PATH | O_DIRECTORY | O_CREAT | O_TMPFILE)) ||
	    !getenv("IOMMUFD_SIM_SOCKET"))
		return -1;
	pthread_mutex_lock(&lock);
	conn = any_iommufd();
	if (conn < 0) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	put32(m, (uint32_t)pid);
	rc = send_frame(conn, SIM_T_VMSTAT, m, 4, NULL, 0);
	if (!rc)
		rc = recv_all(conn, h, 8);
	if (!rc && (get32(h) != SIM_S_DONE || get32(h + 4) != 16))
		rc = -1; /* out of step: give up on this connection's answer */
	if (!rc)
		rc = recv_all(conn, a, 16);
	pthread_mutex_unlock(&lock);
	if (rc)
		return -1;
	pinned = (unsigned long)get64(a);
	locked = (unsigned long)get64(a + 8);

	{
		char path[32];

		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		fd = real_open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	while (hn < sizeof(host) && (r = real_read(fd, host + hn, sizeof(host) - hn)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		hn += (size_t)r;
	}
	syscall(SYS_close, fd);
	if (hn == 0 || hn == sizeof(host))
		return -1;
	for (size_t i = 0; i < hn;) {
		const char *line = host + i;
		const char *nl = memchr(line, '\n', hn - i);
		size_t len = nl ? (size_t)(nl - line) + 1 : hn - i;

		rc = status_add(out, sizeof(out), &n, line, len, "VmPin:", pinned);
		if (rc > 0)
			rc = status_add(out, sizeof(out), &n, line, len, "VmLck:", locked);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			if (len > sizeof(out) - n)
				return -1;
			memcpy(out + n, line, len);
			n += len;
		}
		i += len;
	}
	fd = (int)syscall(SYS_memfd_create, "iommufd-sim-status", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return -1;
	if (real_write(fd, out, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0) {
		syscall(SYS_close, fd);
		return -1;
	}
	trace("iommufd-sim-shim: /proc/%d/status -> fd %d (VmPin +%lu kB, VmLck +%lu kB)\n", (int)pid, fd, pinned, locked);
	return fd;
}

/* open(path, flags) of a /proc status file: the emulator's view, or -1 (use the real one). */
static int maybe_status(const char *path, int flags)
{
	pid_t pid = proc_status_pid(path);

	return pid > 0 ? status_fd(pid, flags) : -1;
}

/*
 * What every open wrapper asks first: is this /dev/iommu (a new context on the server), a VFIO
 * device cdev (a device file on the server) or a /proc status file whose VmPin/VmLck the
 * emulator adjusts? If so, *fd is the answer.
 */
static int intercepted(const char *path, int flags, int *fd)
{
	int index;

	resolve();
	if (is_dev_iommu(path) && getenv("IOMMUFD_SIM_SOCKET")) {
		*fd = sim_open(flags);
		return 1;
	}
	index = vfio_cdev_index(path);
	if (index >= 0 && getenv("IOMMUFD_SIM_SOCKET")) {
		*fd = sim_vfio_open(index, flags);
		return 1;
	}
	*fd = maybe_status(path, flags);
	return *fd >= 0;
}

static FILE *status_fopen(const char *path, const char *mode)
{
	pid_t pid = proc_status_pid(path);
	FILE *f;
	int fd;

	if (pid <= 0 || !mode || mode[0] != 'r' || strchr(mode, '+'))
		return NULL;
	fd = status_fd(pid, O_RDONLY | (strchr(mode, 'e') ? O_CLOEXEC : 0));
	if (fd < 0)
		return NULL;
	f = fdopen(fd, mode);
	if (!f)
		syscall(SYS_close, fd);
	return f;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	FILE *f;

	resolve();
	f = status_fopen(path, mode);
	return f ? f : real_fopen(path, mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
	FILE *f;

	resolve();
	f = status_fopen(path, mode);
	return f ? f : (real_fopen64 ? real_fopen64 : real_fopen)(path, mode);
}

EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int st;

	if (intercepted(path, flags, &st))
		return st;
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return real_open(path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int st;

	if (intercepted(path, flags, &st))
		return st;
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return (real_open64 ? real_open64 : real_open)(path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int st;

	if (intercepted(path, flags, &st))
		return st;
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return real_openat(dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int st;

	if (intercepted(path, flags, &st))
		return st;
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return (real_openat64 ? real_openat64 : real_openat)(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE variants */
EXPORT int __open_2(const char *path, int flags)
{
	int st;

	if (intercepted(path, flags, &st))
		return st;
	return real___open_2(path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
	int st;

	if (intercepted(path, flags, &st))
		return st;
	return (real___open64_2 ? real___open64_2 : real___open_2)(path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	int st;

	if (intercepted(path, flags, &st))
		return st;
	return real___openat_2(dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	int st;

	if (intercepted(path, flags, &st))
		return st;
	return (real___openat64_2 ? real___openat64_2 : real___openat_2)(dirfd, path, flags);
}
