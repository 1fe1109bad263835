/*
 * vfio-cdev-errors: how the VFIO device cdev refuses, as drivers/vfio/device_cdev.c and
 * vfio_main.c (Linux 7.2) order their checks, and the descriptor cases the shim must get
 * right: a cdev that does not exist, BIND_IOMMUFD with a descriptor that is not open (EBADF)
 * or is another file (EBADFD), with a dup() of the iommufd, a dup() of the device file, and
 * a device opened again after the first open was closed (the close released the binding).
 * read() of the device file (config space) is not emulated: EINVAL.
 *
 *   ./iommufd-sim exec --machine native/examples/smmu-vmm.machine.sim -- native/build/examples/vfio-cdev-errors
 *
 * vfio-cdev-errors.expected holds the errnos the kernel's source gives in this order (no
 * hardware oracle runs VFIO devices). Exit status 0 when every call answered as expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include "vfio-cdev.h"

static int failures;

/* BIND_IOMMUFD of devfd to iommufd: prints and checks the result (0 or the errno wanted). */
static void bind(const char *what, int devfd, int iommufd, int want)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	int rc = ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &b);
	int err = rc ? errno : 0;

	if (rc)
		printf("%s: %s\n", what, strerror(err));
	else
		printf("%s: dev_id %u\n", what, b.out_devid);
	if (err != want) {
		printf("UNEXPECTED: %s\n", what);
		failures++;
	}
}

int main(void)
{
	int iommufd, devfd, other, copy;

	if (open("/dev/vfio/devices/vfio1", O_RDWR) >= 0 || errno != ENOENT)
		failures++;
	printf("open vfio1: %s\n", strerror(errno));
	iommufd = open("/dev/iommu", O_RDWR);
	devfd = open("/dev/vfio/devices/vfio0", O_RDWR);
	other = open("/dev/null", O_RDWR);
	if (iommufd < 0 || devfd < 0 || other < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	bind("bind to a closed fd", devfd, 1000, EBADF);
	bind("bind to /dev/null", devfd, other, EBADFD);
	copy = dup(iommufd);
	bind("bind to a dup of the iommufd", devfd, copy, 0);
	close(copy); /* the context stays: the iommufd and the bound device hold it */
	copy = dup(devfd); /* a copy of the device file is the device file */
	{
		struct device_info info = { .argsz = sizeof(info) };
		char byte;

		if (ioctl(copy, VFIO_DEVICE_GET_INFO, &info) || info.num_regions != 9)
			failures++;
		printf("get_info through a dup: num_regions %u\n", info.num_regions);
		if (read(copy, &byte, 1) >= 0 || errno != EINVAL)
			failures++;
		printf("read of the device file: %s\n", strerror(errno));
	}
	close(copy);
	devfd = (close(devfd), open("/dev/vfio/devices/vfio0", O_RDWR));
	bind("bind after close and open", devfd, iommufd, 0);
	close(devfd);
	close(iommufd);
	return failures ? 1 : 0;
}
