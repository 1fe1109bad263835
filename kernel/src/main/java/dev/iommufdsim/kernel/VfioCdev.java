package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOSPC;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.VFIO_DEVICE_ATTACH_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.VFIO_DEVICE_BIND_FLAG_TOKEN;
import static dev.iommufdsim.kernel.uapi.Uapi.VFIO_DEVICE_DETACH_PASID;

import java.util.List;
import java.util.Set;

/**
 * The VFIO device cdev's iommufd ioctls (drivers/vfio/device_cdev.c and
 * drivers/vfio/iommufd.c): bind, attach (which replaces when already attached), detach.
 * A bound device's cdev is addressed by its dev_id.
 */
final class VfioCdev {
    private VfioCdev() {
    }

    private static Set<Integer> attached(IommufdDevice idev) {
        return idev.vfioAttached;
    }

    /** vfio_df_ioctl_bind_iommufd(). */
    static int bind(IommufdCtx ictx, PhysDevice dev, int flags) {
        if ((flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN) != 0) {
            throw fail(EINVAL, "unknown VFIO_DEVICE_BIND_IOMMUFD flags 0x%x", flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN);
        }
        if (dev.isSelftestMock()) {
            throw fail(EINVAL, "%s is a selftest mock device, not a VFIO device", dev.name());
        }
        if (dev.bound != null && dev.bound.ictx == ictx) {
            throw fail(EINVAL, "%s is already bound to this iommufd as dev %d", dev.name(), dev.bound.id());
        }
        if ((flags & VFIO_DEVICE_BIND_FLAG_TOKEN) != 0) {
            throw fail(EINVAL, "%s: its driver takes no VF token", dev.name());
        }
        return ictx.deviceBind(dev).id();
    }

    private static IommufdDevice cdev(IommufdCtx ictx, int devId) {
        IommufdObject obj = ictx.objects.find(devId);
        if (!(obj instanceof IommufdDevice idev) || idev.dev.isSelftestMock()) {
            // The cdev of an unbound device accepts no iommufd ioctl but bind.
            throw fail(EINVAL, "dev_id %d is not a VFIO device bound to this iommufd", devId);
        }
        return idev;
    }

    /** vfio_df_ioctl_attach_pt() and vfio_iommufd_physical_attach_ioas(). */
    static int attach(IommufdCtx ictx, int devId, int flags, int ptId, int pasid) {
        IommufdDevice idev = cdev(ictx, devId);
        if ((flags & ~VFIO_DEVICE_ATTACH_PASID) != 0) {
            throw fail(EINVAL, "unknown VFIO_DEVICE_ATTACH_IOMMUFD_PT flags 0x%x", flags & ~VFIO_DEVICE_ATTACH_PASID);
        }
        // No check of the device's PASID support here: vfio-pci always has pasid_attach_ioas
        // (vfio_df_ioctl_attach_pt() is EOPNOTSUPP only without it), and the iommu core skips
        // a device with max_pasids 0 (iommu_attach_device_pasid(), __iommu_set_group_pasid()),
        // so such a PASID attach succeeds and programs nothing, as in Linux 7.2.
        int p = (flags & VFIO_DEVICE_ATTACH_PASID) != 0 ? pasid : IOMMU_NO_PASID;
        Set<Integer> att = attached(idev);
        if (!att.contains(p)) {
            if (p < 0) {
                // vfio_iommufd_physical_pasid_attach_ioas(): ida_alloc_range(&vdev->pasids, pasid,
                // pasid) refuses a min above INT_MAX before iommufd_device_attach() is called
                throw fail(ENOSPC, "pasid %d is beyond the vfio device's PASID ida (INT_MAX)", Integer.toUnsignedLong(p));
            }
            int out = ictx.deviceAttach(idev, p, ptId);
            att.add(p);
            return out;
        }
        return ictx.deviceReplace(idev, p, ptId);
    }

    /** vfio_df_ioctl_detach_pt(): detaching nothing is a silent success. */
    static void detach(IommufdCtx ictx, int devId, int flags, int pasid) {
        IommufdDevice idev = cdev(ictx, devId);
        if ((flags & ~VFIO_DEVICE_DETACH_PASID) != 0) {
            throw fail(EINVAL, "unknown VFIO_DEVICE_DETACH_IOMMUFD_PT flags 0x%x", flags & ~VFIO_DEVICE_DETACH_PASID);
        }
        int p = (flags & VFIO_DEVICE_DETACH_PASID) != 0 ? pasid : IOMMU_NO_PASID;
        Set<Integer> att = attached(idev);
        if (!att.remove(p)) {
            return;
        }
        ictx.deviceDetach(idev, p);
    }

    /** Closing the cdev: detach every attachment, then unbind. */
    static void close(IommufdCtx ictx, int devId) {
        IommufdDevice idev = cdev(ictx, devId);
        for (int p : List.copyOf(attached(idev))) {
            ictx.deviceDetach(idev, p);
        }
        ictx.deviceUnbind(idev);
    }
}
