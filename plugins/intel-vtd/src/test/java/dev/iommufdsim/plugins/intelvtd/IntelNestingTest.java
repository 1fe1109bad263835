package dev.iommufdsim.plugins.intelvtd;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.NIC;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.alloc;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.errno;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.unit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.UserDataArray;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** VT-d nesting against drivers/iommu/intel/nested.c and pasid.c of Linux 7.2. */
class IntelNestingTest {
    /** attach_dev as the core runs it: attachDev, (the IOPF enabling,) attachDevAfterIopf. */
    static void attach(NestedDomain d, dev.iommufdsim.kernel.spi.DeviceInfo dev, IntelVtdInstance unit) {
        d.attachDev(dev, unit, null);
        d.attachDevAfterIopf(dev, unit);
    }

    static byte[] s1(long flags, long pgtbl, int addrWidth, int reserved) {
        return UserStruct.allocate(24).putU64(0, flags).putU64(8, pgtbl).putU32(16, addrWidth).putU32(20, reserved).bytes();
    }

    static byte[] inv(long addr, long npages, int flags, int reserved) {
        return UserStruct.allocate(24).putU64(0, addr).putU64(8, npages).putU32(16, flags).putU32(20, reserved).bytes();
    }

    private final IntelVtdInstance unit = unit(Map.of());
    private final PagingDomain parent = alloc(unit, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);

    private NestedDomain nested(IntelVtdInstance u, PagingDomain p, byte[] data) {
        return u.domainAllocNested(NIC, p, 0, Uapi.IOMMU_HWPT_DATA_VTD_S1, data);
    }

    /** intel_iommu_domain_alloc_nested() (nested.c:196): the order of its checks; nothing in the data is checked. */
    @Test
    void allocChecksInTheKernelsOrder() {
        assertTrue(unit.hasDomainAllocNested());
        IntelVtdInstance noNest = unit(Map.of("nesting", false));
        assertEquals(EOPNOTSUPP, errno(() -> noNest.domainAllocNested(NIC, parent, 0, 99, new byte[1])));
        assertEquals(EOPNOTSUPP, errno(() -> unit.domainAllocNested(NIC, parent, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, 99, new byte[1])));
        assertEquals(EOPNOTSUPP, errno(() -> unit.domainAllocNested(NIC, alloc(unit, 0), 0, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, new byte[16])));
        assertEquals(EINVAL, errno(() -> nested(unit, alloc(unit, 0), new byte[1])), "a first-stage parent");
        assertEquals(EINVAL, errno(() -> nested(unit, alloc(unit, Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING), s1(0, 0, 48, 0))),
                "a second-stage domain that is no nesting parent");
        assertEquals(EINVAL, errno(() -> nested(unit, parent, new byte[20])), "offsetofend(__reserved) = 24");
        assertEquals(EINVAL, errno(() -> nested(unit, parent, new byte[32])));
        NestedDomain d = nested(unit, parent, s1(-1L, 0x1234, 0, 0xffff));
        assertEquals(new IntelNestedDomain.S1Cfg(-1L, 0x1234, 0, 0xffff), d.state());
        unit.domainAllocNested(NIC, parent, Uapi.IOMMU_HWPT_ALLOC_PASID, Uapi.IOMMU_HWPT_DATA_VTD_S1, s1(0, 0, 48, 0));
    }

    /** Vendor policies 6.4: addr_width 57 on a unit without 5-level paging allocates, then attach fails EINVAL (pasid.c:684). */
    @Test
    void attachChecksTheStage1Config() {
        NestedDomain wide = nested(unit, parent, s1(0, 0x1000, 57, 0));
        assertEquals(EINVAL, errno(() -> attach(wide, NIC, unit)));
        attach(nested(unit, parent, s1(0, 0x1000, 48, 0)), NIC, unit);
        IntelVtdInstance five = unit(Map.of("gaw", 57L, "five_level", true));
        attach(nested(five, alloc(five, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT), s1(0, 0x1000, 57, 0)), NIC, five);
        assertEquals(EINVAL, errno(() -> attach(nested(unit, parent, s1(0, 0x1000, 39, 0)), NIC, unit)));
        attach(nested(unit, parent, s1(IntelNestedDomain.IOMMU_VTD_S1_SRE | IntelNestedDomain.IOMMU_VTD_S1_EAFE | IntelNestedDomain.IOMMU_VTD_S1_WPE,
                0x1000, 48, 0)), NIC, unit);
        IntelVtdInstance noSrs = unit(Map.of("ecap_reg", VtdRegs.defaultEcap(true) & ~VtdRegs.ECAP_SRS));
        PagingDomain p2 = alloc(noSrs, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        assertEquals(EINVAL, errno(() -> attach(nested(noSrs, p2, s1(IntelNestedDomain.IOMMU_VTD_S1_SRE, 0, 48, 0)), NIC, noSrs)));
        attach(nested(noSrs, p2, s1(IntelNestedDomain.IOMMU_VTD_S1_WPE, 0, 48, 0)), NIC, noSrs);
        IntelVtdInstance noEafs = unit(Map.of("ecap_reg", VtdRegs.defaultEcap(true) & ~VtdRegs.ECAP_EAFS));
        PagingDomain p3 = alloc(noEafs, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        assertEquals(EINVAL, errno(() -> attach(nested(noEafs, p3, s1(IntelNestedDomain.IOMMU_VTD_S1_EAFE, 0, 48, 0)), NIC, noEafs)));
    }

    /**
     * intel_nested_attach_dev() (nested.c:18) checks the device's own unit (info->iommu), not the
     * allocating one: a parent made on a nesting unit is refused for a device behind a unit
     * without ECAP.NEST (paging_domain_compatible_second_stage), and a 57-bit stage 1 made on a
     * 5-level unit is refused for a device behind a 4-level unit (intel_pasid_setup_nested).
     */
    @Test
    void attachChecksTheDevicesOwnUnit() {
        IntelVtdInstance noNest = unit(Map.of("nesting", false));
        NestedDomain d = nested(unit, parent, s1(0, 0x1000, 48, 0));
        attach(d, NIC, unit);
        assertEquals(EINVAL, errno(() -> attach(d, NIC, noNest)), "the device's unit has no nested translation");
        IntelVtdInstance five = unit(Map.of("gaw", 57L, "five_level", true));
        NestedDomain wide = nested(five, parent, s1(0, 0x1000, 57, 0));
        attach(wide, NIC, five);
        assertEquals(EINVAL, errno(() -> attach(wide, NIC, unit)), "addr_width 57 without CAP.FL5LP on the device's unit");
    }

    /** intel_nested_cache_invalidate_user() (nested.c:91). */
    @Test
    void invalidation() {
        NestedDomain d = nested(unit, parent, s1(0, 0x1000, 48, 0));
        assertTrue(d.hasCacheInvalidateUser());
        UserDataArray badType = new UserDataArray(1, 24, List.of(inv(0, 1, 0, 0)));
        assertEquals(EINVAL, errno(() -> d.cacheInvalidateUser(badType)));
        assertEquals(0, badType.done());
        UserDataArray none = new UserDataArray(0, 24, List.of());
        d.cacheInvalidateUser(none);
        assertEquals(0, none.done());
        UserDataArray all = new UserDataArray(0, 24, List.of(inv(0, -1L, 0, 0), inv(0x2000, 4, 1, 0)));
        d.cacheInvalidateUser(all);
        assertEquals(2, all.done());
        assertEquals(EOPNOTSUPP, errno(() -> d.cacheInvalidateUser(new UserDataArray(0, 24, List.of(inv(0, 1, 2, 0))))), "flags beyond LEAF");
        assertEquals(EOPNOTSUPP, errno(() -> d.cacheInvalidateUser(new UserDataArray(0, 24, List.of(inv(0, 1, 0, 1))))), "__reserved");
        assertEquals(EINVAL, errno(() -> d.cacheInvalidateUser(new UserDataArray(0, 24, List.of(inv(0x800, 1, 0, 0))))), "not 4K aligned");
        assertEquals(EINVAL, errno(() -> d.cacheInvalidateUser(new UserDataArray(0, 24, List.of(inv(0x1000, -1L, 0, 0))))), "all with addr");
        assertEquals(EINVAL, errno(() -> d.cacheInvalidateUser(new UserDataArray(0, 16, List.of(new byte[16])))), "entry_len below 24");
        UserDataArray partial = new UserDataArray(0, 24, List.of(inv(0x1000, 1, 0, 0), inv(0x3000, 1, 0, 0), inv(0x4001, 1, 0, 0), inv(0, 1, 0, 0)));
        assertEquals(EINVAL, errno(() -> d.cacheInvalidateUser(partial)));
        assertEquals(2, partial.done());
        assertFalse(unit.viommuSupported(NIC, 1), "VT-d has no vIOMMU");
    }
}
