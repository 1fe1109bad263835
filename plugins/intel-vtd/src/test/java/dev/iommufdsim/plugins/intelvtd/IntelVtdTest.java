package dev.iommufdsim.plugins.intelvtd;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** A VT-d unit against drivers/iommu/intel/iommu.c of Linux 7.2: regions, geometry, hw_info, capabilities. */
class IntelVtdTest {
    static final long SZ_4K = 4096;
    static final long SZ_2M = 2L << 20;
    static final long SZ_1G = 1L << 30;
    static final int RW = ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE;

    static Errno errno(Executable call) {
        return assertThrows(IommufdException.class, call).errno();
    }

    static IntelVtdInstance unit(String name, Map<String, Object> options) {
        return (IntelVtdInstance) new IntelVtdDriver().probe(name, options);
    }

    static IntelVtdInstance unit(Map<String, Object> options) {
        return unit("dmar0", options);
    }

    static PagingDomain alloc(IntelVtdInstance u, int flags) {
        return u.domainAllocPagingFlags(NIC, flags, 0, new byte[0]);
    }

    static final DeviceInfo NIC = new DeviceInfo("eth", "0000:03:00.0", Map.of("class", 0x020000L));
    static final Map<String, Object> RMRR = Map.of("start", 0x7c000000L, "length", 0x4000000L);

    /** intel_iommu_get_resv_regions() (iommu.c:3406) with vendor policies 6.3's devices. */
    @Test
    void regionsByDeviceClass() {
        IntelVtdInstance u = unit(Map.of());
        List<ResvRegion> gpu = u.getResvRegions(new DeviceInfo("gpu", "0000:00:02.0", Map.of("class", 0x030000L, "rmrr", List.of(RMRR))));
        assertEquals(new ResvRegion(0x7c000000L, 0x4000000L, RW, ResvType.DIRECT_RELAXABLE, "RMRR 0"), gpu.get(0));
        assertEquals(new ResvRegion(0xfee00000L, 0x100000L, 0, ResvType.MSI, "interrupt window"), gpu.get(1));
        assertEquals(ResvType.DIRECT, u.getResvRegions(new DeviceInfo("eth", "0000:03:00.0",
                Map.of("class", 0x020000L, "rmrr", List.of(RMRR)))).get(0).type());
        assertEquals(ResvType.DIRECT_RELAXABLE, u.getResvRegions(new DeviceInfo("usb", "0000:00:14.0",
                Map.of("class", 0x0c0330L, "rmrr", List.of(RMRR)))).get(0).type());
        assertEquals(ResvType.DIRECT, u.getResvRegions(new DeviceInfo("plat", null,
                Map.of("class", 0x030000L, "rmrr", List.of(RMRR)))).get(0).type(), "not PCI: never relaxable");
        List<ResvRegion> isa = u.getResvRegions(new DeviceInfo("lpc", "0000:00:1f.0", Map.of("class", 0x060100L)));
        assertEquals(new ResvRegion(0, 1L << 24, RW, ResvType.DIRECT_RELAXABLE, "ISA floppy workaround"), isa.get(0));
        assertEquals(List.of(new ResvRegion(0xfee00000L, 0x100000L, 0, ResvType.MSI, "interrupt window")), u.getResvRegions(NIC));
        assertEquals(EINVAL, errno(() -> u.getResvRegions(new DeviceInfo("bad", "0000:04:00.0", Map.of("rmrr", List.of(0x1000L))))));
    }

    /**
     * intel_iommu_domain_alloc_paging_flags() (iommu.c:3003): first stage by default, lower
     * canonical half (compute_vasz_lg2_fs: min(48, MGAW), sign-extended); second stage for
     * nesting parents and dirty tracking (compute_vasz_lg2_ss).
     */
    @Test
    void geometryByStage() {
        IntelVtdInstance u = unit(Map.of());
        PagingDomain fs = alloc(u, 0);
        assertEquals(0x7fffffffffffL, fs.apertureEnd());
        assertEquals(SZ_4K | SZ_2M | SZ_1G, fs.pgsizeBitmap());
        assertTrue(((VtdDomain) fs.driverState()).firstStage());
        PagingDomain parent = alloc(u, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        assertEquals(0xffffffffffffL, parent.apertureEnd());
        assertTrue(((VtdDomain) parent.driverState()).nestedParent());
        PagingDomain dirty = alloc(u, Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
        assertTrue(dirty.dirtyTracking());
        assertFalse(((VtdDomain) dirty.driverState()).firstStage());
        assertEquals(0xffffffffffffL, alloc(u, Uapi.IOMMU_HWPT_ALLOC_PASID | Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING).apertureEnd());
        assertEquals(EOPNOTSUPP, errno(() -> alloc(u, Uapi.IOMMU_HWPT_FAULT_ID_VALID)));
        assertEquals(EOPNOTSUPP, errno(() -> u.domainAllocPagingFlags(NIC, 0, 1, new byte[24])));
    }

    @Test
    void geometryFollowsTheRegisters() {
        assertEquals((1L << 38) - 1, alloc(unit(Map.of("gaw", 39L)), 0).apertureEnd(), "first stage min(48, MGAW 39), lower half");
        assertEquals((1L << 39) - 1, alloc(unit(Map.of("gaw", 39L)), Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT).apertureEnd(),
                "MGAW 39: the 3-level branch of compute_vasz_lg2_ss");
        IntelVtdInstance five = unit(Map.of("gaw", 57L, "five_level", true));
        assertEquals((1L << 56) - 1, alloc(five, 0).apertureEnd());
        assertEquals((1L << 57) - 1, alloc(five, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT).apertureEnd());
        assertEquals(0xffffffffffffL, alloc(unit(Map.of("sm_on", false)), 0).apertureEnd(), "legacy mode: second stage only");
        assertEquals(EOPNOTSUPP, errno(() -> alloc(unit(Map.of("sm_on", false)), Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT)));
        assertEquals(EOPNOTSUPP, errno(() -> alloc(unit(Map.of("nesting", false)), Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT)));
        long noFl1gp = VtdRegs.defaultCap(48, false) & ~VtdRegs.CAP_FL1GP;
        assertEquals(SZ_4K | SZ_2M, alloc(unit(Map.of("cap_reg", noFl1gp)), 0).pgsizeBitmap());
        long sllps2m = VtdRegs.defaultCap(48, false) & ~(0xfL << VtdRegs.CAP_SLLPS_SHIFT) | 1L << VtdRegs.CAP_SLLPS_SHIFT;
        assertEquals(SZ_4K | SZ_2M, alloc(unit(Map.of("cap_reg", sllps2m)), Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT).pgsizeBitmap());
        long noSlads = VtdRegs.defaultEcap(true) & ~VtdRegs.ECAP_SLADS;
        assertEquals(EOPNOTSUPP, errno(() -> alloc(unit(Map.of("ecap_reg", noSlads)), Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING)));
    }

    /** paging_domain_compatible() (iommu.c:3124) with the unit of the attaching device. */
    @Test
    void attachChecksCompatibilityWithTheDevicesUnit() {
        IntelVtdInstance a = unit(Map.of());
        PagingDomain fs = alloc(a, 0);
        PagingDomain parent = alloc(a, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        a.attachDev(fs, NIC);
        a.attachDev(parent, NIC);
        IntelVtdInstance small = unit("dmar1", Map.of("gaw", 39L));
        assertEquals(EINVAL, errno(() -> small.attachDev(parent, NIC)), "MGAW 39 below the domain's 48 bits");
        IntelVtdInstance noNest = unit("dmar2", Map.of("nesting", false));
        assertEquals(EINVAL, errno(() -> noNest.attachDev(parent, NIC)));
        noNest.attachDev(fs, NIC);
        long noFl1gp = VtdRegs.defaultCap(48, false) & ~VtdRegs.CAP_FL1GP;
        assertEquals(EINVAL, errno(() -> unit("dmar3", Map.of("cap_reg", noFl1gp)).attachDev(fs, NIC)));
        assertEquals(EINVAL, errno(() -> a.attachDev(new PagingDomain(0, 1, 4096, false, null), NIC)));
    }

    /** intel_iommu_hw_info() (iommu.c:3689): struct iommu_hw_info_vtd {flags = ERRATA_772415_SPR17, __reserved, cap_reg, ecap_reg}. */
    @Test
    void hwInfoBytes() {
        IntelVtdInstance u = unit(Map.of("cap_reg", 0xd2008c40660462L, "ecap_reg", 0xf050daL));
        HwInfo info = u.hwInfo(NIC, 0);
        assertEquals(Uapi.IOMMU_HW_INFO_TYPE_INTEL_VTD, info.type());
        assertEquals(24, info.data().length);
        UserStruct b = UserStruct.wrap(info.data());
        assertEquals(1, b.u32(0));
        assertEquals(0, b.u32(4));
        assertEquals(0xd2008c40660462L, b.u64(8));
        assertEquals(0xf050daL, b.u64(16));
        assertEquals(EOPNOTSUPP, errno(() -> u.hwInfo(NIC, Uapi.IOMMU_HW_INFO_TYPE_ARM_SMMUV3)));
        UserStruct d = UserStruct.wrap(unit(Map.of()).hwInfo(NIC, Uapi.IOMMU_HW_INFO_TYPE_INTEL_VTD).data());
        assertEquals(VtdRegs.defaultCap(48, false), d.u64(8));
        assertEquals(47, (d.u64(8) >>> 16) & 0x3f, "MGAW field = 48 - 1");
        assertEquals(0x4, (d.u64(8) >>> 8) & 0x1f, "SAGAW: 4-level");
    }

    /** intel_iommu_capable() (iommu.c:3233) and intel_iommu_probe_device(). */
    @Test
    void capabilities() {
        IntelVtdInstance u = unit(Map.of());
        DeviceCaps c = u.capabilities(new DeviceInfo("nvme", "0000:05:00.0", Map.of("pasid_bits", 20L)));
        assertTrue(c.cacheCoherency());
        assertTrue(c.dirtyTracking(), "ssads_supported()");
        assertTrue(c.atsSupported());
        assertEquals(1 << 20, c.maxPasids());
        assertTrue(c.msiIsolated());
        assertFalse(u.capabilities(new DeviceInfo("x", "0000:06:00.0", Map.of("ats", false))).atsSupported());
        assertFalse(unit(Map.of("sm_on", false)).capabilities(NIC).dirtyTracking());
        assertEquals(0, unit(Map.of("sm_on", false)).capabilities(new DeviceInfo("p", "0000:07:00.0", Map.of("pasid_bits", 20L))).maxPasids());
    }

    @Test
    void probeRefusesUnknownOptions() {
        assertEquals(EINVAL, errno(() -> unit(Map.of("msi_base", 0xfee00000L))));
        assertEquals(EINVAL, errno(() -> unit(Map.of("gaw", 70L))));
        assertEquals(0xfee00000L, unit(Map.of()).msiDoorbell(NIC));
    }

    /**
     * The generic page table's map_pages refuses a mapping neither readable nor writable, then
     * vtdss_pt_iommu_set_prot() (generic_pt/fmt/vtdss.h): every nesting parent has
     * PT_FEAT_VTDSS_FORCE_WRITEABLE (intel_iommu_domain_alloc_second_stage(), iommu.c:2963), so
     * a mapping without IOMMU_WRITE is EINVAL; other domains, first or second stage, take it.
     */
    @Test
    void nestingParentsRefuseReadOnlyMappings() {
        IntelVtdInstance u = unit(Map.of());
        int cache = 1 << 2;
        PagingDomain parent = alloc(u, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        assertEquals(EINVAL, errno(() -> u.checkMap(parent, 0x100000, 0x1000, ResvRegion.IOMMU_READ | cache)));
        u.checkMap(parent, 0x100000, 0x1000, RW | cache);
        u.checkMap(parent, 0x100000, 0x1000, ResvRegion.IOMMU_WRITE | cache);
        u.checkMap(alloc(u, 0), 0x100000, 0x1000, ResvRegion.IOMMU_READ | cache);
        u.checkMap(alloc(u, Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING), 0x100000, 0x1000, ResvRegion.IOMMU_READ | cache);
        assertEquals(EINVAL, errno(() -> u.checkMap(alloc(u, 0), 0x100000, 0x1000, cache)), "iommu_pt.h: neither READ nor WRITE");
        IntelVtdInstance legacy = unit(Map.of("sm_on", false));
        assertEquals(EINVAL, errno(() -> legacy.checkMap(parent, 0, 0x1000, ResvRegion.IOMMU_READ)),
                "the feature is the domain's, not the unit's: no option turns it off");
    }

    /**
     * IOMMU_CAP_ENFORCE_CACHE_COHERENCY is ecap_sc_support() (iommu.c:3242). A second-stage
     * domain made to enforce it (intel_iommu_enforce_cache_coherency_ss(), 3215: FORCE_COHERENCE)
     * is refused by a unit without ECAP.SC (paging_domain_compatible_second_stage(), 3116); a
     * first-stage one (_fs, 3195: force_snooping only) is not checked against it in 7.2.
     */
    @Test
    void enforcedCoherencyAndSnoopControl() {
        IntelVtdInstance u = unit(Map.of());
        IntelVtdInstance noSc = unit("dmar1", Map.of("ecap_reg", VtdRegs.defaultEcap(true) & ~VtdRegs.ECAP_SC));
        assertTrue(u.capabilities(NIC).enforceCacheCoherency());
        assertFalse(noSc.capabilities(NIC).enforceCacheCoherency());
        PagingDomain ss = alloc(u, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        noSc.attachDev(ss, NIC);
        assertTrue(u.enforceCacheCoherency(ss));
        assertTrue(((VtdDomain) ss.driverState()).snooping().forced);
        u.attachDev(ss, NIC);
        assertEquals(EINVAL, errno(() -> noSc.attachDev(ss, NIC)), "FORCE_COHERENCE without ECAP.SC");
        PagingDomain fs = alloc(u, 0);
        assertTrue(u.enforceCacheCoherency(fs));
        noSc.attachDev(fs, NIC);
    }
}
