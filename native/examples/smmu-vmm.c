/*
 * smmu-vmm: what a VMM (QEMU's iommufd backend, cloud-hypervisor) does with a VFIO device on
 * an ARM SMMUv3 host, through the VFIO device cdev:
 *
 *   open /dev/iommu and /dev/vfio/devices/vfio0, VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_GET_INFO,
 *   IOMMU_GET_HW_INFO, IOMMU_IOAS_ALLOC, VFIO_DEVICE_ATTACH_IOMMUFD_PT, IOMMU_IOAS_IOVA_RANGES
 *   (the guest layout must avoid the SMMU's SW_MSI window), a guest RAM map in and across the
 *   window, a NEST_PARENT HWPT and the device moved onto it, a vIOMMU on it, and detach.
 *
 * Run it on the machine native/examples/smmu-vmm.machine.sim declares:
 *
 *   ./iommufd-sim exec --machine native/examples/smmu-vmm.machine.sim -- native/build/examples/smmu-vmm
 *
 * There is no hardware oracle for the vendor drivers (the 7.2 oracle kernel runs in a VM with
 * no SMMUv3), so smmu-vmm.expected is not a recording of a real kernel: it was derived from
 * native/examples/smmu-vmm.sim, the same calls as a script, whose `expect`s hold the values
 * printed here (ExecTest runs both). Exit status 0 when every call answered as expected.
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
#include "vfio-cdev.h"

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("UNEXPECTED: %s\n", what);
		failures++;
	}
}

static int attach(int devfd, __u32 *pt_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = *pt_id };
	int rc = ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	*pt_id = a.pt_id;
	return rc;
}

static void print_ranges(int iommufd, __u32 ioas)
{
	struct iommu_iova_range ranges[8];
	struct iommu_ioas_iova_ranges r = {
		.size = sizeof(r),
		.ioas_id = ioas,
		.num_iovas = 8,
		.allowed_iovas = (uintptr_t)ranges,
	};

	check(ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &r) == 0, "IOMMU_IOAS_IOVA_RANGES");
	printf("iova_ranges: num_iovas %u alignment 0x%llx\n", r.num_iovas, (unsigned long long)r.out_iova_alignment);
	for (__u32 i = 0; i < r.num_iovas && i < 8; i++)
		printf("  [0x%llx, 0x%llx]\n", (unsigned long long)ranges[i].start, (unsigned long long)ranges[i].last);
}

static int map_fixed(int iommufd, __u32 ioas, void *buf, __u64 length, __u64 iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = length,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP, &m);
}

int main(void)
{
	int iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	int devfd = open("/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC);
	struct device_info info = { .argsz = sizeof(info) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = iommufd };
	struct iommu_hw_info_arm_smmuv3 smmu = { 0 };
	struct iommu_hw_info hw = { .size = sizeof(hw), .data_len = sizeof(smmu), .data_uptr = (uintptr_t)&smmu };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_hwpt_alloc s2 = { .size = sizeof(s2), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	struct iommu_viommu_alloc viommu = { .size = sizeof(viommu), .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };
	__u32 pt_id;
	void *ram;

	if (iommufd < 0 || devfd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	/* the device file accepts nothing but BIND before it is bound */
	check(ioctl(devfd, VFIO_DEVICE_GET_INFO, &info) < 0 && errno == EINVAL, "GET_INFO before BIND");
	printf("get_info before bind: %s\n", strerror(errno));

	check(ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) == 0, "BIND_IOMMUFD");
	printf("bind: dev_id %u\n", bind.out_devid);
	check(ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0 && errno == EINVAL, "second BIND");
	printf("bind again: %s\n", strerror(errno));

	check(ioctl(devfd, VFIO_DEVICE_GET_INFO, &info) == 0, "GET_INFO");
	printf("get_info: flags 0x%x num_regions %u num_irqs %u\n", info.flags, info.num_regions, info.num_irqs);

	hw.dev_id = bind.out_devid;
	check(ioctl(iommufd, IOMMU_GET_HW_INFO, &hw) == 0, "GET_HW_INFO");
	printf("hw_info: out_data_type %u (%s) data_len %u\n", hw.out_data_type,
	       hw.out_data_type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3 ? "ARM_SMMUV3" : "?", hw.data_len);

	check(ioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas) == 0, "IOAS_ALLOC");
	printf("ioas_alloc: id %u\n", ioas.out_ioas_id);

	pt_id = ioas.out_ioas_id;
	check(attach(devfd, &pt_id) == 0, "ATTACH_IOMMUFD_PT");
	printf("attach ioas: pt_id %u\n", pt_id);
	print_ranges(iommufd, ioas.out_ioas_id);

	/* guest RAM: 4 MiB below the window, then 2 MiB across it */
	ram = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(ram != MAP_FAILED, "mmap");
	check(map_fixed(iommufd, ioas.out_ioas_id, ram, 4 << 20, 0x7c00000) == 0, "map below the window");
	printf("ioas_map [0x7c00000, 0x7ffffff]: ok\n");
	check(map_fixed(iommufd, ioas.out_ioas_id, ram, 2 << 20, 0x8000000) < 0, "map across the window");
	printf("ioas_map [0x8000000, 0x81fffff]: %s\n", strerror(errno));

	/* a nesting parent for the guest's stage 1, the device moved onto it, a vIOMMU on it */
	s2.dev_id = bind.out_devid;
	s2.pt_id = ioas.out_ioas_id;
	check(ioctl(iommufd, IOMMU_HWPT_ALLOC, &s2) == 0, "HWPT_ALLOC NEST_PARENT");
	printf("hwpt_alloc nest_parent: id %u\n", s2.out_hwpt_id);
	pt_id = s2.out_hwpt_id;
	check(attach(devfd, &pt_id) == 0, "ATTACH to the nesting parent");
	printf("attach nest_parent: pt_id %u\n", pt_id);
	viommu.dev_id = bind.out_devid;
	viommu.hwpt_id = s2.out_hwpt_id;
	if (ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &viommu) == 0)
		printf("viommu_alloc: id %u\n", viommu.out_viommu_id);
	else
		printf("viommu_alloc: %s\n", strerror(errno));

	check(ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach) == 0, "DETACH_IOMMUFD_PT");
	printf("detach: ok\n");
	close(devfd);
	close(iommufd);
	return failures ? 1 : 0;
}
