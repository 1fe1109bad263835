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
        if ((flags & VFIO_DEVICE_ATTACH_PASID) == 0) {
            // vfio_iommufd_physical_attach_ioas(): replace when iommufd_attached
            if (idev.vfioRidAttached) {
                return ictx.deviceReplace(idev, IOMMU_NO_PASID, ptId);
            }
            int out = ictx.deviceAttach(idev, IOMMU_NO_PASID, ptId);
            idev.vfioRidAttached = true;
            return out;
        }
        // vfio_iommufd_physical_pasid_attach_ioas(): the pasids ida is apart from iommufd_attached,
        // so a pasid of 0 (IOMMU_NO_PASID) attaches the RID through it (EBUSY from the core when
        // the RID is attached already)
        Set<Integer> att = attached(idev);
        if (att.contains(pasid)) {
            return ictx.deviceReplace(idev, pasid, ptId);
        }
        if (pasid < 0) {
            // ida_alloc_range(&vdev->pasids, pasid, pasid) refuses a min above INT_MAX before
            // iommufd_device_attach() is called
            throw fail(ENOSPC, "pasid %d is beyond the vfio device's PASID ida (INT_MAX)", Integer.toUnsignedLong(pasid));
        }
        int out = ictx.deviceAttach(idev, pasid, ptId);
        att.add(pasid);
        return out;
    }

    /** vfio_df_ioctl_detach_pt(): detaching nothing is a silent success. */
    static void detach(IommufdCtx ictx, int devId, int flags, int pasid) {
        IommufdDevice idev = cdev(ictx, devId);
        if ((flags & ~VFIO_DEVICE_DETACH_PASID) != 0) {
            throw fail(EINVAL, "unknown VFIO_DEVICE_DETACH_IOMMUFD_PT flags 0x%x", flags & ~VFIO_DEVICE_DETACH_PASID);
        }
        if ((flags & VFIO_DEVICE_DETACH_PASID) == 0) {
            // vfio_iommufd_physical_detach_ioas(): nothing unless iommufd_attached
            if (idev.vfioRidAttached) {
                idev.vfioRidAttached = false;
                ictx.deviceDetach(idev, IOMMU_NO_PASID);
            }
            return;
        }
        // vfio_iommufd_physical_pasid_detach_ioas(): nothing unless ida_exists()
        if (attached(idev).remove(pasid)) {
            ictx.deviceDetach(idev, pasid);
        }
    }

    /**
     * Closing the cdev (vfio_iommufd_physical_unbind()): every PASID of the ida, lowest first,
     * then the RID when iommufd_attached; then unbind.
     */
    static void close(IommufdCtx ictx, int devId) {
        IommufdDevice idev = cdev(ictx, devId);
        for (int p : List.copyOf(attached(idev))) {
            attached(idev).remove(p);
            ictx.deviceDetach(idev, p);
        }
        if (idev.vfioRidAttached) {
            idev.vfioRidAttached = false;
            ictx.deviceDetach(idev, IOMMU_NO_PASID);
        }
        ictx.deviceUnbind(idev);
    }
}
