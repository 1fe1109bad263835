package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_VIOMMU_TYPE_DEFAULT;

import dev.iommufdsim.kernel.uapi.IommufdException;

/** IOMMU_VIOMMU_ALLOC and IOMMU_VDEVICE_ALLOC (drivers/iommu/iommufd/viommu.c), in the kernel's order. */
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
}
