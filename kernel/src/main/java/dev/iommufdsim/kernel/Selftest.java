package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;

import dev.iommufdsim.kernel.uapi.IommufdException;

/**
 * IOMMU_TEST_CMD (drivers/iommu/iommufd/selftest.c, built with CONFIG_IOMMUFD_TEST): the
 * test ops the kernel's selftests drive, on one context. Mock devices come from the
 * driver plugin named {@value Machine#MOCK_DRIVER}.
 */
public final class Selftest {
    /** MOCK_FLAGS_DEVICE_NO_DIRTY and MOCK_FLAGS_DEVICE_PASID (iommufd_test.h). */
    public static final int MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0;
    public static final int MOCK_FLAGS_DEVICE_PASID = 1 << 2;

    /** IOMMU_TEST_OP_MOCK_DOMAIN outputs. */
    public record MockDomain(int outStdevId, int outHwptId, int outIdevId) {
    }

    /** struct selftest_obj of TYPE_IDEV: owns a mock device and its binding. */
    static final class SelftestObj extends IommufdObject {
        PhysDevice mockDev;
        IommufdDevice idev;

        SelftestObj() {
            super(ObjType.SELFTEST);
        }

        /** iommufd_selftest_destroy(): detach, unbind, delete the mock device. */
        @Override
        void destroy() {
            if (idev != null) {
                idev.ictx.deviceDetach(idev, IOMMU_NO_PASID);
                idev.ictx.deviceUnbind(idev);
            }
            if (mockDev != null) {
                idev.ictx.machine().destroyMockDevice(mockDev);
            }
        }
    }

    private final IommufdCtx ictx;

    Selftest(IommufdCtx ictx) {
        this.ictx = ictx;
    }

    /** IOMMU_TEST_OP_ADD_RESERVED (iommufd_test_add_reserved). */
    public void addReserved(int ioasId, long start, long length) {
        if (length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        long last = start + length - 1;
        if (Long.compareUnsigned(last, start) < 0) {
            throw fail(EOVERFLOW, "start 0x%x + length 0x%x overflows", start, length);
        }
        Ioas ioas = ictx.getIoas(ioasId);
        ioas.iopt().reserveIova(start, last, ResvOwner.SELFTEST);
    }

    /**
     * IOMMU_TEST_OP_MOCK_DOMAIN (or _FLAGS with devFlags): a mock device, bound and attached
     * to ptId. IDs in the kernel's order: selftest object, device, then the HWPT.
     */
    public MockDomain mockDomain(int ptId, int devFlags) {
        SelftestObj sobj = new SelftestObj();
        ictx.objects.reserve(sobj);
        try {
            if ((devFlags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID)) != 0) {
                throw fail(EINVAL, "unknown mock device flags 0x%x", devFlags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID));
            }
            PhysDevice dev = ictx.machine().createMockDevice(devFlags);
            IommufdDevice idev;
            try {
                idev = ictx.deviceBind(dev);
            } catch (IommufdException e) {
                ictx.machine().destroyMockDevice(dev);
                throw e;
            }
            int hwptId;
            try {
                hwptId = ictx.deviceAttach(idev, IOMMU_NO_PASID, ptId);
            } catch (IommufdException e) {
                ictx.deviceUnbind(idev);
                ictx.machine().destroyMockDevice(dev);
                throw e;
            }
            sobj.mockDev = dev;
            sobj.idev = idev;
            ictx.objects.finalize(sobj);
            return new MockDomain(sobj.id(), hwptId, idev.id());
        } catch (IommufdException e) {
            ictx.objects.abort(sobj);
            throw e;
        }
    }

    private SelftestObj selftestObj(int id) {
        return ictx.objects.get(id, ObjType.SELFTEST, SelftestObj.class, "selftest device");
    }

    /** IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: returns the new pt_id. */
    public int mockDomainReplace(int stdevId, int ptId) {
        SelftestObj sobj = selftestObj(stdevId);
        return ictx.deviceReplace(sobj.idev, IOMMU_NO_PASID, ptId);
    }

    /** The device ID (idev) of a selftest device object. */
    public int idevOf(int stdevId) {
        return selftestObj(stdevId).idev.id();
    }

    /**
     * IOMMU_TEST_OP_MD_CHECK_MAP (iommufd_test_md_check_pa): every page of [iova, iova+length)
     * in the mock domain translates to the page of the user VA at the same offset.
     */
    public void mdCheckMap(int hwptId, long iova, long length, long uptr) {
        HwptPaging hwpt = ictx.getHwptPaging(hwptId);
        if (!Machine.MOCK_DRIVER.equals(hwpt.owner().driverName())) {
            throw fail(EINVAL, "hwpt %d is not a mock domain", hwptId);
        }
        long pageSize = hwpt.domain().minPageSize();
        if (Long.remainderUnsigned(iova, pageSize) != 0 || Long.remainderUnsigned(length, pageSize) != 0
                || Long.remainderUnsigned(uptr, pageSize) != 0 || Long.compareUnsigned(uptr + length, uptr) < 0) {
            throw fail(EINVAL, "iova 0x%x, length 0x%x and uptr 0x%x must be multiples of the domain page size 0x%x", iova, length, uptr, pageSize);
        }
        for (long off = 0; Long.compareUnsigned(off, length) < 0; off += pageSize) {
            Area a = hwpt.ioas().iopt().areaAt(iova + off);
            if (a == null || a.userVa(iova + off) != uptr + off) {
                throw fail(EINVAL, "iova 0x%x does not translate to user address 0x%x%s", iova + off, uptr + off,
                        a == null ? " (not mapped)" : String.format(" (it maps 0x%x)", a.userVa(iova + off)));
            }
        }
    }

    /**
     * IOMMU_TEST_OP_MD_CHECK_IOTLB (iommufd_test_md_check_iotlb): the mock nested domain's
     * IOTLB entry iotlb_id holds this value. The comparison is the mock driver's.
     */
    public void mdCheckIotlb(int hwptId, int iotlbId, long value) {
        HwptNested hwpt = ictx.objects.get(hwptId, ObjType.HWPT_NESTED, HwptNested.class, "nested HWPT");
        if (!Machine.MOCK_DRIVER.equals(hwpt.owner().driverName())) {
            throw fail(EINVAL, "hwpt %d is not a mock nested domain", hwptId);
        }
        hwpt.owner().selftestCheck("md_check_iotlb", hwpt.domain().state(), Integer.toUnsignedLong(iotlbId), value);
    }

    /** IOMMU_TEST_OP_DEV_CHECK_CACHE (iommufd_test_dev_check_cache): the mock device's cache entry. */
    public void devCheckCache(int idevId, int cacheId, long value) {
        IommufdDevice idev = ictx.getDevice(idevId);
        idev.dev.iommu().selftestCheck("dev_check_cache", idev.dev.info(), Integer.toUnsignedLong(cacheId), value);
    }

    /**
     * IOMMU_TEST_OP_TRIGGER_IOPF (iommufd_test_trigger_iopf): the mock device reports a
     * last-page request; PASID_VALID unless pasid is IOMMU_NO_PASID. Whether a fault queue
     * takes it or the core answers it, the op succeeds.
     */
    public void triggerIopf(int devId, int pasid, int grpid, int perm, long addr) {
        IommufdDevice idev = ictx.getDevice(devId);
        if (!Machine.MOCK_DRIVER.equals(idev.dev.iommu().driverName())) {
            throw fail(EINVAL, "dev %d (%s) is not a mock device", devId, idev.dev.name());
        }
        int flags = dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_FLAGS_LAST_PAGE;
        if (pasid != IOMMU_NO_PASID) {
            flags |= dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_FLAGS_PASID_VALID;
        }
        IoPgfault.reportDeviceFault(idev, flags, pasid, grpid, perm, addr, true); // mock_ops.user_pasid_table
    }

    /**
     * IOMMU_TEST_OP_TRIGGER_VEVENT (iommufd_test_trigger_vevent): a struct
     * iommu_viommu_event_selftest {virt_id} into the device's vIOMMU's SELFTEST vEVENTQ.
     */
    public void triggerVevent(int devId) {
        IommufdDevice idev = ictx.getDevice(devId);
        IommufdVdevice vdev = idev.vdev;
        if (vdev == null || vdev.virtId == 0) {
            throw fail(dev.iommufdsim.kernel.uapi.Errno.ENOENT, "dev %d has no vDEVICE with a non-zero virtual ID", devId);
        }
        byte[] event = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt((int) vdev.virtId).array();
        IoPgfault.viommuReportEvent(vdev.viommu, dev.iommufdsim.kernel.uapi.Uapi.IOMMU_VEVENTQ_TYPE_SELFTEST, event);
    }
}
