package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_DATA_NONE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_FAULT_ID_VALID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;

import dev.iommufdsim.kernel.uapi.IommufdException;

/** The HWPT handlers of drivers/iommu/iommufd/hw_pagetable.c, in the kernel's check order. */
final class HwptIoctls {
    private static final int PAGING_VALID_FLAGS = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING
            | IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;

    private HwptIoctls() {
    }

    /**
     * iommufd_hwpt_paging_alloc(): a paging HWPT on an IOAS. Leaves the object reserved but
     * not published: the caller finalizes it, or aborts it on a later failure.
     */
    static HwptPaging hwptPagingAlloc(IommufdCtx ictx, Ioas ioas, IommufdDevice idev, int pasid, int flags,
                                      boolean immediateAttach, int dataType, byte[] data) {
        IommuInstanceHandle ops = idev.dev.iommu();
        if ((flags & ~PAGING_VALID_FLAGS) != 0) {
            throw fail(EOPNOTSUPP, "unknown HWPT_ALLOC flag bits 0x%x for a paging HWPT", flags & ~PAGING_VALID_FLAGS);
        }
        if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) != 0 && !ops.capabilities(idev.dev.info()).dirtyTracking()) {
            throw fail(EOPNOTSUPP, "dev %d (%s) has no dirty tracking capability", idev.id(), idev.dev.name());
        }
        if ((flags & IOMMU_HWPT_FAULT_ID_VALID) != 0 && (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) != 0) {
            throw fail(EOPNOTSUPP, "FAULT_ID_VALID cannot be combined with NEST_PARENT");
        }
        HwptPaging hwpt = new HwptPaging(ioas, ops, (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) != 0, (flags & IOMMU_HWPT_ALLOC_PASID) != 0);
        ictx.objects.reserve(hwpt);
        ioas.get();
        try {
            hwpt.setDomain(ops.domainAllocPagingFlags(idev.dev.info(), flags & ~IOMMU_HWPT_FAULT_ID_VALID, dataType, data));
        } catch (IommufdException e) {
            ictx.abortAndDestroy(hwpt);
            throw e;
        }
        if (immediateAttach) {
            try {
                DeviceAttach.hwPagetableAttach(hwpt, idev, pasid);
            } catch (IommufdException e) {
                ictx.abortAndDestroy(hwpt);
                throw e;
            }
        }
        try {
            ioas.iopt().addDomain(hwpt);
        } catch (IommufdException e) {
            if (immediateAttach) {
                DeviceAttach.hwPagetableDetach(idev, pasid);
                hwpt.put();
            }
            ictx.abortAndDestroy(hwpt);
            throw e;
        }
        ioas.hwptList.add(hwpt);
        hwpt.inIoasList = true;
        return hwpt;
    }

    /** iommufd_hwpt_alloc() (IOMMU_HWPT_ALLOC). Returns out_hwpt_id. */
    static int hwptAlloc(IommufdCtx ictx, int flags, int devId, int ptId, int dataType, byte[] data, int faultId, int reserved) {
        if (reserved != 0) {
            throw fail(EOPNOTSUPP, "__reserved is 0x%x, must be 0", reserved);
        }
        int dataLen = data == null ? 0 : data.length;
        if ((dataType == IOMMU_HWPT_DATA_NONE && dataLen != 0) || (dataType != IOMMU_HWPT_DATA_NONE && dataLen == 0)) {
            throw fail(EINVAL, "data_type %d with data_len %d: data needs a type and a type needs data", dataType, dataLen);
        }
        IommufdDevice idev = ictx.getDevice(devId);
        IommufdObject ptObj = ictx.objects.find(ptId);
        if (ptObj == null) {
            throw fail(EINVAL, "pt_id %d does not exist", ptId);
        }
        HwPagetable hwpt;
        if (ptObj instanceof Ioas ioas) {
            hwpt = hwptPagingAlloc(ictx, ioas, idev, IOMMU_NO_PASID, flags, false, dataType, data == null ? new byte[0] : data);
        } else {
            throw fail(EINVAL, "pt_id %d is a %s; HWPT_ALLOC takes an IOAS%s", ptId, ptObj.type(),
                    " (nested HWPTs are not emulated yet)");
        }
        if ((flags & IOMMU_HWPT_FAULT_ID_VALID) != 0) {
            // Fault objects arrive with the nesting work; no fault_id can exist yet.
            IommufdException e = fail(dev.iommufdsim.kernel.uapi.Errno.ENOENT, "no FAULT object with ID %d", faultId);
            ictx.abortAndDestroy(hwpt);
            throw e;
        }
        ictx.objects.finalize(hwpt);
        return hwpt.id();
    }
}
