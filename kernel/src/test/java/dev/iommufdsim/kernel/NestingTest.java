package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.TestDrivers.DATA_TYPE;
import static dev.iommufdsim.kernel.TestDrivers.ITS_DOORBELL;
import static dev.iommufdsim.kernel.TestDrivers.VIOMMU_TYPE;
import static dev.iommufdsim.kernel.TestDrivers.region;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.V;
import static dev.iommufdsim.kernel.uapi.Errno.EADDRINUSE;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_FAULT_ID_VALID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Nesting (hw_pagetable.c, viommu.c, device.c, driver.c) and the profiles' answers to the
 * reserved-region question, with a test driver whose devices have an ARM-like SW_MSI
 * window and an IORT-RMR-like RESERVED region.
 */
class NestingTest {
    static final long SW_MSI = 0x8000000;
    static final byte[] S1 = {1, 0, 0, 0};

    record Setup(IommufdCtx ctx, int ioas, int dev, int parent) {
    }

    static Setup setup(KernelProfile profile) {
        IommufdCtx ctx = TestDrivers.machine(profile).open();
        Machine m = ctx.machine();
        m.declareIommu("smmu0", "regions", Map.of());
        PhysDevice nic = m.declareDevice("nic", "smmu0", "0000:01:00.0", null,
                Map.of("resv", List.of(region(SW_MSI, 0x100000, ResvType.SW_MSI), region(0x20000000, 0x10000, ResvType.RESERVED))));
        int ioas = ctx.ioasAlloc(0);
        int dev = ctx.vfioDeviceBind(nic, 0);
        int parent = ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
        return new Setup(ctx, ioas, dev, parent);
    }

    static List<IovaRange> ranges(Setup s) {
        return s.ctx.ioasIovaRanges(s.ioas, 16, 0).ranges();
    }

    @Test
    void nestedAllocChecks() {
        Setup s = setup(KernelProfile.MAINLINE);
        IommufdCtx ctx = s.ctx;
        int notParent = ctx.hwptAlloc(0, s.dev, s.ioas, 0, null, 0, 0);
        errno(EINVAL, () -> ctx.hwptAlloc(0, s.dev, s.parent, 0, S1, 0, 0)); // data without a type
        errno(EOPNOTSUPP, () -> ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, s.dev, s.parent, DATA_TYPE, S1, 0, 0));
        errno(EOPNOTSUPP, () -> ctx.hwptAlloc(0, s.dev, s.parent, DATA_TYPE + 1, S1, 0, 0)); // the driver's refusal
        errno(EINVAL, () -> ctx.hwptAlloc(0, s.dev, notParent, DATA_TYPE, S1, 0, 0));
        int nested = ctx.hwptAlloc(0, s.dev, s.parent, DATA_TYPE, S1, 0, 0);
        errno(EINVAL, () -> ctx.hwptAlloc(0, s.dev, nested, DATA_TYPE, S1, 0, 0)); // nested on nested
        errno(ENOENT, () -> ctx.hwptAlloc(IOMMU_HWPT_FAULT_ID_VALID, s.dev, s.parent, DATA_TYPE, S1, 0xffffffff, 0));
        IommufdCtx.QueueOut fq = ctx.faultQueueAlloc(0);
        int fault = fq.id();
        int withFault = ctx.hwptAlloc(IOMMU_HWPT_FAULT_ID_VALID, s.dev, s.parent, DATA_TYPE, S1, fault, 0);
        errno(EBUSY, () -> ctx.destroy(s.parent));
        errno(EBUSY, () -> ctx.destroy(fault));
        ctx.destroy(withFault);
        errno(EBUSY, () -> ctx.destroy(fault)); // its fd holds it (iommufd_eventq_init)
        ctx.closeFd(fq.fd());
        ctx.destroy(fault);
        ctx.destroy(nested);
        ctx.destroy(s.parent);
    }

    /**
     * SPI-PROPOSALS 1: the kernel tells a nested domain's attach_dev which instance the device is
     * behind (dev_iommu_priv_get(dev)), so a driver can refuse a device of another instance of
     * itself, as arm_smmu_attach_dev_nested does (EINVAL); the group's state is left as it was.
     */
    @Test
    void nestedAttachSeesTheDevicesOwnInstance() {
        Setup s = setup(KernelProfile.MAINLINE);
        Machine m = s.ctx.machine();
        m.declareIommu("smmu1", "regions", Map.of());
        PhysDevice other = m.declareDevice("nic1", "smmu1", "0000:02:00.0", null, Map.of());
        int dev1 = s.ctx.vfioDeviceBind(other, 0);
        int nested = s.ctx.hwptAlloc(0, s.dev, s.parent, DATA_TYPE, S1, 0, 0);
        IommufdException e = errno(EINVAL, () -> s.ctx.vfioDeviceAttach(dev1, 0, nested, 0));
        assertTrue(e.reason().contains("nic1"), e.reason());
        assertNull(((IommufdDevice) s.ctx.object(dev1)).attachedHwpt());
        assertEquals(List.of(new IovaRange(0, (1L << 48) - 1)), ranges(s), "no reservation left behind");
        assertEquals(nested, s.ctx.vfioDeviceAttach(s.dev, 0, nested, 0));
    }

    @Test
    void invalidateWritesBackEntryNum() {
        Setup s = setup(KernelProfile.MAINLINE);
        int nested = s.ctx.hwptAlloc(0, s.dev, s.parent, DATA_TYPE, S1, 0, 0);
        byte[] ok = {1, 0, 0, 0, 0, 0, 0, 0};
        byte[] bad = {(byte) 0xff, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(0, s.ctx.hwptInvalidate(nested, DATA_TYPE, 8, List.of(), false, 0));
        assertEquals(2, s.ctx.hwptInvalidate(nested, DATA_TYPE, 8, List.of(ok, ok), false, 0));
        IommufdException e = errno(EINVAL, () -> s.ctx.hwptInvalidate(nested, DATA_TYPE, 8, List.of(ok, bad, ok), false, 0));
        assertEquals(new IommufdCtx.InvalidateOut(1), e.partialOutput());
        e = errno(EINVAL, () -> s.ctx.hwptInvalidate(s.parent, DATA_TYPE, 8, List.of(ok), false, 0)); // a paging HWPT
        assertEquals(new IommufdCtx.InvalidateOut(0), e.partialOutput());
        errno(EINVAL, () -> s.ctx.hwptInvalidate(nested, DATA_TYPE, 0, List.of(ok), false, 0));
        errno(EINVAL, () -> s.ctx.hwptInvalidate(nested, DATA_TYPE, 8, List.of(ok), true, 0));
        errno(EOPNOTSUPP, () -> s.ctx.hwptInvalidate(nested, DATA_TYPE, 8, List.of(ok), false, 1));
        errno(ENOENT, () -> s.ctx.hwptInvalidate(99, DATA_TYPE, 8, List.of(ok), false, 0));
    }

    @Test
    void viommuAndVdevice() {
        Setup s = setup(KernelProfile.MAINLINE);
        IommufdCtx ctx = s.ctx;
        int notParent = ctx.hwptAlloc(0, s.dev, s.ioas, 0, null, 0, 0);
        errno(EOPNOTSUPP, () -> ctx.viommuAlloc(0, 0, s.dev, s.parent, null));
        errno(EOPNOTSUPP, () -> ctx.viommuAlloc(0, 0xdead, s.dev, s.parent, null));
        errno(ENOENT, () -> ctx.viommuAlloc(0, VIOMMU_TYPE, s.dev, 0, null));
        errno(EINVAL, () -> ctx.viommuAlloc(0, VIOMMU_TYPE, s.dev, notParent, null));
        int viommu = ctx.viommuAlloc(0, VIOMMU_TYPE, s.dev, s.parent, null).outViommuId();
        int nested = ctx.hwptAlloc(0, s.dev, viommu, DATA_TYPE, S1, 0, 0);
        errno(ENOENT, () -> ctx.vfioDeviceAttach(s.dev, 0, nested, 0)); // no vDEVICE yet
        int vdev = ctx.vdeviceAlloc(viommu, s.dev, 0x99);
        errno(EEXIST, () -> ctx.vdeviceAlloc(viommu, s.dev, 0x98)); // one vDEVICE per device
        assertEquals(nested, ctx.vfioDeviceAttach(s.dev, 0, nested, 0));
        errno(EBUSY, () -> ctx.destroy(viommu));
        errno(EBUSY, () -> ctx.destroy(s.parent));
        IommufdCtx.QueueOut qo = ctx.veventqAlloc(0, viommu, 1, 2, 0);
        int q = qo.id();
        errno(EEXIST, () -> ctx.veventqAlloc(0, viommu, 1, 2, 0));
        errno(EINVAL, () -> ctx.veventqAlloc(0, viommu, 2, 0, 0));
        // Unbinding the device destroys its vDEVICE and leaves the ID a tombstone.
        ctx.vfioDeviceClose(s.dev);
        errno(ENOENT, () -> ctx.destroy(vdev));
        assertNull(ctx.object(vdev));
        ctx.destroy(nested);
        ctx.closeFd(qo.fd());
        ctx.destroy(q);
        ctx.destroy(viommu);
        ctx.destroy(s.parent);
        assertTrue(ctx.ioasAlloc(0) != vdev, "a tombstoned ID is not reused");
    }

    @Test
    void mainlineEnforcesRegionsInTheParentIoasOnNestedAttach() {
        Setup s = setup(KernelProfile.MAINLINE);
        int nested = s.ctx.hwptAlloc(0, s.dev, s.parent, DATA_TYPE, S1, 0, 0);
        // The parent alone reserves only what lies outside its aperture.
        assertEquals(List.of(new IovaRange(0, (1L << 48) - 1)), ranges(s));
        s.ctx.vfioDeviceAttach(s.dev, 0, nested, 0);
        assertEquals(List.of(new IovaRange(0, SW_MSI - 1), new IovaRange(SW_MSI + 0x100000, 0x1fffffff),
                new IovaRange(0x20010000, (1L << 48) - 1)), ranges(s));
        errno(EINVAL, () -> s.ctx.ioasMap(s.ioas, FIXED, V, 0x1000, 0x20000000, 0));
        s.ctx.vfioDeviceDetach(s.dev, 0, 0);
        assertEquals(List.of(new IovaRange(0, (1L << 48) - 1)), ranges(s));
    }

    @Test
    void v67NestedAttachTouchesNoIoas() {
        Setup s = setup(KernelProfile.V6_7);
        int nested = s.ctx.hwptAlloc(0, s.dev, s.parent, DATA_TYPE, S1, 0, 0);
        s.ctx.ioasMap(s.ioas, FIXED, V, 0x1000, 0x20000000, 0); // over the device's RESERVED region
        s.ctx.vfioDeviceAttach(s.dev, 0, nested, 0);
        assertEquals(List.of(new IovaRange(0, (1L << 48) - 1)), ranges(s));
        // A paging attach still reserves: replacing onto the parent meets the mapping.
        errno(EADDRINUSE, () -> s.ctx.vfioDeviceAttach(s.dev, 0, s.parent, 0));
    }

    @Test
    void seedReservesOnlySwMsiOnNestedAttach() {
        Setup s = setup(KernelProfile.SEED);
        int nested = s.ctx.hwptAlloc(0, s.dev, s.parent, DATA_TYPE, S1, 0, 0);
        s.ctx.vfioDeviceAttach(s.dev, 0, nested, 0);
        assertEquals(List.of(new IovaRange(0, SW_MSI - 1), new IovaRange(SW_MSI + 0x100000, (1L << 48) - 1)), ranges(s));
        s.ctx.ioasMap(s.ioas, FIXED, V, 0x1000, 0x20000000, 0); // the RESERVED region is the VMM's to avoid
    }

    @Test
    void swMsiSameIovaInEveryDomainAndReinstalledOnReplace() {
        Setup s = setup(KernelProfile.MAINLINE);
        IommufdCtx ctx = s.ctx;
        int nested = ctx.hwptAlloc(0, s.dev, s.parent, DATA_TYPE, S1, 0, 0);
        ctx.vfioDeviceAttach(s.dev, 0, nested, 0);
        SwMsi.Programmed p = ctx.msiRequest(s.dev, -1);
        assertTrue(p.translated());
        assertEquals(SW_MSI + 0x40, p.address()); // sw_msi_start + 0 pages, doorbell offset kept
        HwptPaging parent = (HwptPaging) ctx.object(s.parent);
        assertEquals(List.of(new SwMsi.Page(SW_MSI, 0x8090000)), parent.msiPages()); // mapped into the S2
        assertEquals(SW_MSI + 0x40, ctx.msiRequest(s.dev, -1).address()); // the same map again
        assertEquals(SW_MSI + 0x1000 + 0x40, ctx.msiRequest(s.dev, 0x9090040L).address()); // a second doorbell: next page
        // Moving the group to another paging domain installs every page it requires first.
        int other = ctx.ioasAlloc(0);
        int auto = ctx.vfioDeviceAttach(s.dev, 0, other, 0);
        HwptPaging autoHwpt = (HwptPaging) ctx.object(auto);
        assertEquals(List.of(new SwMsi.Page(SW_MSI, 0x8090000), new SwMsi.Page(SW_MSI + 0x1000, 0x9090000)), autoHwpt.msiPages());
    }

    @Test
    void swMsiMapsAreLimitedTo64PerContext() {
        Setup s = setup(KernelProfile.MAINLINE);
        s.ctx.vfioDeviceAttach(s.dev, 0, s.ioas, 0);
        for (int i = 0; i < SwMsi.MAX_MAPS; i++) {
            s.ctx.msiRequest(s.dev, 0x10000000L + i * 0x1000L);
        }
        errno(EOVERFLOW, () -> s.ctx.msiRequest(s.dev, 0x20000000L));
        assertEquals(SW_MSI + 0x1000, s.ctx.msiRequest(s.dev, 0x10001000L).address()); // existing maps still answer
    }

    @Test
    void v67CookieOnPagingOnlyAndNestedUnmapped() {
        Setup s = setup(KernelProfile.V6_7);
        int nested = s.ctx.hwptAlloc(0, s.dev, s.parent, DATA_TYPE, S1, 0, 0);
        s.ctx.vfioDeviceAttach(s.dev, 0, nested, 0);
        SwMsi.Programmed p = s.ctx.msiRequest(s.dev, -1);
        assertFalse(p.translated());
        assertEquals(ITS_DOORBELL, p.address());
        // 6.7 learnt sw_msi_start only on a first paging attach (iommufd_device_attach_reserved_iova);
        // replace passed NULL, so a group that started nested gets no cookie on replace either.
        s.ctx.vfioDeviceAttach(s.dev, 0, s.parent, 0);
        assertFalse(s.ctx.msiRequest(s.dev, -1).translated());
        s.ctx.vfioDeviceDetach(s.dev, 0, 0);
        s.ctx.vfioDeviceAttach(s.dev, 0, s.parent, 0);
        assertEquals(SW_MSI + 0x40, s.ctx.msiRequest(s.dev, -1).address());
    }

    @Test
    void notAttachedOrHardwareMsiLeavesTheMessageAlone() {
        Setup s = setup(KernelProfile.MAINLINE);
        assertFalse(s.ctx.msiRequest(s.dev, -1).translated());
    }
}
