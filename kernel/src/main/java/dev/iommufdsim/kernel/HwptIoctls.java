package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_DATA_NONE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_FAULT_ID_VALID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
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
            // Before any attach or map: some IOMMUs decide coherency per IOPTE. A driver that
            // reports the capability but refuses here has a bug (the kernel's WARN_ON).
            if (idev.enforceCacheCoherency && !hwptPagingEnforceCc(hwpt)) {
                throw fail(EINVAL, "dev %d (%s) has IOMMU_CAP_ENFORCE_CACHE_COHERENCY but driver %s refused enforce_cache_coherency"
                        + " on its new domain", idev.id(), idev.dev.name(), ops.driverName());
            }
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
            // iopt_table_add_domain() knows no device: name the one the domain was made for
            throw new IommufdException(e.errno(), String.format("dev %d (%s), ioas %d: %s", idev.id(), idev.dev.name(), ioas.id(), e.reason()));
        }
        ioas.hwptList.add(hwpt);
        hwpt.inIoasList = true;
        return hwpt;
    }

    /** iommufd_hwpt_paging_enforce_cc(): true when the domain enforces cache coherency (now or already). */
    private static boolean hwptPagingEnforceCc(HwptPaging hwpt) {
        if (!hwpt.enforceCacheCoherency) {
            hwpt.enforceCacheCoherency = hwpt.owner.enforceCacheCoherency(hwpt.domain());
        }
        return hwpt.enforceCacheCoherency;
    }

    /** iommufd_hwpt_nested_alloc(): a nested HWPT directly on a NEST_PARENT paging HWPT. */
    static HwptNested hwptNestedAlloc(IommufdCtx ictx, HwptPaging parent, IommufdDevice idev, int flags, int dataType, byte[] data) {
        IommuInstanceHandle ops = idev.dev.iommu();
        if ((flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) != 0 || data.length == 0 || !ops.hasDomainAllocNested()) {
            throw fail(EOPNOTSUPP, (flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) != 0
                    ? "a nested HWPT takes only FAULT_ID_VALID and ALLOC_PASID flags"
                    : data.length == 0 ? "a nested HWPT needs driver data" : ops.driverName() + " has no domain_alloc_nested"
                            + " (allocate nested HWPTs through a vIOMMU)");
        }
        if (parent.autoDomain || !parent.nestParent || !parent.owner.sameDriver(ops)) {
            throw fail(EINVAL, parent.autoDomain ? "hwpt %d is an automatic domain, not a nesting parent"
                    : !parent.nestParent ? "hwpt %d was not allocated with NEST_PARENT" : "hwpt %d belongs to another IOMMU driver", parent.id());
        }
        HwptNested placeholder = new HwptNested(parent, null, null, ops, (flags & IOMMU_HWPT_ALLOC_PASID) != 0);
        ictx.objects.reserve(placeholder);
        parent.get();
        try {
            var domain = ops.domainAllocNested(idev.dev.info(), parent.domain(), flags & ~IOMMU_HWPT_FAULT_ID_VALID, dataType, data);
            HwptNested hwpt = new HwptNested(parent, null, domain, ops, placeholder.pasidCompat);
            ictx.objects.swapReserved(placeholder, hwpt);
            return hwpt;
        } catch (IommufdException e) {
            ictx.abortAndDestroy(placeholder);
            throw e;
        }
    }

    /** iommufd_viommu_alloc_hwpt_nested(): a nested HWPT through a vIOMMU. */
    static HwptNested viommuAllocHwptNested(IommufdCtx ictx, IommufdViommu viommu, int flags, int dataType, byte[] data) {
        if ((flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) != 0) {
            throw fail(EOPNOTSUPP, "a nested HWPT takes only FAULT_ID_VALID and ALLOC_PASID flags");
        }
        if (data.length == 0) {
            throw fail(EOPNOTSUPP, "a nested HWPT needs driver data");
        }
        if (viommu.ops == null || !viommu.iommuDev.call("alloc_domain_nested", viommu.ops::hasAllocDomainNested)) {
            throw fail(EOPNOTSUPP, "vIOMMU %d cannot allocate nested domains", viommu.id());
        }
        HwptNested placeholder = new HwptNested(viommu.hwpt, viommu, null, viommu.iommuDev, (flags & IOMMU_HWPT_ALLOC_PASID) != 0);
        ictx.objects.reserve(placeholder);
        viommu.get();
        try {
            var domain = viommu.iommuDev.call("alloc_domain_nested",
                    () -> viommu.ops.allocDomainNested(flags & ~IOMMU_HWPT_FAULT_ID_VALID, dataType, data, viommu));
            if (domain == null) {
                throw fail(EINVAL, "driver plugin '%s' alloc_domain_nested returned no domain", viommu.iommuDev.pluginId());
            }
            HwptNested hwpt = new HwptNested(viommu.hwpt, viommu, domain, viommu.iommuDev, placeholder.pasidCompat);
            ictx.objects.swapReserved(placeholder, hwpt);
            return hwpt;
        } catch (IommufdException e) {
            ictx.abortAndDestroy(placeholder);
            throw e;
        }
    }

    /**
     * iommufd_hwpt_invalidate(). entry_num is always written back (the number of entries
     * handled, 0 on early errors): a failure carries it as the partial output.
     */
    static int hwptInvalidate(IommufdCtx ictx, int hwptId, int dataType, int entryLen, java.util.List<byte[]> entries,
                              boolean nullUptr, int reserved) {
        int entryNum = entries.size();
        try {
            if (reserved != 0) {
                throw fail(EOPNOTSUPP, "__reserved must be 0");
            }
            if (entryNum != 0 && (nullUptr || entryLen == 0 || entryLen > dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE
                    || entryNum > dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX)) {
                throw fail(EINVAL, nullUptr ? "data_uptr is NULL" : "entry_len %d must be 1..PAGE_SIZE", entryLen);
            }
            IommufdObject pt = ictx.objects.find(hwptId);
            if (pt == null) {
                throw fail(dev.iommufdsim.kernel.uapi.Errno.ENOENT, "no object with ID %d", hwptId);
            }
            dev.iommufdsim.kernel.spi.UserDataArray array = new dev.iommufdsim.kernel.spi.UserDataArray(dataType, entryLen, entries);
            try {
                if (pt instanceof HwptNested n) {
                    if (!n.owner.call("cache_invalidate_user", n.domain::hasCacheInvalidateUser)) {
                        throw fail(EOPNOTSUPP, "hwpt %d's driver has no cache_invalidate_user", hwptId);
                    }
                    n.owner.run("cache_invalidate_user", () -> n.domain.cacheInvalidateUser(array));
                } else if (pt instanceof IommufdViommu v) {
                    if (v.ops == null || !v.iommuDev.call("cache_invalidate", v.ops::hasCacheInvalidate)) {
                        throw fail(EOPNOTSUPP, "vIOMMU %d has no cache_invalidate", hwptId);
                    }
                    v.iommuDev.run("cache_invalidate", () -> v.ops.cacheInvalidate(array, v));
                } else {
                    throw fail(EINVAL, "ID %d is a %s; HWPT_INVALIDATE takes a nested HWPT or a vIOMMU", hwptId, pt.type());
                }
            } catch (IommufdException e) {
                throw new IommufdException(e.errno(), e.reason(), new IommufdCtx.InvalidateOut(array.done()));
            }
            return array.done();
        } catch (IommufdException e) {
            if (e.partialOutput() == null) {
                throw new IommufdException(e.errno(), e.reason(), new IommufdCtx.InvalidateOut(0));
            }
            throw e;
        }
    }

    /**
     * iommufd_hwpt_set_dirty_tracking() (IOMMU_HWPT_SET_DIRTY_TRACKING): unknown flags, then the
     * HWPT_PAGING lookup, then iopt_set_dirty_tracking(). The kernel does not look at
     * __reserved.
     */
    static void hwptSetDirtyTracking(IommufdCtx ictx, int flags, int hwptId) {
        if ((flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) != 0) {
            throw fail(EOPNOTSUPP, "unknown flag bits 0x%x (only IOMMU_HWPT_DIRTY_TRACKING_ENABLE)", flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
        }
        HwptPaging hwpt = ictx.getHwptPaging(hwptId);
        DirtyTracking.setDirtyTracking(hwpt, (flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE) != 0);
    }

    /**
     * iommufd_hwpt_get_dirty_bitmap() (IOMMU_HWPT_GET_DIRTY_BITMAP): unknown flags or a
     * non-zero __reserved, then the HWPT_PAGING lookup, then iopt_read_and_clear_dirty_data().
     */
    static IovaBitmap hwptGetDirtyBitmap(IommufdCtx ictx, int hwptId, int flags, int reserved, long iova, long length,
                                         long pageSize, long data) {
        if ((flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) != 0 || reserved != 0) {
            throw fail(EOPNOTSUPP, reserved != 0 ? "__reserved must be 0"
                    : String.format("unknown flag bits 0x%x (only IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)", flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
        }
        HwptPaging hwpt = ictx.getHwptPaging(hwptId);
        return DirtyTracking.readAndClearDirtyData(hwpt, flags, iova, length, pageSize, data,
                (va, len) -> ictx.memory().canPin(va, len, true)); // FOLL_WRITE, as iova_bitmap pins it
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
        byte[] bytes = data == null ? new byte[0] : data;
        HwPagetable hwpt;
        if (ptObj instanceof Ioas ioas) {
            hwpt = hwptPagingAlloc(ictx, ioas, idev, IOMMU_NO_PASID, flags, false, dataType, bytes);
        } else if (ptObj instanceof HwptPaging parent) {
            hwpt = hwptNestedAlloc(ictx, parent, idev, flags, dataType, bytes);
        } else if (ptObj instanceof IommufdViommu viommu) {
            if (viommu.iommuDev != idev.dev.iommu()) {
                throw fail(EINVAL, "dev %d (%s) is behind %s, the vIOMMU %d is on %s", devId, idev.dev.name(),
                        idev.dev.iommu().name(), ptId, viommu.iommuDev.name());
            }
            hwpt = viommuAllocHwptNested(ictx, viommu, flags, dataType, bytes);
        } else {
            throw fail(EINVAL, "pt_id %d is a %s; HWPT_ALLOC takes an IOAS, a NEST_PARENT HWPT_PAGING or a vIOMMU", ptId, ptObj.type());
        }
        if ((flags & IOMMU_HWPT_FAULT_ID_VALID) != 0) {
            IommufdFault fault;
            try {
                fault = ictx.objects.get(faultId, ObjType.FAULT, IommufdFault.class, "FAULT object");
            } catch (IommufdException e) {
                ictx.abortAndDestroy(hwpt);
                throw e;
            }
            fault.get();
            if (hwpt instanceof HwptNested n) {
                n.fault = fault;
            } else {
                ((HwptPaging) hwpt).fault = fault;
            }
        }
        ictx.objects.finalize(hwpt);
        return hwpt.id();
    }
}
