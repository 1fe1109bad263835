package dev.iommufdsim.plugins.intelvtd;

import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.plugins.intelvtd.IntelNestingTest.s1;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.alloc;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.errno;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.unit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * PASID attach on VT-d against drivers/iommu/intel/ of Linux 7.2: intel_iommu_set_dev_pasid()
 * (iommu.c:3633), intel_nested_set_dev_pasid() (nested.c:145), blocking_domain_set_dev_pasid()
 * (iommu.c:3583), intel_pasid_setup_* (pasid.c) and intel_pasid_alloc_table() (pasid.c:41).
 */
class IntelPasidTest {
    private final IntelVtdInstance unit = unit(Map.of());
    private final DeviceInfo nic = new DeviceInfo("nic0", "0000:03:00.0", Map.of("pasid_bits", 20L));

    /** max_pasids = min(pci_max_pasids, 2 << ECAP.PSS); none without scalable mode or ECAP.PASID. */
    @Test
    void maxPasids() {
        assertEquals(1 << 20, unit.capabilities(nic).maxPasids());
        assertEquals(1 << 4, unit.capabilities(new DeviceInfo("n4", "0000:04:00.0", Map.of("pasid_bits", 4L))).maxPasids());
        assertEquals(0, unit(Map.of("sm_on", false)).capabilities(nic).maxPasids());
        long pss7 = VtdRegs.defaultEcap(true) & ~(0x1fL << VtdRegs.ECAP_PSS_SHIFT) | 7L << VtdRegs.ECAP_PSS_SHIFT;
        assertEquals(1 << 8, unit(Map.of("ecap_reg", pss7)).capabilities(nic).maxPasids());
    }

    /** intel_pasid_alloc_table(): whole pages of 8-byte directory entries, at least 32768 PASIDs. */
    @Test
    void pasidTableSize() {
        assertEquals(1L << 20, unit.pasidTableSize(nic));
        assertEquals(1L << 15, unit.pasidTableSize(new DeviceInfo("n4", "0000:04:00.0", Map.of("pasid_bits", 4L))));
        assertEquals(1L << 15, unit.pasidTableSize(new DeviceInfo("n0", "0000:05:00.0", Map.of())), "no PASID capability: order 0");
        assertEquals(1L << 17, unit.pasidTableSize(new DeviceInfo("n17", "0000:06:00.0", Map.of("pasid_bits", 17L))));
    }

    /** First- and second-stage domains: attach, replace, detach; the PASID table follows. */
    @Test
    void attachReplaceDetach() {
        PagingDomain fs = alloc(unit, Uapi.IOMMU_HWPT_ALLOC_PASID);
        PagingDomain ss = alloc(unit, Uapi.IOMMU_HWPT_ALLOC_PASID | Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
        unit.setDevPasid(fs, nic, 1, null);
        unit.setDevPasid(ss, nic, 2, null);
        assertEquals(Set.of(1, 2), unit.pasidEntries(nic).keySet());
        assertSame(fs.driverState(), unit.pasidEntries(nic).get(1));
        unit.setDevPasid(ss, nic, 1, fs);
        assertSame(ss.driverState(), unit.pasidEntries(nic).get(1));
        assertEquals(EBUSY, errno(() -> unit.setDevPasid(fs, nic, 2, null)), "intel_pasid_setup_first_level: entry present");
        unit.removeDevPasid(nic, 1, ss);
        unit.removeDevPasid(nic, 2, ss);
        assertEquals(Map.of(), unit.pasidEntries(nic));
    }

    /** paging_domain_compatible() with the device's unit, as for a RID attach: ECAP.SC for a domain enforcing snooping. */
    @Test
    void compatibilityWithTheDevicesUnit() {
        IntelVtdInstance noSc = unit("dmar1", Map.of("ecap_reg", VtdRegs.defaultEcap(true) & ~VtdRegs.ECAP_SC));
        PagingDomain ss = alloc(unit, Uapi.IOMMU_HWPT_ALLOC_PASID | Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
        unit.enforceCacheCoherency(ss);
        assertEquals(EINVAL, errno(() -> noSc.setDevPasid(ss, nic, 3, null)));
        assertEquals(Map.of(), noSc.pasidEntries(nic));
        IntelVtdInstance noFlts = unit("dmar2", Map.of("ecap_reg", VtdRegs.defaultEcap(true) & ~VtdRegs.ECAP_FLTS));
        assertEquals(EINVAL, errno(() -> noFlts.setDevPasid(alloc(unit, Uapi.IOMMU_HWPT_ALLOC_PASID), nic, 3, null)),
                "a first-stage domain on a unit without FLTS");
    }

    /** pasid_supported() comes first: a unit without scalable mode -> EOPNOTSUPP. */
    @Test
    void noPasidSupport() {
        IntelVtdInstance legacy = unit("dmar3", Map.of("sm_on", false));
        PagingDomain ss = alloc(legacy, 0);
        assertEquals(EOPNOTSUPP, errno(() -> legacy.setDevPasid(ss, nic, 1, null)));
    }

    /** A PASID beyond the device's PASID table -> ENODEV (intel_pasid_get_entry() returns NULL). */
    @Test
    void beyondThePasidTable() {
        DeviceInfo n4 = new DeviceInfo("n4", "0000:04:00.0", Map.of("pasid_bits", 4L));
        assertEquals(ENODEV, errno(() -> unit.setDevPasid(alloc(unit, Uapi.IOMMU_HWPT_ALLOC_PASID), n4, 1 << 15, null)));
    }

    /**
     * intel_nested_set_dev_pasid(): the parent's compatibility, then intel_pasid_setup_nested()'s
     * stage-1 checks, which on a replace come after the old entry was torn down: a failed
     * replace leaves the PASID without a present entry.
     */
    @Test
    void nestedAttachAndFailedReplace() {
        PagingDomain parent = alloc(unit, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        NestedDomain good = unit.domainAllocNested(nic, parent, Uapi.IOMMU_HWPT_ALLOC_PASID, Uapi.IOMMU_HWPT_DATA_VTD_S1, s1(0, 0x1000, 48, 0));
        NestedDomain wide = unit.domainAllocNested(nic, parent, Uapi.IOMMU_HWPT_ALLOC_PASID, Uapi.IOMMU_HWPT_DATA_VTD_S1, s1(0, 0x1000, 57, 0));
        assertEquals(EINVAL, errno(() -> unit.setDevPasid(wide, nic, 4, null)), "addr_width 57 without CAP.FL5LP");
        assertEquals(Map.of(), unit.pasidEntries(nic));
        unit.setDevPasid(good, nic, 4, null);
        assertSame(good, unit.pasidEntries(nic).get(4));
        assertEquals(EINVAL, errno(() -> unit.setDevPasid(wide, nic, 4, good)));
        assertEquals(Map.of(), unit.pasidEntries(nic), "torn down before the failed setup");
        unit.setDevPasid(good, nic, 4, good);
        assertSame(good, unit.pasidEntries(nic).get(4));
    }

    /**
     * A failed nested replace tears the old entry down, and the old domain keeps its dev_pasid
     * (intel_nested_set_dev_pasid() removes only the new one's): intel_pasid_setup_dirty_tracking()
     * then meets a cleared entry (PGTT 0) and intel_iommu_set_dirty_tracking() fails
     * EOPNOTSUPP, changing nothing, until the PASID is detached (domain_remove_dev_pasid).
     */
    @Test
    void dirtyTrackingOverAPasidAFailedReplaceTornDown() {
        PagingDomain parent = alloc(unit, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT | Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING
                | Uapi.IOMMU_HWPT_ALLOC_PASID);
        NestedDomain wide = unit.domainAllocNested(nic, parent, Uapi.IOMMU_HWPT_ALLOC_PASID, Uapi.IOMMU_HWPT_DATA_VTD_S1, s1(0, 0x1000, 57, 0));
        unit.setDevPasid(parent, nic, 4, null);
        assertEquals(EINVAL, errno(() -> unit.setDevPasid(wide, nic, 4, parent)), "addr_width 57 without CAP.FL5LP");
        assertEquals(EOPNOTSUPP, errno(() -> unit.setDirtyTracking(parent, true)));
        unit.setDirtyTracking(parent, false); // already off: nothing to do, no entry looked at
        unit.removeDevPasid(nic, 4, parent);
        unit.setDirtyTracking(parent, true);
        // the same through a nested domain on the parent (parent_domain_set_dirty_tracking)
        NestedDomain good = unit.domainAllocNested(nic, parent, Uapi.IOMMU_HWPT_ALLOC_PASID, Uapi.IOMMU_HWPT_DATA_VTD_S1, s1(0, 0x1000, 48, 0));
        unit.setDevPasid(good, nic, 5, null);
        assertEquals(EINVAL, errno(() -> unit.setDevPasid(wide, nic, 5, good)));
        assertEquals(EOPNOTSUPP, errno(() -> unit.setDirtyTracking(parent, false)));
        unit.setDevPasid(good, nic, 5, good); // a successful replace removes old's dev_pasid
        unit.setDirtyTracking(parent, false);
    }
}
