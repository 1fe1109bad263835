package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Errno.ERANGE;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HW_QUEUE_TYPE_DEFAULT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_VIOMMU_TYPE_DEFAULT;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import dev.iommufdsim.kernel.spi.HwQueue;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.List;

/** IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC and IOMMU_HW_QUEUE_ALLOC (drivers/iommu/iommufd/viommu.c), in the kernel's order. */
final class ViommuIoctls {
    private ViommuIoctls() {
    }

    /** IOMMU_VIOMMU_ALLOC outputs. */
    record ViommuOut(int outViommuId, byte[] outData) {
    }

    /** iommufd_viommu_alloc_ioctl(). */
    static ViommuOut viommuAlloc(IommufdCtx ictx, int flags, int type, int devId, int hwptId, byte[] data) {
        if (flags != 0 || type == IOMMU_VIOMMU_TYPE_DEFAULT) {
            throw fail(EOPNOTSUPP, flags != 0 ? "flags must be 0" : "type IOMMU_VIOMMU_TYPE_DEFAULT is reserved");
        }
        IommufdDevice idev = ictx.getDevice(devId);
        IommuInstanceHandle ops = idev.dev.iommu();
        if (!ops.viommuSupported(idev.dev.info(), type)) {
            throw fail(EOPNOTSUPP, "%s cannot host a vIOMMU of type 0x%x", ops, type);
        }
        HwptPaging hwpt = ictx.getHwptPaging(hwptId);
        if (!hwpt.nestParent) {
            throw fail(EINVAL, "hwpt %d was not allocated with NEST_PARENT", hwptId);
        }
        IommufdViommu viommu = new IommufdViommu(type, hwpt, ops);
        viommu.mmaps = ictx.mmaps;
        ictx.objects.reserve(viommu);
        hwpt.get();
        try {
            viommu.ops = ops.viommuInit(type, hwpt.domain(), idev.dev.info(), data == null ? new byte[0] : data,
                    (contents, length) -> ictx.mmaps.alloc(viommu, contents, length));
        } catch (IommufdException e) {
            ictx.mmaps.removeOwner(viommu); // the driver's error path: iommufd_viommu_destroy_mmap()
            ictx.abortAndDestroy(viommu);
            throw e;
        }
        // The driver writes its out data during viommu_init (before the object is published).
        byte[] outData;
        try {
            outData = viommu.iommuDev.call("viommu out data", viommu.ops::outData);
        } catch (IommufdException e) {
            ictx.mmaps.removeOwner(viommu);
            ictx.abortAndDestroy(viommu);
            throw e;
        }
        ictx.objects.finalize(viommu);
        return new ViommuOut(viommu.id(), outData);
    }

    /** iommufd_vdevice_alloc_ioctl(). */
    static int vdeviceAlloc(IommufdCtx ictx, int viommuId, int devId, long virtId) {
        // virt_id indexes an xarray: anything above ULONG_MAX is EINVAL (never on 64-bit).
        IommufdViommu viommu = ictx.objects.get(viommuId, ObjType.VIOMMU, IommufdViommu.class, "vIOMMU");
        IommufdDevice idev = ictx.getDevice(devId);
        if (viommu.iommuDev != idev.dev.iommu()) {
            throw fail(EINVAL, "dev %d (%s) is behind %s, the vIOMMU %d is on %s", devId, idev.dev.name(), idev.dev.iommu().name(),
                    viommuId, viommu.iommuDev.name());
        }
        if (idev.vdev != null) {
            throw fail(EEXIST, "dev %d already has vDEVICE %d", devId, idev.vdev.id());
        }
        if (viommu.vdevs.containsKey(virtId)) {
            throw fail(EEXIST, "virt_id 0x%x is already used in vIOMMU %d", virtId, viommuId);
        }
        IommufdVdevice vdev = new IommufdVdevice(viommu, idev, virtId);
        ictx.objects.reserve(vdev);
        viommu.get();
        idev.vdev = vdev;
        viommu.vdevs.put(virtId, vdev);
        try {
            viommu.iommuDev.run("vdevice_init", () -> viommu.ops.vdeviceInit(virtId, idev.dev.info()));
        } catch (IommufdException e) {
            ictx.abortAndDestroy(vdev);
            throw e;
        }
        ictx.objects.finalize(vdev);
        return vdev.id();
    }

    /**
     * iommufd_hw_queue_alloc_ioctl(): flags / DEFAULT type (EOPNOTSUPP), length 0 (EINVAL),
     * iova + length - 1 overflow (EOVERFLOW), the vIOMMU (ENOENT), the driver's support for
     * the type (EOPNOTSUPP); then the object takes its ID, iommufd_hw_queue_alloc_phys() pins
     * the queue's pages through an internal access (which takes the next ID), and the driver's
     * hw_queue_init_phys runs. Any failure after the ID aborts the object, undoing the access.
     */
    static int hwQueueAlloc(IommufdCtx ictx, int flags, int viommuId, int type, int index, long nestingParentIova, long length) {
        if (flags != 0 || type == IOMMU_HW_QUEUE_TYPE_DEFAULT) {
            throw fail(EOPNOTSUPP, flags != 0 ? "flags must be 0" : "type IOMMU_HW_QUEUE_TYPE_DEFAULT is reserved");
        }
        if (length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        if (Long.compareUnsigned(nestingParentIova + length - 1, nestingParentIova) < 0) {
            throw fail(EOVERFLOW, "nesting_parent_iova 0x%x + length 0x%x overflows", nestingParentIova, length);
        }
        IommufdViommu viommu = ictx.objects.get(viommuId, ObjType.VIOMMU, IommufdViommu.class, "vIOMMU");
        if (viommu.ops == null || !viommu.iommuDev.hwQueueSupported(viommu.ops, type)) {
            throw fail(EOPNOTSUPP, "vIOMMU %d (%s) has no HW queue of type 0x%x", viommuId, viommu.iommuDev.name(), Integer.toUnsignedLong(type));
        }
        IommufdHwQueue hwQueue = new IommufdHwQueue(ictx);
        ictx.objects.reserve(hwQueue);
        try {
            long[] basePa = new long[1];
            IommufdAccess access = allocPhys(ictx, viommu, nestingParentIova, length, basePa);
            hwQueue.viommu = viommu;
            viommu.get();
            hwQueue.access = access;
            hwQueue.queueType = type;
            hwQueue.length = length;
            hwQueue.baseAddr = nestingParentIova;
            HwQueue driver = viommu.iommuDev.hwQueueInitPhys(viommu.ops, hwQueue, index, basePa[0]);
            hwQueue.ops = driver;
            viommu.hwQueues.put(driver, hwQueue);
        } catch (IommufdException e) {
            ictx.abortAndDestroy(hwQueue);
            throw e;
        }
        ictx.objects.finalize(hwQueue);
        return hwQueue.id();
    }

    /**
     * iommufd_hw_queue_alloc_phys(): the page-aligned range around the queue, pinned by a new
     * internal access attached to the nesting parent's IOAS; the pages must be physically
     * contiguous (EFAULT). The emulator's physical page is the user page of the pages' source
     * process, so the pages are contiguous when they are consecutive pages of one process.
     */
    private static IommufdAccess allocPhys(IommufdCtx ictx, IommufdViommu viommu, long iova, long length, long[] basePa) {
        long aligned = iova & ~(PAGE_SIZE - 1);
        long offset = iova - aligned;
        long len = offset + length;
        if (Long.compareUnsigned(len, offset) < 0 || Long.compareUnsigned(len + PAGE_SIZE - 1, len) < 0) {
            throw fail(ERANGE, "offset 0x%x + length 0x%x overflows when rounded to pages", offset, length);
        }
        long maxNpages = Long.divideUnsigned(len + PAGE_SIZE - 1, PAGE_SIZE);
        len = maxNpages * PAGE_SIZE;
        if (Long.compareUnsigned(maxNpages, Integer.MAX_VALUE / 8) > 0) {
            // kvzalloc_objs() of the page array: kvmalloc refuses more than INT_MAX bytes
            throw fail(ENOMEM, "an array of 0x%x page pointers is more than kvmalloc gives", maxNpages);
        }
        IommufdAccess access = IommufdAccess.createInternal(ictx);
        try {
            access.attachInternal(viommu.hwpt.ioas);
        } catch (IommufdException e) {
            access.destroyUser();
            throw e;
        }
        List<IommufdAccess.PinnedPage> pages;
        try {
            pages = access.pinPages(aligned, len, false);
        } catch (IommufdException e) {
            access.detach();
            access.destroyUser();
            throw e;
        }
        for (int i = 1; i < pages.size(); i++) {
            IommufdAccess.PinnedPage prev = pages.get(i - 1);
            IommufdAccess.PinnedPage cur = pages.get(i);
            if (cur.mm() != prev.mm() || cur.va() != prev.va() + PAGE_SIZE) {
                access.unpinPages(aligned, len);
                access.detach();
                access.destroyUser();
                throw fail(EFAULT, "the queue's pages at IOVA 0x%x and 0x%x are not physically contiguous", aligned + (i - 1) * PAGE_SIZE,
                        aligned + i * PAGE_SIZE);
            }
        }
        basePa[0] = pages.get(0).va() + offset;
        return access;
    }
}
