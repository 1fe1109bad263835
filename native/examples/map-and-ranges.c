/*
 * map-and-ranges: a small iommufd program, the same binary for the real kernel (built with
 * CONFIG_IOMMUFD_TEST) and for `iommufd-sim exec`.
 *
 * open /dev/iommu, IOMMU_IOAS_ALLOC, mmap a buffer, IOMMU_IOAS_MAP it, attach a selftest
 * mock device (IOMMU_TEST_CMD MOCK_DOMAIN), map again, then IOMMU_IOAS_IOVA_RANGES (first
 * with no room, EMSGSIZE, then with room) and print what the kernel answered.
 * Exit status 0 when every call answered as expected, 1 otherwise.
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

/*
 * The part of struct iommu_test_cmd (drivers/iommu/iommufd/iommufd_test.h, Linux 7.2) used
 * here: the layout is the kernel's, the union padded to its full 48 bytes.
 */
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

#define BUFFER_SIZE (16 * 4096)
#define HUGE (2UL << 20)

static int failed;

static void check(const char *what, int ok)
{
	if (!ok) {
		printf("UNEXPECTED: %s (errno %d %s)\n", what, errno, strerror(errno));
		failed = 1;
	}
}

static int iova_ranges(int fd, __u32 ioas_id, struct iommu_iova_range *r, __u32 room, __u32 *num, __u64 *align)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = room,
		.allowed_iovas = (uintptr_t)r,
	};
	int rc = ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	*num = cmd.num_iovas;
	*align = cmd.out_iova_alignment;
	return rc;
}

static int map(int fd, __u32 ioas_id, void *va, __u64 length, __u64 *iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = length,
	};
	int rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	*iova = cmd.iova;
	return rc;
}

int main(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct test_cmd mock = { .size = sizeof(mock), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_iova_range ranges[8];
	__u64 iova, align;
	__u32 num;
	void *buf;
	int fd, rc;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		perror("open /dev/iommu");
		return 1;
	}
	rc = ioctl(fd, IOMMU_IOAS_ALLOC, &alloc);
	check("IOAS_ALLOC", rc == 0);
	printf("ioas_alloc: id %u\n", alloc.out_ioas_id);

	/* 2 MiB aligned, so the automatic IOVAs do not depend on where mmap() put it */
	buf = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	buf = (void *)(((uintptr_t)buf + HUGE - 1) & ~(uintptr_t)(HUGE - 1));

	rc = map(fd, alloc.out_ioas_id, buf, BUFFER_SIZE, &iova);
	check("IOAS_MAP without a domain", rc == 0);
	printf("ioas_map: %d iova 0x%llx\n", rc, (unsigned long long)iova);

	/* A mock domain below the mapping: its aperture starts at 16 MiB, so EADDRINUSE. */
	mock.id = alloc.out_ioas_id;
	rc = ioctl(fd, IOMMU_TEST_CMD, &mock);
	check("MOCK_DOMAIN over a mapping below the aperture fails EADDRINUSE", rc == -1 && errno == EADDRINUSE);
	printf("mock_domain: %s\n", rc ? strerror(errno) : "ok");

	{
		struct iommu_ioas_unmap unmap = {
			.size = sizeof(unmap), .ioas_id = alloc.out_ioas_id, .iova = iova, .length = BUFFER_SIZE,
		};

		rc = ioctl(fd, IOMMU_IOAS_UNMAP, &unmap);
		check("IOAS_UNMAP", rc == 0);
		printf("ioas_unmap: %d length 0x%llx\n", rc, (unsigned long long)unmap.length);
	}

	rc = ioctl(fd, IOMMU_TEST_CMD, &mock);
	check("MOCK_DOMAIN", rc == 0);
	printf("mock_domain: stdev %u hwpt %u idev %u\n", mock.mock_domain.out_stdev_id,
	       mock.mock_domain.out_hwpt_id, mock.mock_domain.out_idev_id);

	rc = map(fd, alloc.out_ioas_id, buf, BUFFER_SIZE, &iova);
	check("IOAS_MAP with a domain", rc == 0);
	printf("ioas_map: %d iova 0x%llx\n", rc, (unsigned long long)iova);

	/* Pinning needs memory: an unmapped user address cannot be mapped into a domain. */
	munmap((char *)buf + BUFFER_SIZE / 2, BUFFER_SIZE / 2);
	rc = map(fd, alloc.out_ioas_id, buf, BUFFER_SIZE, &iova);
	check("IOAS_MAP of half-unmapped memory fails EFAULT", rc == -1 && errno == EFAULT);
	printf("ioas_map (half unmapped): %s\n", rc ? strerror(errno) : "ok");

	rc = iova_ranges(fd, alloc.out_ioas_id, ranges, 0, &num, &align);
	check("IOVA_RANGES with no room fails EMSGSIZE", rc == -1 && errno == EMSGSIZE);
	printf("iova_ranges (room 0): %s num_iovas %u\n", rc ? strerror(errno) : "ok", num);

	memset(ranges, 0, sizeof(ranges));
	rc = iova_ranges(fd, alloc.out_ioas_id, ranges, 8, &num, &align);
	check("IOVA_RANGES", rc == 0);
	printf("iova_ranges: num_iovas %u alignment 0x%llx\n", num, (unsigned long long)align);
	for (__u32 i = 0; i < num && i < 8; i++)
		printf("  [0x%llx, 0x%llx]\n", (unsigned long long)ranges[i].start, (unsigned long long)ranges[i].last);

	close(fd);
	return failed;
}
