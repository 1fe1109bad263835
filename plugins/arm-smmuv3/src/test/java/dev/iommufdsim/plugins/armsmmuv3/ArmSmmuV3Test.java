package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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

/**
 * The SMMUv3 instance against arm-smmu-v3.c / arm-smmu-v3-iommufd.c / iort.c of Linux 7.2:
 * reserved regions, geometry, hw_info bytes, capabilities. Nesting is in {@link ArmNestingTest}.
 */
class ArmSmmuV3Test {
    static final int MSI_PROT = ResvRegion.IOMMU_WRITE | ResvRegion.IOMMU_NOEXEC | ResvRegion.IOMMU_MMIO;
    static final long SZ_4K = 4096;
    static final long SZ_2M = 2L << 20;
    static final long SZ_1G = 1L << 30;

    static Errno errno(Executable call) {
        return assertThrows(IommufdException.class, call).errno();
    }

    static ArmSmmuV3Instance smmu(Map<String, Object> options) {
        return (ArmSmmuV3Instance) new ArmSmmuV3Driver().probe("smmu0", options);
    }

    static DeviceInfo pci(String name, String bdf, Map<String, Object> props) {
        return new DeviceInfo(name, bdf, props);
    }

    static PagingDomain alloc(ArmSmmuV3Instance s, DeviceInfo d, int flags) {
        return s.domainAllocPagingFlags(d, flags, 0, new byte[0]);
    }

    private final DeviceInfo nic = pci("nic0", "0000:01:00.0", Map.of());

    /** arm_smmu_get_resv_regions() (arm-smmu-v3.c:4270): MSI_IOVA_BASE/LENGTH as SW_MSI, prot WRITE|NOEXEC|MMIO. */
    @Test
    void swMsiWindowByDefaultAndFromOptions() {
        assertEquals(List.of(new ResvRegion(0x8000000L, 0x100000L, MSI_PROT, ResvType.SW_MSI, "SW_MSI window")),
                smmu(Map.of()).getResvRegions(nic));
        ResvRegion moved = smmu(Map.of("msi_base", 0x40000000L, "msi_length", 0x10000L)).getResvRegions(nic).get(0);
        assertEquals(0x40000000L, moved.start());
        assertEquals(0x10000L, moved.length());
    }

    /** iort_get_rmrs() (iort.c): type from REMAP_PERMITTED, prot from the access flags, 64K alignment widening. */
    @Test
    void iortRmrRegions() {
        DeviceInfo d = pci("gpu0", "0000:02:00.0", Map.of("rmr", List.of(
                Map.of("start", 0x30000000L, "length", 0x10000L, "remap_permitted", true),
                Map.of("start", 0x40000000L, "length", 0x20000L),
                Map.of("start", 0x50000000L, "length", 0x10000L, "attributes", 5L, "access_privilege", true),
                Map.of("start", 0x60001800L, "length", 0x800L))));
        List<ResvRegion> r = smmu(Map.of()).getResvRegions(d);
        assertEquals(5, r.size());
        assertEquals(ResvType.DIRECT_RELAXABLE, r.get(1).type());
        assertEquals(ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE | ResvRegion.IOMMU_MMIO, r.get(1).prot());
        assertEquals(ResvType.DIRECT, r.get(2).type());
        assertEquals(ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE | IortRmr.IOMMU_CACHE | IortRmr.IOMMU_PRIV, r.get(3).prot());
        // FW_BUG "not aligned to 64K": addr &= PAGE_MASK, size = PAGE_ALIGN(size + offset_in_page(base))
        assertEquals(0x60001000L, r.get(4).start());
        assertEquals(0x1000L, r.get(4).length());
        DeviceInfo zero = pci("bad0", "0000:03:00.0", Map.of("rmr", List.of(Map.of("start", 0x1000L, "length", 0L))));
        assertEquals(EINVAL, errno(() -> smmu(Map.of()).getResvRegions(zero)));
        DeviceInfo typo = pci("bad1", "0000:03:00.0", Map.of("rmr", List.of(Map.of("start", 0x1000L, "lenght", 1L))));
        assertEquals(EINVAL, errno(() -> smmu(Map.of()).getResvRegions(typo)));
    }

    /** iort_iommu_rmr_get_resv_regions(): a platform RMR applies to the devices whose stream IDs it lists. */
    @Test
    void platformRmrsMatchStreamIds() {
        ArmSmmuV3Instance s = smmu(Map.of("rmr", List.of(Map.of("start", 0x7f000000L, "length", 0x10000L, "sids", List.of(0x100L)))));
        assertEquals(2, s.getResvRegions(nic).size(), "0000:01:00.0 is requester ID 0x100");
        assertEquals(1, s.getResvRegions(pci("nic1", "0000:01:00.1", Map.of())).size());
        assertEquals(2, s.getResvRegions(pci("plat0", null, Map.of("sid", 0x100L))).size());
    }

    /** iort_iommu_msi_get_resv_regions() for ACPI_IORT_SMMU_V3_HISILICON_HI161X: [ITS base + 64K, +64K) as MSI per ITS. */
    @Test
    void hisiliconQuirkAddsHardwareMsiRegions() {
        ArmSmmuV3Instance s = smmu(Map.of("model", "hisilicon-hi161x", "its_base", List.of(0x20000000L, 0x20100000L)));
        List<ResvRegion> r = s.getResvRegions(nic);
        assertEquals(ResvType.SW_MSI, r.get(0).type());
        assertEquals(new ResvRegion(0x20010000L, 0x10000L, MSI_PROT, ResvType.MSI, r.get(1).source()), r.get(1));
        assertEquals(0x20110000L, r.get(2).start());
        assertEquals(ResvType.MSI, r.get(2).type());
        assertEquals(EINVAL, errno(() -> smmu(Map.of("model", "hisilicon-hi1620"))));
    }

    /**
     * arm_smmu_domain_finalise() (arm-smmu-v3.c:2819): stage 1 ias = min(48, VA_BITS), stage 2
     * (NEST_PARENT) ias = oas; io-pgtable's granule choice gives 4K|2M|1G. The demo's
     * [0..0x7ffffff, 0x8100000..0xffffffffffff] starts from this aperture.
     */
    @Test
    void geometryByStage() {
        ArmSmmuV3Instance s = smmu(Map.of("oas", 40L));
        PagingDomain s1 = alloc(s, nic, 0);
        assertEquals(0, s1.apertureStart());
        assertEquals(0xffffffffffffL, s1.apertureEnd());
        assertEquals(SZ_4K | SZ_2M | SZ_1G, s1.pgsizeBitmap());
        PagingDomain s2 = alloc(s, nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        assertEquals((1L << 40) - 1, s2.apertureEnd());
        assertEquals(ArmSmmuV3Instance.Stage.S2, ((ArmSmmuV3Instance.ArmDomain) s2.driverState()).stage());
        assertEquals(1, ((ArmSmmuV3Instance.ArmDomain) s2.driverState()).vmid(), "VMID 0 is kept for bypass STEs");
        assertEquals((1L << 39) - 1, alloc(smmu(Map.of("va_bits", 39L)), nic, 0).apertureEnd());
    }

    /** arm_lpae_restrict_pgsizes() (io-pgtable-arm.c): one granule; 64K allows 52 bits and, with OAS 52, 4 TiB blocks. */
    @Test
    void granuleChoice() {
        PagingDomain d64 = alloc(smmu(Map.of("granule", 65536L, "oas", 52L)), nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        assertEquals(65536L | (512L << 20) | (1L << 42), d64.pgsizeBitmap());
        assertEquals((1L << 52) - 1, d64.apertureEnd());
        PagingDomain d64s1 = alloc(smmu(Map.of("granule", 65536L)), nic, 0);
        assertEquals(65536L | (512L << 20), d64s1.pgsizeBitmap());
        // stage 2 with OAS 52 and a 4K granule: capped at 48 bits
        assertEquals((1L << 48) - 1, alloc(smmu(Map.of("oas", 52L)), nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT).apertureEnd());
        // PAGE_SIZE 16K on an SMMU without the 16K granule: the largest smaller granule, 4K
        long idr5 = SmmuRegs.IDR5_GRAN4K | SmmuRegs.IDR5_GRAN64K | 5;
        assertEquals(SZ_4K | SZ_2M | SZ_1G, alloc(smmu(Map.of("granule", 16384L, "idr5", idr5)), nic, 0).pgsizeBitmap());
        // PAGE_SIZE 4K on a 64K-only SMMU: the smallest larger one
        assertEquals(65536L | (512L << 20), alloc(smmu(Map.of("idr5", (long) SmmuRegs.IDR5_GRAN64K | 5)), nic, 0).pgsizeBitmap());
    }

    /** arm_smmu_domain_alloc_paging_flags() (arm-smmu-v3.c:3858): the flag combinations and their stage. */
    @Test
    void pagingFlags() {
        ArmSmmuV3Instance s = smmu(Map.of());
        assertEquals(EOPNOTSUPP, errno(() -> alloc(s, nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT | Uapi.IOMMU_HWPT_ALLOC_PASID)));
        assertEquals(EOPNOTSUPP, errno(() -> alloc(s, nic, 1 << 4)));
        assertEquals(EOPNOTSUPP, errno(() -> s.domainAllocPagingFlags(nic, 0, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, new byte[16])));
        assertTrue(alloc(s, nic, Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING).dirtyTracking());
        assertEquals(EOPNOTSUPP, errno(() -> alloc(smmu(Map.of("nesting", false)), nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT)));
        long s2only = Integer.toUnsignedLong(SmmuRegs.defaults(true, false, 48).idr()[0] & ~SmmuRegs.IDR0_S1P);
        ArmSmmuV3Instance noS1 = smmu(Map.of("idr0", s2only));
        assertEquals(EOPNOTSUPP, errno(() -> alloc(noS1, nic, Uapi.IOMMU_HWPT_ALLOC_PASID)));
        assertEquals(ArmSmmuV3Instance.Stage.S2, ((ArmSmmuV3Instance.ArmDomain) alloc(noS1, nic, 0).driverState()).stage());
        assertFalse(s.hasDomainAllocNested(), "nested HWPTs only through the vIOMMU");
        assertEquals(EOPNOTSUPP, errno(() -> s.domainAllocNested(nic, alloc(s, nic, 1), 0, 2, new byte[16])));
    }

    /** arm_smmu_device_iidr_probe() (arm-smmu-v3.c:4910): errata that drop FEAT_NESTING. */
    @Test
    void iidrErrataDisableNesting() {
        long mmu700r0p0 = 0x487L << 20 | 0x43b;
        ArmSmmuV3Instance s = smmu(Map.of("iidr", mmu700r0p0));
        assertFalse(s.features().nesting());
        assertTrue(s.features().forceSync());
        assertEquals(EOPNOTSUPP, errno(() -> alloc(s, nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT)));
        assertFalse(smmu(Map.of("iidr", 0x483L << 20 | 1 << 16 | 0x43b)).features().nesting(), "MMU-600 r1: erratum 1209401");
        assertTrue(smmu(Map.of("iidr", 0x483L << 20 | 2 << 16 | 0x43b)).features().nesting());
    }

    /** arm_smmu_device_hw_probe(): register sets the driver refuses. */
    @Test
    void probeRefusesUnusableRegisters() {
        assertEquals(EINVAL, errno(() -> smmu(Map.of("idr0", 0L))));
        assertEquals(EINVAL, errno(() -> smmu(Map.of("idr1", 1L << 30 | 19L << 21))));
        assertEquals(EINVAL, errno(() -> smmu(Map.of("idr1", 6L << 21))));
        assertEquals(EINVAL, errno(() -> smmu(Map.of("granule", 8192L))));
        assertEquals(EINVAL, errno(() -> smmu(Map.of("oas", 50L))));
        assertEquals(EINVAL, errno(() -> smmu(Map.of("ias", 48L))), "unknown options are refused");
        assertEquals(EINVAL, errno(() -> smmu(Map.of("msi_base", "0x8000000"))));
    }

    /** arm_smmu_hw_info() (arm-smmu-v3-iommufd.c:10): struct iommu_hw_info_arm_smmuv3, 40 bytes of raw registers. */
    @Test
    void hwInfoBytes() {
        ArmSmmuV3Instance s = smmu(Map.of("idr3", 0x12345678L, "aidr", 0x1L));
        HwInfo info = s.hwInfo(nic, 0);
        assertEquals(Uapi.IOMMU_HW_INFO_TYPE_ARM_SMMUV3, info.type());
        UserStruct b = UserStruct.wrap(info.data());
        assertEquals(40, info.data().length);
        assertEquals(0, b.u32(0), "flags");
        assertEquals(0, b.u32(4), "__reserved");
        int[] idr = SmmuRegs.defaults(true, false, 48).idr();
        assertEquals(idr[0], b.u32(8));
        assertEquals(0x094c761b, b.u32(8), "IDR0: 2-level ST, no stall, LE, CD2L, VMID16, SEV, MSI, ASID16, ATS, HYP, COHACC, AArch64, S1P, S2P");
        assertEquals(0x12345678, b.u32(8 + 4 * 3));
        assertEquals(idr[5], b.u32(8 + 4 * 5));
        assertEquals(0x75, b.u32(8 + 4 * 5), "IDR5: GRAN64K|GRAN16K|GRAN4K, OAS 48");
        assertEquals(0x4871143b, b.u32(32), "IIDR: Arm MMU-700 r1p1");
        assertEquals(1, b.u32(36));
        assertEquals(EOPNOTSUPP, errno(() -> s.hwInfo(nic, Uapi.IOMMU_HW_INFO_TYPE_INTEL_VTD)));
        assertArrayEquals(info.data(), s.hwInfo(nic, Uapi.IOMMU_HW_INFO_TYPE_ARM_SMMUV3).data());
    }

    /** arm_smmu_capable() and dev_iommu_get_max_pasids(). */
    @Test
    void capabilities() {
        ArmSmmuV3Instance s = smmu(Map.of());
        DeviceCaps c = s.capabilities(pci("nic2", "0000:04:00.0", Map.of("ats", true, "pasid_bits", 20L)));
        assertTrue(c.cacheCoherency());
        assertFalse(c.dirtyTracking(), "IDR0.HTTU is 0 by default");
        assertTrue(c.atsSupported());
        assertEquals(1 << 20, c.maxPasids());
        assertFalse(s.capabilities(nic).atsSupported());
        assertEquals(0, s.capabilities(nic).maxPasids());
        long httu = Integer.toUnsignedLong(SmmuRegs.defaults(true, false, 48).idr()[0] | SmmuRegs.IDR0_HTTU_ACCESS_DIRTY << SmmuRegs.IDR0_HTTU_SHIFT);
        assertTrue(smmu(Map.of("idr0", httu)).capabilities(nic).dirtyTracking(), "arm_smmu_dbm_capable(): HD and coherent");
        assertEquals(1 << 8, smmu(Map.of("idr1", 19L << 21 | 8L << 6 | 16)).capabilities(pci("n", "0000:05:00.0", Map.of("pasid_bits", 20L))).maxPasids());
    }

    /** The doorbell: GITS_TRANSLATER = ITS base + 64K + 0x40. */
    @Test
    void msiDoorbell() {
        assertEquals(0x08090040L, smmu(Map.of()).msiDoorbell(nic));
        assertEquals(0x20010040L, smmu(Map.of("its_base", 0x20000000L)).msiDoorbell(nic));
    }

    /** arm_smmu_attach_dev(): a domain of another SMMU -> EINVAL. */
    @Test
    void attachToAnotherSmmusDomainFails() {
        ArmSmmuV3Instance a = smmu(Map.of());
        ArmSmmuV3Instance b = (ArmSmmuV3Instance) new ArmSmmuV3Driver().probe("smmu1", Map.of());
        PagingDomain d = alloc(a, nic, 0);
        a.attachDev(d, nic);
        assertEquals(EINVAL, errno(() -> b.attachDev(d, nic)));
        assertNull(a.getResvRegions(nic).stream().filter(r -> r.type() == ResvType.MSI).findAny().orElse(null));
    }

    /**
     * IOMMU_CAP_ENFORCE_CACHE_COHERENCY is arm_smmu_master_canwbs() (arm-smmu-v3.c:2709);
     * arm_smmu_enforce_cache_coherency() (2723) on a domain with no masters succeeds, and then
     * arm_smmu_attach_prepare() (3476) refuses a master without CANWBS with EINVAL, after the
     * other-SMMU check (arm_smmu_attach_dev, 3567).
     */
    @Test
    void enforcedCoherencyRefusesMastersWithoutCanwbs() {
        ArmSmmuV3Instance a = smmu(Map.of());
        DeviceInfo noWbs = pci("nic1", "0000:02:00.0", Map.of("canwbs", false));
        assertTrue(a.capabilities(nic).enforceCacheCoherency());
        assertFalse(a.capabilities(noWbs).enforceCacheCoherency());
        PagingDomain cc = alloc(a, nic, 0);
        PagingDomain plain = alloc(a, nic, 0);
        assertTrue(a.enforceCacheCoherency(cc));
        a.attachDev(cc, nic);
        assertEquals(EINVAL, errno(() -> a.attachDev(cc, noWbs)));
        a.attachDev(plain, noWbs);
        ArmSmmuV3Instance b = (ArmSmmuV3Instance) new ArmSmmuV3Driver().probe("smmu1", Map.of());
        IommufdException e = assertThrows(IommufdException.class, () -> b.attachDev(cc, noWbs));
        assertTrue(e.reason().contains("another SMMU"), "the other-SMMU check comes first: " + e.reason());
    }

    @Test
    void requesterIds() {
        assertEquals(0x100, ArmSmmuV3Instance.requesterId("0000:01:00.0"));
        assertEquals(0xa3, ArmSmmuV3Instance.requesterId("00:14.3"));
        assertEquals(List.of(7L, 8L), ArmSmmuV3Instance.sids(pci("x", "0000:01:00.0", Map.of("sids", List.of(7L, 8L)))));
    }
}
