package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.TestDrivers.region;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.V;
import static dev.iommufdsim.kernel.uapi.Errno.EADDRINUSE;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_FAULT_ID_VALID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Devices, groups, attach/replace/detach and HWPT_ALLOC (device.c, hw_pagetable.c). */
class DeviceTest {
    static final long SW_MSI = 0x8000000;

    private static PhysDevice regionDevice(Machine m, String name, String group, List<Map<String, Object>> regions) {
        if (m.iommus().stream().noneMatch(i -> i.name().equals("r"))) {
            m.declareIommu("r", "regions", Map.of());
        }
        return m.declareDevice(name, "r", null, group, Map.of("resv", regions));
    }

    @Test
    void reservedRegionsEnforcedAtAttachAndRemovedAtDetach() {
        IommufdCtx ctx = TestDrivers.machine().open();
        PhysDevice nic = regionDevice(ctx.machine(), "nic", null, List.of(region(SW_MSI, 0x100000, ResvType.SW_MSI),
                region(0x40000000, 0x1000, ResvType.DIRECT_RELAXABLE)));
        int ioas = ctx.ioasAlloc(0);
        int dev = ctx.vfioDeviceBind(nic, 0);
        assertEquals(2, dev);
        assertEquals(3, ctx.vfioDeviceAttach(dev, 0, ioas, 0)); // auto domain
        assertEquals(List.of(new IovaRange(0, SW_MSI - 1), new IovaRange(SW_MSI + 0x100000, (1L << 48) - 1)),
                ctx.ioasIovaRanges(ioas, 8, 0).ranges());
        IommufdException e = errno(EINVAL, () -> ctx.ioasMap(ioas, FIXED, V, 0x1000, SW_MSI, 0));
        assertTrue(e.reason().contains("sw_msi") && e.reason().contains("dev 2 (nic)"), e.reason());
        ctx.ioasMap(ioas, FIXED, V, 0x1000, 0x40000000, 0); // the relaxable RMRR is not reserved
        ctx.vfioDeviceDetach(dev, 0, 0);
        errno(ENOENT, () -> ctx.destroy(3)); // the auto HWPT died with its last device
        assertEquals(List.of(new IovaRange(0, -1L)), ctx.ioasIovaRanges(ioas, 8, 0).ranges());
        ctx.vfioDeviceDetach(dev, 0, 0); // detaching nothing is silent
    }

    @Test
    void attachCollisionRollsBack() {
        IommufdCtx ctx = TestDrivers.machine().open();
        PhysDevice nic = regionDevice(ctx.machine(), "nic", null, List.of(region(0x10000, 0x1000, ResvType.RESERVED),
                region(SW_MSI, 0x100000, ResvType.SW_MSI)));
        int ioas = ctx.ioasAlloc(0);
        ctx.ioasMap(ioas, FIXED, V, 0x1000, SW_MSI, 0);
        int dev = ctx.vfioDeviceBind(nic, 0);
        IommufdException e = errno(EADDRINUSE, () -> ctx.vfioDeviceAttach(dev, 0, ioas, 0));
        assertTrue(e.reason().contains("0x8000000"), e.reason());
        assertEquals(List.of(new IovaRange(0, -1L)), ctx.ioasIovaRanges(ioas, 8, 0).ranges()); // RESERVED rolled back
        assertNull(ctx.object(3)); // the tentative auto HWPT ID was released
        assertEquals(3, ctx.ioasAlloc(0));
    }

    @Test
    void allowedRangeBlocksReservedRegion() {
        IommufdCtx ctx = TestDrivers.machine().open();
        PhysDevice nic = regionDevice(ctx.machine(), "nic", null, List.of(region(SW_MSI, 0x100000, ResvType.SW_MSI)));
        int ioas = ctx.ioasAlloc(0);
        ctx.ioasAllowIovas(ioas, List.of(new IovaRange(0x7000000, 0x8ffffff)), 0);
        int dev = ctx.vfioDeviceBind(nic, 0);
        errno(EADDRINUSE, () -> ctx.vfioDeviceAttach(dev, 0, ioas, 0));
    }

    @Test
    void msiAndSwMsiTogetherIsADriverBug() {
        IommufdCtx ctx = TestDrivers.machine().open();
        PhysDevice d = regionDevice(ctx.machine(), "hisi", null, List.of(region(SW_MSI, 0x100000, ResvType.SW_MSI),
                region(0x20000000, 0x10000, ResvType.MSI)));
        int ioas = ctx.ioasAlloc(0);
        int dev = ctx.vfioDeviceBind(d, 0);
        errno(EINVAL, () -> ctx.vfioDeviceAttach(dev, 0, ioas, 0));
        assertEquals(List.of(new IovaRange(0, -1L)), ctx.ioasIovaRanges(ioas, 8, 0).ranges());
    }

    @Test
    void bindRules() {
        IommufdCtx a = TestDrivers.machine().open();
        Machine m = a.machine();
        PhysDevice rmrr = regionDevice(m, "nic", null, List.of(region(0x7c000000, 0x100000, ResvType.DIRECT)));
        errno(EINVAL, () -> a.vfioDeviceBind(rmrr, 0)); // RESV_DIRECT: no blocking domain
        PhysDevice f0 = regionDevice(m, "f0", "g", List.of());
        PhysDevice f1 = regionDevice(m, "f1", "g", List.of());
        int d0 = a.vfioDeviceBind(f0, 0);
        assertEquals(1, d0); // the failed bind left no ID gap
        errno(EINVAL, () -> a.vfioDeviceBind(f0, 0)); // already bound
        IommufdCtx b = m.open();
        errno(EPERM, () -> b.vfioDeviceBind(f1, 0)); // the group belongs to context a
        int d1 = a.vfioDeviceBind(f1, 0);
        errno(EBUSY, () -> a.destroy(d1));
        a.vfioDeviceClose(d0);
        a.vfioDeviceClose(d1);
        assertEquals(1, b.vfioDeviceBind(f1, 0)); // released: another context may own it now
    }

    @Test
    void groupSharesOneHwpt() {
        IommufdCtx ctx = TestDrivers.machine().open();
        PhysDevice f0 = regionDevice(ctx.machine(), "f0", "g", List.of(region(0x10000, 0x1000, ResvType.RESERVED)));
        PhysDevice f1 = regionDevice(ctx.machine(), "f1", "g", List.of(region(0x20000, 0x1000, ResvType.RESERVED)));
        int ioas = ctx.ioasAlloc(0);
        int other = ctx.ioasAlloc(0);
        int d0 = ctx.vfioDeviceBind(f0, 0);
        int d1 = ctx.vfioDeviceBind(f1, 0);
        int hwpt = ctx.vfioDeviceAttach(d0, 0, ioas, 0);
        errno(EINVAL, () -> ctx.vfioDeviceAttach(d1, 0, other, 0)); // group already on another HWPT
        assertEquals(hwpt, ctx.vfioDeviceAttach(d1, 0, ioas, 0));
        // Each device's own regions are reserved: per device, not the group's merged list.
        assertEquals(3, ctx.ioasIovaRanges(ioas, 8, 0).numIovas());
        // Replace moves the whole group; regions move to the new IOAS.
        ctx.vfioDeviceAttach(d0, 0, other, 0);
        assertEquals(3, ctx.ioasIovaRanges(other, 8, 0).numIovas());
        assertEquals(1, ctx.ioasIovaRanges(ioas, 8, 0).numIovas());
    }

    @Test
    void mockDomainReplaceDerivedIds() {
        // iommufd_mock_domain/one_domain replace, with the IDs the kernel's allocator gives.
        IommufdCtx ctx = TestDrivers.machine().open();
        Selftest st = ctx.selftest();
        ctx.ioasAlloc(0);
        assertEquals(new Selftest.MockDomain(2, 4, 3), st.mockDomain(1, 0));
        int x = ctx.ioasAlloc(0);
        assertEquals(5, x);
        assertEquals(6, st.mockDomainReplace(2, x));
        errno(ENOENT, () -> st.mockDomainReplace(2, 4)); // the old auto HWPT is gone
        assertEquals(6, st.mockDomainReplace(2, x)); // no-op
        assertEquals(4, st.mockDomainReplace(2, 1)); // lowest free ID again
        ctx.destroy(x); // HWPT 6 went with its device
    }

    @Test
    void mockDomainAllocHwpt() {
        IommufdCtx ctx = TestDrivers.machine().open();
        Selftest st = ctx.selftest();
        ctx.ioasAlloc(0);
        st.mockDomain(1, 0);
        errno(EOPNOTSUPP, () -> ctx.hwptAlloc(~IOMMU_HWPT_ALLOC_NEST_PARENT, 3, 1, 0, null, 0, 0));
        int a = ctx.hwptAlloc(0, 3, 1, 0, null, 0, 0);
        int b = ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, 3, 1, 0, null, 0, 0);
        st.mockDomainReplace(2, a);
        errno(EBUSY, () -> ctx.destroy(a));
        st.mockDomainReplace(2, b);
        errno(EBUSY, () -> ctx.destroy(b));
        st.mockDomainReplace(2, 1);
        ctx.destroy(b);
        Selftest.MockDomain md = st.mockDomain(a, 0);
        assertEquals(a, md.outHwptId());
        ctx.destroy(md.outStdevId());
        ctx.destroy(a);
    }

    @Test
    void hwptAllocParentChecks() {
        IommufdCtx ctx = TestDrivers.machine().open();
        ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(1, 0);
        errno(EOPNOTSUPP, () -> ctx.hwptAlloc(0, 3, 1, 0, null, 0, 1));
        errno(EINVAL, () -> ctx.hwptAlloc(0, 3, 1, 0, new byte[8], 0, 0));
        errno(EINVAL, () -> ctx.hwptAlloc(0, 3, 1, 0xdead, null, 0, 0));
        errno(ENOENT, () -> ctx.hwptAlloc(0, 1, 3, 0, null, 0, 0)); // dev_id 1 is the IOAS
        errno(EINVAL, () -> ctx.hwptAlloc(0, 3, 3, 0, null, 0, 0)); // pt_id is a device
        errno(EINVAL, () -> ctx.hwptAlloc(0, 3, 99, 0, null, 0, 0)); // missing pt_id is EINVAL, not ENOENT
        errno(EOPNOTSUPP, () -> ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID, 3, 1, 0, null, 0, 0));
        assertEquals(5, ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, 3, 1, 0, null, 0, 0));
        assertEquals(6, ctx.hwptAlloc(0, 3, 1, 0, null, 0, 0));
    }

    @Test
    void enforceDirty() {
        IommufdCtx ctx = TestDrivers.machine().open();
        Selftest st = ctx.selftest();
        ctx.ioasAlloc(0);
        st.mockDomain(1, 0);
        int h = ctx.hwptAlloc(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 3, 1, 0, null, 0, 0);
        st.mockDomain(h, 0);
        errno(EINVAL, () -> st.mockDomain(h, Selftest.MOCK_FLAGS_DEVICE_NO_DIRTY));
        int ioas2 = ctx.ioasAlloc(0);
        Selftest.MockDomain nd = st.mockDomain(ioas2, Selftest.MOCK_FLAGS_DEVICE_NO_DIRTY);
        errno(EOPNOTSUPP, () -> ctx.hwptAlloc(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, nd.outIdevId(), ioas2, 0, null, 0, 0));
    }

    @Test
    void autoDomainsAreShared() {
        IommufdCtx ctx = TestDrivers.machine().open();
        Selftest st = ctx.selftest();
        ctx.ioasAlloc(0);
        assertEquals(new Selftest.MockDomain(2, 4, 3), st.mockDomain(1, 0));
        assertEquals(new Selftest.MockDomain(5, 4, 6), st.mockDomain(1, Selftest.MOCK_FLAGS_DEVICE_PASID));
        ctx.destroy(2);
        ctx.destroy(5);
        errno(ENOENT, () -> ctx.destroy(4));
        ctx.destroy(1);
        assertTrue(ctx.objectList().isEmpty());
    }

    @Test
    void getHwInfo() {
        IommufdCtx ctx = TestDrivers.machine().open();
        ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(1, 0);
        IommufdCtx.HwInfoOut out = ctx.getHwInfo(0, 3, 16, 0, null);
        assertEquals(0xfeedbeef, out.outDataType());
        assertEquals(8, out.dataLen());
        assertEquals(16, out.data().length);
        assertEquals(1 | 8, out.outCapabilities()); // DIRTY_TRACKING, PCI_ATS_NOT_SUPPORTED
        errno(EOPNOTSUPP, () -> ctx.getHwInfo(2, 3, 0, 0, null));
        errno(ENOENT, () -> ctx.getHwInfo(0, 0, 0, 0, null));
    }

    @Test
    void closeDestroysEverything() {
        IommufdCtx ctx = TestDrivers.machine().open();
        PhysDevice nic = regionDevice(ctx.machine(), "nic", null, List.of(region(SW_MSI, 0x100000, ResvType.SW_MSI)));
        ctx.ioasAlloc(0);
        ctx.ioasMap(1, FIXED, V, 0x1000, 0x1000000, 0);
        ctx.selftest().mockDomain(1, 0);
        int dev = ctx.vfioDeviceBind(nic, 0);
        ctx.vfioDeviceAttach(dev, 0, 1, 0);
        ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, 3, 1, 0, null, 0, 0);
        ctx.close();
        assertTrue(ctx.objectList().isEmpty());
        assertNull(nic.boundTo());
        assertEquals(1, ctx.machine().open().vfioDeviceBind(nic, 0));
    }
}
