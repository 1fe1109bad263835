/*
 * vfio-compat: the VFIO type1 container ioctls on an iommufd (drivers/iommu/iommufd/
 * vfio_compat.c), the same binary for the real kernel (CONFIG_IOMMUFD_TEST) and for
 * `iommufd-sim exec`. It prints what each call answered, including the bytes the kernel
 * writes back, so the two outputs can be compared line by line (vfio-compat.expected was
 * recorded on Linux 7.2). Exit status 0 unless the set-up itself fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

/* struct iommu_test_cmd (iommufd_test.h, Linux 7.2): the part used here, union padded to 48 bytes. */
#define IOMMU_TEST_OP_MOCK_DOMAIN 2
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
		__u8 pad[48];
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

#define PAGE 4096UL
#define MOCK_APERTURE_START (1UL << 24)
#define HUGE (2UL << 20)

static unsigned char info_buf[2 * PAGE] __attribute__((aligned(4096)));

/* "name: rc" or "name: err ERRNO" */
static void say(const char *name, int rc)
{
	if (rc < 0)
		printf("%s: err %d\n", name, errno);
	else
		printf("%s: %d\n", name, rc);
}

static __u32 ioas_alloc(int fd)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd))
		perror("IOMMU_IOAS_ALLOC");
	return cmd.out_ioas_id;
}

static int mock_domain(int fd, __u32 ioas_id)
{
	struct test_cmd cmd = { .size = sizeof(cmd), .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas_id };

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int vfio_ioas(int fd, __u16 op, __u32 *ioas_id)
{
	struct iommu_vfio_ioas cmd = { .size = sizeof(cmd), .op = op, .ioas_id = *ioas_id };
	int rc = ioctl(fd, IOMMU_VFIO_IOAS, &cmd);

	*ioas_id = cmd.ioas_id;
	return rc;
}

static int map_dma(int fd, __u32 flags, void *va, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd), .flags = flags, .vaddr = (uintptr_t)va, .iova = iova, .size = size,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd);
}

/* UNMAP_DMA; prints the answer and the size field found in the struct afterwards */
static void unmap_dma(const char *name, int fd, __u32 flags, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_unmap cmd = { .argsz = sizeof(cmd), .flags = flags, .iova = iova, .size = size };
	int rc = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd);

	if (rc < 0)
		printf("%s: err %d size 0x%llx\n", name, errno, (unsigned long long)cmd.size);
	else
		printf("%s: %d size 0x%llx\n", name, rc, (unsigned long long)cmd.size);
}

/* GET_INFO into a 0xAA-filled buffer of argsz bytes; prints the answer and the first 112 bytes as u32 words */
static void get_info(const char *name, int fd, unsigned char *buf, __u32 argsz)
{
	int rc;

	memset(buf, 0xAA, 112);
	memcpy(buf, &argsz, sizeof(argsz));
	rc = ioctl(fd, VFIO_IOMMU_GET_INFO, buf);
	say(name, rc);
	for (int i = 0; i < 112; i += 16) {
		__u32 w[4];

		memcpy(w, buf + i, sizeof(w));
		printf("  %3d: %08x %08x %08x %08x\n", i, w[0], w[1], w[2], w[3]);
	}
}

static int open_compat(__u32 *ioas_id, int with_mock, unsigned long type)
{
	int fd = open("/dev/iommu", O_RDWR);

	if (fd < 0) {
		perror("open /dev/iommu");
		return -1;
	}
	*ioas_id = ioas_alloc(fd);
	if (with_mock && mock_domain(fd, *ioas_id))
		perror("MOCK_DOMAIN");
	if (vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, ioas_id))
		perror("IOMMU_VFIO_IOAS SET");
	if (type && ioctl(fd, VFIO_SET_IOMMU, type))
		perror("VFIO_SET_IOMMU");
	return fd;
}

int main(void)
{
	unsigned long ext[] = { VFIO_TYPE1_IOMMU, VFIO_SPAPR_TCE_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_DMA_CC_IOMMU, 6,
				VFIO_NOIOMMU_IOMMU, VFIO_UNMAP_ALL, VFIO_UPDATE_VADDR, 11 };
	char name[64];
	__u32 id = 0, ioas, other;
	unsigned char *buf, *edge;
	int fd, fd2, fd3;

	buf = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	edge = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || edge == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	buf = (void *)(((uintptr_t)buf + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	munmap(edge + PAGE, PAGE);

	/* no compat IOAS */
	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		perror("open /dev/iommu");
		return 1;
	}
	say("get_api_version", ioctl(fd, VFIO_GET_API_VERSION));
	for (unsigned int i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(name, sizeof(name), "check_extension %lu", ext[i]);
		say(name, ioctl(fd, VFIO_CHECK_EXTENSION, ext[i]));
	}
	say("vfio_ioas get", vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	say("vfio_ioas set 0", vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	say("set_iommu noiommu", ioctl(fd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	say("set_iommu type1v2", ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	say("dirty_pages", ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, info_buf));
	unmap_dma("unmap dirty bitmap flag", fd, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 0, PAGE);

	/* a compat IOAS without a domain: the whole IOVA space, PAGE_SIZE-folded page sizes */
	ioas = ioas_alloc(fd);
	say("vfio_ioas set", vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas));
	id = 0;
	say("vfio_ioas get", vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	printf("  ioas_id %u\n", id);
	say("check_extension cc (no hwpt)", ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	get_info("get_info no domain 72", fd, info_buf, 72);
	/* destroying the compat IOAS clears it */
	{
		struct iommu_destroy d = { .size = sizeof(d), .id = ioas };

		say("destroy compat ioas", ioctl(fd, IOMMU_DESTROY, &d));
	}
	say("vfio_ioas get after destroy", vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	close(fd);

	/* type1: huge pages off, areas can be cut */
	fd = open_compat(&ioas, 1, VFIO_TYPE1_IOMMU);
	if (fd < 0)
		return 1;
	say("check_extension cc (mock hwpt)", ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	get_info("get_info 16", fd, info_buf, 16);
	get_info("get_info 24", fd, info_buf, 24);
	get_info("get_info 36", fd, info_buf, 36);
	get_info("get_info 40", fd, info_buf, 40);
	get_info("get_info 56", fd, info_buf, 56);
	get_info("get_info 71", fd, info_buf, 71);
	get_info("get_info 72", fd, info_buf, 72);
	get_info("get_info 100", fd, info_buf, 100);
	/* the buffer's memory ends 40 bytes after the struct */
	memset(edge + PAGE - 40, 0, 40);
	{
		__u32 argsz = 200;
		int rc;

		memcpy(edge + PAGE - 40, &argsz, sizeof(argsz));
		rc = ioctl(fd, VFIO_IOMMU_GET_INFO, edge + PAGE - 40);
		say("get_info at the end of memory", rc);
		for (int i = 0; i < 40; i += 8) {
			__u32 w[2];

			memcpy(w, edge + PAGE - 40 + i, sizeof(w));
			printf("  %3d: %08x %08x\n", i, w[0], w[1]);
		}
	}
	say("map flags 0", map_dma(fd, 0, buf, MOCK_APERTURE_START, PAGE));
	say("map vaddr flag", map_dma(fd, VFIO_DMA_MAP_FLAG_VADDR, buf, MOCK_APERTURE_START + PAGE, PAGE));
	say("map 8 pages", map_dma(fd, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, buf + PAGE,
				    MOCK_APERTURE_START + PAGE, 8 * PAGE));
	say("map over a mapping", map_dma(fd, VFIO_DMA_MAP_FLAG_READ, buf, MOCK_APERTURE_START + 2 * PAGE, PAGE));
	say("map below the aperture", map_dma(fd, VFIO_DMA_MAP_FLAG_READ, buf, 0, PAGE));
	unmap_dma("unmap off the page", fd, 0, MOCK_APERTURE_START + PAGE + 0x800, PAGE);
	unmap_dma("unmap inside", fd, 0, MOCK_APERTURE_START + 4 * PAGE, 2 * PAGE);
	unmap_dma("unmap first byte", fd, 0, MOCK_APERTURE_START + PAGE + 1, PAGE - 1);
	unmap_dma("unmap size 0", fd, 0, MOCK_APERTURE_START, 0);
	unmap_dma("unmap overflow", fd, 0, -PAGE, 2 * PAGE);
	unmap_dma("unmap all nonzero", fd, VFIO_DMA_UNMAP_FLAG_ALL, MOCK_APERTURE_START, 0);
	unmap_dma("unmap all", fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0);
	get_info("get_info type1 72", fd, info_buf, 72);

	/* type1v2: whole areas only; a failed unmap still writes the size unmapped back */
	fd2 = open_compat(&ioas, 1, VFIO_TYPE1v2_IOMMU);
	if (fd2 < 0)
		return 1;
	say("map a", map_dma(fd2, VFIO_DMA_MAP_FLAG_READ, buf, MOCK_APERTURE_START, 2 * PAGE));
	say("map b", map_dma(fd2, VFIO_DMA_MAP_FLAG_READ, buf + 2 * PAGE, MOCK_APERTURE_START + 2 * PAGE, 2 * PAGE));
	unmap_dma("unmap a and half b", fd2, 0, MOCK_APERTURE_START, 3 * PAGE);
	unmap_dma("unmap inside b", fd2, 0, MOCK_APERTURE_START + 2 * PAGE, PAGE);
	say("set_iommu type1 with pages", ioctl(fd2, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	unmap_dma("unmap nothing", fd2, 0, MOCK_APERTURE_START + 64 * PAGE, PAGE);
	other = ioas_alloc(fd2);
	say("vfio_ioas set other", vfio_ioas(fd2, IOMMU_VFIO_IOAS_SET, &other));
	say("vfio_ioas clear", vfio_ioas(fd2, IOMMU_VFIO_IOAS_CLEAR, &other));
	say("map after clear", map_dma(fd2, VFIO_DMA_MAP_FLAG_READ, buf, MOCK_APERTURE_START, PAGE));
	{
		struct iommu_vfio_ioas cmd = { .size = sizeof(cmd), .op = 3 };

		say("vfio_ioas op 3", ioctl(fd2, IOMMU_VFIO_IOAS, &cmd));
		cmd.op = 0;
		cmd.__reserved = 1;
		say("vfio_ioas reserved", ioctl(fd2, IOMMU_VFIO_IOAS, &cmd));
	}

	/* type1 on an IOAS with mappings but no domain: allowed */
	fd3 = open_compat(&ioas, 0, 0);
	if (fd3 < 0)
		return 1;
	say("map without domain", map_dma(fd3, VFIO_DMA_MAP_FLAG_READ, buf, PAGE, 4 * PAGE));
	say("set_iommu type1 without domain", ioctl(fd3, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	unmap_dma("unmap inside without domain", fd3, 0, 2 * PAGE, PAGE);
	unmap_dma("unmap from iova 0", fd3, 0, 0, 2 * PAGE);

	close(fd3);
	close(fd2);
	close(fd);
	return 0;
}
