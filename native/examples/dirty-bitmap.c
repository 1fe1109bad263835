/*
 * dirty-bitmap: dirty tracking through iommufd, the same binary for the real kernel (built
 * with CONFIG_IOMMUFD_TEST) and for `iommufd-sim exec`.
 *
 * IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP (with and without
 * IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) and the selftest's IOMMU_TEST_OP_DIRTY on the mock
 * IOMMU: the errno of every argument check, in the kernel's order, and which bits the kernel
 * sets for which dirty IOPTEs (2 KiB mock pages inside 4 KiB CPU pages, page sizes other
 * than the IOPTE's, ranges that are partly mapped, bitmaps in unmapped memory).
 *
 *   dirty-bitmap          small pages only (IOMMU_OPTION_HUGE_PAGES off, as the selftest)
 *   dirty-bitmap huge     also 2 MiB hugetlb memory in the default and the huge page table
 *                         (needs vm.nr_hugepages > 0)
 *
 * It prints what the kernel answered, one line per call; it asserts nothing. Exit status 0
 * unless the setup itself failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

/*
 * The parts of drivers/iommu/iommufd/iommufd_test.h (Linux 7.2) used here: struct
 * iommu_test_cmd with its union padded to the kernel's 48 bytes.
 */
#define IOMMU_TEST_OP_MOCK_DOMAIN 2
#define IOMMU_TEST_OP_DIRTY 13
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define MOCK_IOMMUPT_HUGE 1
#define MOCK_APERTURE_START (1UL << 24)
#define MOCK_PAGE_SIZE 2048UL
struct test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		__u8 pad[48];
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

struct hwpt_selftest {
	__u32 iotlb;
	__u32 pagetable_type;
};

#define BUF (64UL * 1024)
#define HUGE (2UL << 20)

static int fd;
/* "zero-length": also the read that records a zero-length range (the kernel may loop) */
static int zero_length;

static const char *err(int rc)
{
	static char b[32];

	if (rc == 0)
		return "ok";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EOVERFLOW: return "EOVERFLOW";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	}
	snprintf(b, sizeof(b), "errno %d", errno);
	return b;
}

/* The set bits of an nbits bitmap as ranges: "bits 0,4-7" or "bits none". */
static void print_bits(const char *label, int rc, const unsigned char *map, unsigned long nbits)
{
	unsigned long i, start;
	int any = 0;

	printf("%s: %s bits", label, err(rc));
	for (i = 0; i < nbits; i++) {
		if (!(map[i / 8] & (1 << (i % 8))))
			continue;
		start = i;
		while (i + 1 < nbits && (map[(i + 1) / 8] & (1 << ((i + 1) % 8))))
			i++;
		if (start == i)
			printf("%s%lu", any ? "," : " ", start);
		else
			printf("%s%lu-%lu", any ? "," : " ", start, i);
		any = 1;
	}
	printf("%s\n", any ? "" : " none");
}

static __u32 ioas_alloc(void)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd)) {
		perror("IOMMU_IOAS_ALLOC");
		exit(1);
	}
	return cmd.out_ioas_id;
}

static int map_fixed(__u32 ioas, void *va, __u64 length, __u64 iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas, .user_va = (uintptr_t)va, .length = length, .iova = iova,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &cmd);
}

static int unmap(__u32 ioas, __u64 iova, __u64 length)
{
	struct iommu_ioas_unmap cmd = { .size = sizeof(cmd), .ioas_id = ioas, .iova = iova, .length = length };

	return ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
}

static int huge_pages_off(__u32 ioas)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd), .option_id = IOMMU_OPTION_HUGE_PAGES, .op = IOMMU_OPTION_OP_SET,
		.object_id = ioas, .val64 = 0,
	};

	return ioctl(fd, IOMMU_OPTION, &cmd);
}

static void mock_domain(__u32 pt, __u32 *idev)
{
	struct test_cmd cmd = { .size = sizeof(cmd), .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = pt };

	if (ioctl(fd, IOMMU_TEST_CMD, &cmd)) {
		perror("IOMMU_TEST_OP_MOCK_DOMAIN");
		exit(1);
	}
	*idev = cmd.mock_domain.out_idev_id;
}

static int hwpt_alloc(__u32 idev, __u32 pt, __u32 flags, int huge_pt, __u32 *out)
{
	struct hwpt_selftest data = { .pagetable_type = MOCK_IOMMUPT_HUGE };
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = flags, .dev_id = idev, .pt_id = pt,
	};
	int rc;

	if (huge_pt) {
		cmd.data_type = IOMMU_HWPT_DATA_SELFTEST;
		cmd.data_len = sizeof(data);
		cmd.data_uptr = (uintptr_t)&data;
	}
	rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);
	*out = cmd.out_hwpt_id;
	return rc;
}

static int set_tracking(__u32 hwpt, __u32 flags, __u32 reserved)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd), .flags = flags, .hwpt_id = hwpt, .__reserved = reserved,
	};

	return ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int get_bitmap(__u32 hwpt, __u32 flags, __u32 reserved, __u64 iova, __u64 length, __u64 page_size, void *data)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd), .hwpt_id = hwpt, .flags = flags, .__reserved = reserved,
		.iova = iova, .length = length, .page_size = page_size, .data = (uintptr_t)data,
	};

	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

/* IOMMU_TEST_OP_DIRTY with the raw arguments; *nr gets out_nr_dirty. */
static int test_dirty_raw(__u32 hwpt, __u64 iova, __u64 length, __u64 page_size, void *uptr, __u64 *nr)
{
	struct test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_DIRTY, .id = hwpt,
		.dirty = { .iova = iova, .length = length, .page_size = page_size, .uptr = (uintptr_t)uptr },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	*nr = cmd.dirty.out_nr_dirty;
	return rc;
}

/* Mark the 2 KiB mock pages idx[] (from iova) dirty; prints the answer. */
static void test_dirty(const char *label, __u32 hwpt, __u64 iova, const int *idx, int n)
{
	unsigned char map[8192] = { 0 };
	__u64 nr = 0;
	int i, rc;

	for (i = 0; i < n; i++)
		map[idx[i] / 8] |= 1 << (idx[i] % 8);
	rc = test_dirty_raw(hwpt, iova, sizeof(map) * 8 * MOCK_PAGE_SIZE, MOCK_PAGE_SIZE, map, &nr);
	printf("%s: %s out_nr_dirty %llu\n", label, err(rc), (unsigned long long)nr);
}

/*
 * GET_DIRTY_BITMAP into a cleared, page-aligned bitmap; prints the bits, and how many bytes
 * after the bitmap's last byte the kernel wrote (it may set bits past the end in the page).
 */
static void get(const char *label, __u32 hwpt, __u32 flags, __u64 iova, __u64 length, __u64 page_size)
{
	static unsigned char map[65536] __attribute__((aligned(4096)));
	/* the kernel's bit count: one bit per 2^__ffs(page_size) */
	unsigned long nbits = page_size && length ? ((length - 1) >> __builtin_ctzl(page_size)) + 1 : 0;
	unsigned long bytes, i, end = 0;
	int rc;

	if (nbits > sizeof(map) * 8)
		nbits = sizeof(map) * 8;
	bytes = (nbits + 7) / 8;
	memset(map, 0, sizeof(map));
	rc = get_bitmap(hwpt, flags, 0, iova, length, page_size, map);
	for (i = bytes; i < sizeof(map); i++)
		if (map[i])
			end = i + 1;
	if (end) {
		printf("%s: wrote past the bitmap's %lu bytes, up to byte %lu\n", label, bytes, end - 1);
		print_bits(label, rc, map, end * 8);
		return;
	}
	print_bits(label, rc, map, nbits);
}

static void errno_line(const char *label, int rc)
{
	printf("%s: %s\n", label, err(rc));
}

static void small_pages(void)
{
	const __u64 base = MOCK_APERTURE_START;
	unsigned char map[64];
	__u32 ioas, idev, plain, d, auto_hwpt;
	void *buf;
	unsigned char *two;
	__u64 nr;

	ioas = ioas_alloc();
	errno_line("option huge_pages 0", huge_pages_off(ioas));
	{
		struct test_cmd cmd = { .size = sizeof(cmd), .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas };

		if (ioctl(fd, IOMMU_TEST_CMD, &cmd)) {
			perror("IOMMU_TEST_OP_MOCK_DOMAIN");
			exit(1);
		}
		idev = cmd.mock_domain.out_idev_id;
		auto_hwpt = cmd.mock_domain.out_hwpt_id;
	}
	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	errno_line("map 64K at 16M", map_fixed(ioas, buf, BUF, base));

	/* a HWPT without dirty_ops */
	errno_line("hwpt_alloc flags 0", hwpt_alloc(idev, ioas, 0, 0, &plain));
	errno_line("set_dirty_tracking no dirty_ops", set_tracking(plain, IOMMU_HWPT_DIRTY_TRACKING_ENABLE, 0));
	get("get_dirty_bitmap no dirty_ops", plain, 0, base, BUF, MOCK_PAGE_SIZE);
	get("get_dirty_bitmap auto domain", auto_hwpt, 0, base, BUF, MOCK_PAGE_SIZE);
	get("get_dirty_bitmap no dirty_ops page_size 0", plain, 0, base, BUF, 0);

	errno_line("hwpt_alloc DIRTY_TRACKING", hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, &d));

	/* iommufd_hwpt_set_dirty_tracking(): flags, then the HWPT_PAGING lookup */
	errno_line("set_dirty_tracking flags 2", set_tracking(d, 2, 0));
	errno_line("set_dirty_tracking flags 2 bad id", set_tracking(9999, 2, 0));
	errno_line("set_dirty_tracking on the IOAS", set_tracking(ioas, 1, 0));
	errno_line("set_dirty_tracking bad id", set_tracking(9999, 1, 0));
	{
		int idx[] = { 0 };

		test_dirty("test_dirty before enable", d, base, idx, 1);
	}
	errno_line("set_dirty_tracking disable while off", set_tracking(d, 0, 0));
	errno_line("set_dirty_tracking enable __reserved 5", set_tracking(d, 1, 5));
	errno_line("set_dirty_tracking enable again", set_tracking(d, 1, 0));

	/* which bits: 2K IOPTEs, mapped 4K at a time */
	{
		int idx[] = { 1, 4 };

		test_dirty("test_dirty 1,4", d, base, idx, 2);
		get("get", d, 0, base, BUF, MOCK_PAGE_SIZE);
		get("get again", d, 0, base, BUF, MOCK_PAGE_SIZE);
	}
	{
		int idx[] = { 2, 3 };

		test_dirty("test_dirty 2,3", d, base, idx, 2);
		get("get NO_CLEAR", d, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, base, BUF, MOCK_PAGE_SIZE);
		get("get NO_CLEAR again", d, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, base, BUF, MOCK_PAGE_SIZE);
		get("get", d, 0, base, BUF, MOCK_PAGE_SIZE);
		get("get again", d, 0, base, BUF, MOCK_PAGE_SIZE);
	}
	{
		int idx[] = { 6, 9, 31 };

		test_dirty("test_dirty 6,9,31", d, base, idx, 3);
		get("get page_size 4K NO_CLEAR", d, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, base, BUF, 4096);
		get("get page_size 16K NO_CLEAR", d, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, base, BUF, 16384);
		get("get page_size 64K NO_CLEAR", d, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, base, BUF, BUF);
		get("get page_size 6K length 48K NO_CLEAR", d, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, base, 48 * 1024, 6 * 1024);
		get("get from 16M+8K length 8K", d, 0, base + 8192, 8192, MOCK_PAGE_SIZE);
		get("get the rest", d, 0, base, BUF, MOCK_PAGE_SIZE);
	}

	/* iommufd_hwpt_get_dirty_bitmap() and iommufd_check_iova_range(), in order */
	get("get flags 2", d, 2, base, BUF, MOCK_PAGE_SIZE);
	errno_line("get __reserved 1", get_bitmap(d, 0, 1, base, BUF, MOCK_PAGE_SIZE, map));
	get("get flags 2 bad id", 9999, 2, base, BUF, MOCK_PAGE_SIZE);
	get("get bad id page_size 0", 9999, 0, base, BUF, 0);
	get("get on the IOAS", ioas, 0, base, BUF, MOCK_PAGE_SIZE);
	get("get length 0", d, 0, base, 0, MOCK_PAGE_SIZE);
	get("get iova+length wraps", d, 0, -4096UL, 8192, MOCK_PAGE_SIZE);
	get("get length 2K (IOAS alignment 4K)", d, 0, base, 2048, MOCK_PAGE_SIZE);
	get("get iova 16M+2K", d, 0, base + 2048, 4096, MOCK_PAGE_SIZE);
	get("get page_size 0", d, 0, base, BUF, 0);
	get("get iova not page_size aligned", d, 0, base + 4096, BUF - 4096, BUF);
	get("get length not page_size aligned", d, 0, base, 8192 + 4096, 8192);
	get("get page_size 3 length 12K", d, 0, base, 12288, 3);
	get("get page_size 4K wrap check", d, 0, base, 4096, 1UL << 63);

	/* unmapped and partly mapped ranges */
	{
		int idx[] = { 0 };
		int idx2[] = { 31 };

		test_dirty("test_dirty unmapped 32M", d, 2 * base, idx, 1);
		get("get unmapped 32M", d, 0, 2 * base, 4096, MOCK_PAGE_SIZE);
		test_dirty("test_dirty 31", d, base, idx2, 1);
		get("get 16M+60K length 8K", d, 0, base + 60 * 1024, 8192, MOCK_PAGE_SIZE);
		test_dirty("test_dirty 31", d, base, idx2, 1);
		get("get 16M-4K length 128K", d, 0, base - 4096, 2 * BUF, MOCK_PAGE_SIZE);
	}

	/* bitmaps the kernel cannot pin: bits dropped, the IOPTEs cleared all the same */
	{
		int idx[] = { 0, 20 };

		test_dirty("test_dirty 0,20", d, base, idx, 2);
		errno_line("get data NULL", get_bitmap(d, 0, 0, base, BUF, MOCK_PAGE_SIZE, NULL));
		get("get after data NULL", d, 0, base, BUF, MOCK_PAGE_SIZE);
		test_dirty("test_dirty 0,20", d, base, idx, 2);
		errno_line("get data NULL NO_CLEAR", get_bitmap(d, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 0, base, BUF, MOCK_PAGE_SIZE, NULL));
		get("get after data NULL NO_CLEAR", d, 0, base, BUF, MOCK_PAGE_SIZE);

		two = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (two == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		munmap(two + 4096, 4096);
		memset(two, 0, 4096);
		test_dirty("test_dirty 0,20", d, base, idx, 2);
		errno_line("get into a bitmap whose second page is unmapped",
			   get_bitmap(d, 0, 0, base, BUF, MOCK_PAGE_SIZE, two + 4096 - 2));
		print_bits("  its first two bytes", 0, two + 4096 - 2, 16);
		get("get after", d, 0, base, BUF, MOCK_PAGE_SIZE);
		memset(two, 0xf0, 4096);
		test_dirty("test_dirty 0,20", d, base, idx, 2);
		errno_line("get into a bitmap holding 0xf0", get_bitmap(d, 0, 0, base, BUF, MOCK_PAGE_SIZE, two));
		print_bits("  its first four bytes", 0, two, 32);
		memset(two, 0, 4096);
		mprotect(two, 4096, PROT_READ);
		test_dirty("test_dirty 0,20", d, base, idx, 2);
		errno_line("get into a read-only bitmap", get_bitmap(d, 0, 0, base, BUF, MOCK_PAGE_SIZE, two));
		print_bits("  its first four bytes", 0, two, 32);
		get("get after", d, 0, base, BUF, MOCK_PAGE_SIZE);
		munmap(two, 4096);
	}

	/* IOMMU_TEST_OP_DIRTY's own checks */
	memset(map, 0xff, sizeof(map));
	errno_line("test_dirty page_size 0", test_dirty_raw(d, base, BUF, 0, map, &nr));
	errno_line("test_dirty length 0", test_dirty_raw(d, base, 0, MOCK_PAGE_SIZE, map, &nr));
	errno_line("test_dirty iova unaligned", test_dirty_raw(d, base + 1024, BUF, MOCK_PAGE_SIZE, map, &nr));
	errno_line("test_dirty length unaligned", test_dirty_raw(d, base, BUF + 1024, MOCK_PAGE_SIZE, map, &nr));
	errno_line("test_dirty uptr NULL", test_dirty_raw(d, base, BUF, MOCK_PAGE_SIZE, NULL, &nr));
	errno_line("test_dirty uptr NULL bad id", test_dirty_raw(9999, base, BUF, MOCK_PAGE_SIZE, NULL, &nr));
	errno_line("test_dirty 2^27+1 bits", test_dirty_raw(d, 0, (1UL << 27) + 1, 1, map, &nr));
	errno_line("test_dirty 2^27+1 bits bad id", test_dirty_raw(9999, 0, (1UL << 27) + 1, 1, map, &nr));
	errno_line("test_dirty bad id", test_dirty_raw(9999, base, BUF, MOCK_PAGE_SIZE, map, &nr));
	errno_line("test_dirty on the IOAS", test_dirty_raw(ioas, base, BUF, MOCK_PAGE_SIZE, map, &nr));
	errno_line("test_dirty on a HWPT without dirty_ops", test_dirty_raw(plain, base, BUF, MOCK_PAGE_SIZE, map, &nr));
	errno_line("test_dirty uptr unmapped", test_dirty_raw(d, base, BUF, MOCK_PAGE_SIZE, (void *)16, &nr));
	{
		__u64 n2 = 0;
		int rc = test_dirty_raw(d, base, 64 * MOCK_PAGE_SIZE, MOCK_PAGE_SIZE, map, &n2);

		printf("test_dirty 64 bits over 32 mapped pages: %s out_nr_dirty %llu\n", err(rc), (unsigned long long)n2);
		get("get", d, 0, base, 2 * BUF, MOCK_PAGE_SIZE);
	}

	/* tracking off and on again */
	{
		int idx8[] = { 8 };
		int idx10[] = { 10 };

		test_dirty("test_dirty 8", d, base, idx8, 1);
		errno_line("set_dirty_tracking disable", set_tracking(d, 0, 0));
		test_dirty("test_dirty while disabled", d, base, idx8, 1);
		get("get while disabled", d, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, base, BUF, MOCK_PAGE_SIZE);
		errno_line("set_dirty_tracking enable", set_tracking(d, 1, 0));
		get("get after enable", d, 0, base, BUF, MOCK_PAGE_SIZE);
		test_dirty("test_dirty 10", d, base, idx10, 1);
		errno_line("unmap 16M 64K", unmap(ioas, base, BUF));
		errno_line("map 64K at 16M", map_fixed(ioas, buf, BUF, base));
		get("get after unmap and map", d, 0, base, BUF, MOCK_PAGE_SIZE);
	}
	errno_line("destroy dirty hwpt", ioctl(fd, IOMMU_DESTROY, &(struct iommu_destroy){ .size = sizeof(struct iommu_destroy), .id = d }));
}

static void huge_pages(void)
{
	const __u64 base = MOCK_APERTURE_START;
	__u32 ioas, idev, dd, dh;
	void *buf;

	ioas = ioas_alloc();
	mock_domain(ioas, &idev);
	buf = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		printf("hugetlb: mmap failed (%s); set vm.nr_hugepages\n", strerror(errno));
		exit(1);
	}
	errno_line("huge: map 2M hugetlb at 16M", map_fixed(ioas, buf, HUGE, base));

	errno_line("huge: hwpt_alloc DIRTY_TRACKING default page table", hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, &dd));
	errno_line("huge: set_dirty_tracking", set_tracking(dd, 1, 0));
	{
		int idx[] = { 600 };
		int idx0[] = { 0 };

		test_dirty("huge: test_dirty 600", dd, base, idx, 1);
		get("huge: get", dd, 0, base, HUGE, MOCK_PAGE_SIZE);
		test_dirty("huge: test_dirty 0", dd, base, idx0, 1);
		get("huge: get", dd, 0, base, HUGE, MOCK_PAGE_SIZE);
	}

	errno_line("huge: hwpt_alloc DIRTY_TRACKING MOCK_IOMMUPT_HUGE", hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 1, &dh));
	errno_line("huge: set_dirty_tracking", set_tracking(dh, 1, 0));
	{
		int idx[] = { 3, 600 };
		int idx5[] = { 5 };

		test_dirty("huge: test_dirty 3,600", dh, base, idx, 2);
		get("huge: get NO_CLEAR", dh, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, base, HUGE, MOCK_PAGE_SIZE);
		get("huge: get page_size 1M", dh, 0, base, HUGE, 1UL << 20);
		test_dirty("huge: test_dirty 5", dh, base, idx5, 1);
		get("huge: get 16M+8K length 8K", dh, 0, base + 8192, 8192, MOCK_PAGE_SIZE);
		get("huge: get the rest", dh, 0, base, HUGE, MOCK_PAGE_SIZE);
	}
	if (zero_length) {
		/*
		 * The default page table maps the 2M page as two contiguous 1M IOPTEs; reading from
		 * the second one records a zero-length range (record_dirty(), generic_pt): what does
		 * iova_bitmap_set() do with it?
		 */
		int idx0[] = { 0 };

		test_dirty("huge: test_dirty 0", dd, base, idx0, 1);
		fflush(stdout);
		get("huge: get from 16M+1M", dd, 0, base + (1UL << 20), 1UL << 20, MOCK_PAGE_SIZE);
	}
}

int main(int argc, char **argv)
{
	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		perror("open /dev/iommu");
		return 1;
	}
	zero_length = argc > 2 && !strcmp(argv[2], "zero-length");
	if (argc > 1 && !strcmp(argv[1], "huge-only")) {
		huge_pages();
		return 0;
	}
	small_pages();
	if (argc > 1 && !strcmp(argv[1], "huge"))
		huge_pages();
	return 0;
}
