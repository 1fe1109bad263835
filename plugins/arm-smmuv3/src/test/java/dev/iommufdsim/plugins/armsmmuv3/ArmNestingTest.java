package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.kernel.uapi.Errno.E2BIG;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.errno;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.pci;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.smmu;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.UserDataArray;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.spi.Viommu;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The vSMMU against arm-smmu-v3-iommufd.c of Linux 7.2 and the vendor-policies worked examples (6.5). */
class ArmNestingTest {
    static final int TYPE_ARM = ArmSmmuV3Instance.IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
    private ArmSmmuV3Instance smmu;
    private DeviceInfo nic;
    private PagingDomain s2;
    private ArmVsmmu vsmmu;
    private final Vdevs vdevs = new Vdevs();

    static final class Vdevs implements VdevLookup {
        final Map<Long, DeviceInfo> byId = new HashMap<>();

        @Override
        public Long virtIdOf(DeviceInfo d) {
            return byId.entrySet().stream().filter(e -> e.getValue() == d).map(Map.Entry::getKey).findFirst().orElse(null);
        }

        @Override
        public DeviceInfo deviceOf(long virtId) {
            return byId.get(virtId);
        }
    }

    static byte[] ste(long ste0, long ste1) {
        return UserStruct.allocate(16).putU64(0, ste0).putU64(8, ste1).bytes();
    }

    static byte[] cmd(long cmd0, long cmd1) {
        return ste(cmd0, cmd1);
    }

    @BeforeEach
    void setUp() {
        smmu = smmu(Map.of());
        nic = pci("nic0", "0000:01:00.0", Map.of());
        s2 = smmu.domainAllocPagingFlags(nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, 0, new byte[0]);
        vsmmu = (ArmVsmmu) smmu.viommuInit(TYPE_ARM, s2, nic, new byte[0]);
    }

    private NestedDomain nested(long ste0, long ste1) {
        return vsmmu.allocDomainNested(0, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, ste(ste0, ste1), vdevs);
    }

    private ArmNestedDomain.VSte vste(long ste0, long ste1) {
        return (ArmNestedDomain.VSte) nested(ste0, ste1).state();
    }

    /** arm_smmu_get_viommu_size() (arm-smmu-v3-iommufd.c:423): its checks in order. */
    @Test
    void viommuSupport() {
        assertTrue(smmu.viommuSupported(nic, TYPE_ARM));
        assertFalse(smmu.viommuSupported(nic, 2), "IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV needs the CMDQV implementation");
        assertFalse(smmu.viommuSupported(nic, 0xdeadbeef));
        DeviceInfo incoherent = pci("nic1", "0000:02:00.0", Map.of("canwbs", false));
        assertFalse(smmu.viommuSupported(incoherent, TYPE_ARM), "neither CANWBS nor S2FWB");
        assertTrue(smmu(Map.of("s2fwb", true)).viommuSupported(incoherent, TYPE_ARM));
        assertFalse(smmu(Map.of("nesting", false)).viommuSupported(nic, TYPE_ARM));
        assertFalse(smmu(Map.of("iidr", 0x487L << 20 | 0x43b)).viommuSupported(nic, TYPE_ARM), "CMDQ_FORCE_SYNC");
    }

    /** arm_vsmmu_init() (arm-smmu-v3-iommufd.c:460): a parent of another SMMU -> EINVAL; the parent's VMID. */
    @Test
    void viommuInit() {
        ArmSmmuV3Instance other = (ArmSmmuV3Instance) new ArmSmmuV3Driver().probe("smmu1", Map.of());
        assertEquals(EINVAL, errno(() -> other.viommuInit(TYPE_ARM, s2, nic, new byte[0])));
        assertEquals(1, vsmmu.vmid());
        assertTrue(vsmmu.hasAllocDomainNested());
        assertTrue(vsmmu.hasCacheInvalidate());
    }

    /** Vendor policies 6.5, arm_smmu_validate_vste() (arm-smmu-v3-iommufd.c:207). */
    @Test
    void workedExampleVstes() {
        long cdptr = 0x123456789c0L; // 64-byte aligned, below 2^52
        ArmNestedDomain.VSte ok = vste(0xb | cdptr, 0);
        assertEquals(0xb | cdptr, ok.ste0());
        assertEquals(EIO, errno(() -> nested(0xd, 0)), "CFG 6 (S2_TRANS)");
        assertEquals(EIO, errno(() -> nested(0xb, 1L << 30)), "a bit outside STRTAB_STE_1_NESTING_ALLOWED");
        assertEquals(new ArmNestedDomain.VSte(0, 0, false), vste(0, 0), "non-valid: accepted");
    }

    @Test
    void vsteValidationOrder() {
        assertEquals(new ArmNestedDomain.VSte(0, 0, false), vste(0xfffffffffffffffeL, -1L), "V clear: zeroed before any other check");
        assertEquals(EIO, errno(() -> nested(0x1 | 1L << 52, 0)), "ste[0] bits 58:52 are not allowed");
        assertEquals(EIO, errno(() -> nested(0xf, 0)), "CFG 7 (NESTED) is the host's");
        assertEquals(EIO, errno(() -> nested(0x3, 0)), "CFG 1");
        assertEquals(EIO, errno(() -> nested(0xb, 2L << 28)), "EATS S1CHK");
        ArmNestedDomain.VSte ats = vste(0xb, 1L << 28 | 0x5);
        assertTrue(ats.enableAts());
        assertEquals(0x5, ats.ste1(), "EATS is cleared from the stored word");
        assertFalse(vste(0x9, 1L << 28).enableAts(), "EATS only matters with S1_TRANS");
        assertEquals(0x080000ffL, vste(0x1, 0x080000ffL).ste1(), "S1DSS, S1CIR, S1COR, S1CSH, S1STALLD kept");
        assertEquals(0xf80fffffffffffffL, vste(0xf80ffffffffffff1L, 0).ste0() | 0xe);
    }

    /** arm_vsmmu_alloc_domain_nested() (arm-smmu-v3-iommufd.c:243): flags, then the copy, then the vSTE. */
    @Test
    void nestedAllocFlagsAndCopy() {
        assertEquals(EOPNOTSUPP, errno(() -> vsmmu.allocDomainNested(Uapi.IOMMU_HWPT_ALLOC_PASID, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, ste(0xd, 0), vdevs)));
        assertEquals(EINVAL, errno(() -> vsmmu.allocDomainNested(0, Uapi.IOMMU_HWPT_DATA_VTD_S1, ste(0xb, 0), vdevs)), "the copy checks the type");
        assertEquals(EINVAL, errno(() -> vsmmu.allocDomainNested(0, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, new byte[8], vdevs)));
        assertEquals(EINVAL, errno(() -> vsmmu.allocDomainNested(0, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, new byte[24], vdevs)));
        assertFalse(nested(0xb, 0).hasCacheInvalidateUser(), "arm_smmu_nested_ops has no cache_invalidate_user");
    }

    /** arm_smmu_attach_dev_nested() and arm_smmu_attach_prepare_vmaster() (arm-smmu-v3-iommufd.c:151, 99). */
    @Test
    void attachNeedsAVsidOnlyForTranslation() {
        NestedDomain trans = nested(0xb, 0);
        assertEquals(ENOENT, errno(() -> trans.attachDev(nic, smmu, vdevs)));
        nested(0x1, 0).attachDev(nic, smmu, vdevs);
        nested(0x9, 0).attachDev(nic, smmu, vdevs);
        nested(0, 0).attachDev(nic, smmu, vdevs);
        vdevs.byId.put(0x10L, nic);
        trans.attachDev(nic, smmu, vdevs);
        DeviceInfo elsewhere = pci("nic9", "0000:09:00.0", Map.of());
        ArmSmmuV3Instance other = smmu(Map.of());
        assertEquals(EINVAL, errno(() -> nested(0x1, 0).attachDev(elsewhere, other, vdevs)), "vsmmu->smmu != master->smmu");
        assertEquals(EINVAL, errno(() -> nested(0x1, 0).attachDev(nic, other, vdevs)),
                "the device's SMMU decides, not its name: the same device declared behind smmu1");
    }

    /**
     * arm_smmu_attach_prepare() for a nested domain checks its vSMMU's stage-2 parent
     * (to_smmu_domain_devices(), arm-smmu-v3.c:3046): a parent that enforces cache coherency
     * refuses a master without CANWBS (EINVAL), after the vDEVICE check (ENOENT).
     */
    @Test
    void nestedAttachChecksTheParentsCoherency() {
        DeviceInfo noWbs = pci("nic1", "0000:02:00.0", Map.of("canwbs", false));
        assertTrue(smmu.enforceCacheCoherency(s2));
        assertEquals(ENOENT, errno(() -> nested(0xb, 0).attachDev(noWbs, smmu, vdevs)), "no vDEVICE: ENOENT first");
        assertEquals(EINVAL, errno(() -> nested(0x1, 0).attachDev(noWbs, smmu, vdevs)));
        nested(0x1, 0).attachDev(nic, smmu, vdevs);
    }

    /** arm_vsmmu_cache_invalidate() and arm_vsmmu_convert_user_cmd() (arm-smmu-v3-iommufd.c:367, 329). */
    @Test
    void invalidationRewritesVmidAndSid() {
        vdevs.byId.put(0x10L, nic);
        UserDataArray a = new UserDataArray(ArmVsmmu.IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, List.of(
                cmd(0x12 | 0x7777L << 32, 0xabc000), cmd(0x30 | 5L << 32, 99), cmd(0x05 | 0x10L << 32, 1), cmd(0x40 | 0x10L << 32, 0)));
        vsmmu.cacheInvalidate(a, vdevs);
        assertEquals(4, a.done());
        List<long[]> issued = vsmmu.lastIssued();
        assertArrayEquals(new long[] {0x12 | 1L << 32, 0xabc000}, issued.get(0), "TLBI_NH_VA: the vIOMMU's VMID");
        assertArrayEquals(new long[] {0x10 | 1L << 32, 0}, issued.get(1), "TLBI_NSNH_ALL -> TLBI_NH_ALL");
        assertArrayEquals(new long[] {0x05 | 0x100L << 32, 1}, issued.get(2), "CFGI_CD: vSID 0x10 -> SID 0x100");
        assertArrayEquals(new long[] {0x40 | 0x100L << 32, 0}, issued.get(3));
    }

    @Test
    void invalidationErrors() {
        vdevs.byId.put(0x10L, nic);
        UserDataArray badOp = new UserDataArray(1, 16, List.of(cmd(0x11, 0), cmd(0x20, 0), cmd(0x11, 0)));
        assertEquals(EIO, errno(() -> vsmmu.cacheInvalidate(badOp, vdevs)), "TLBI_EL2_ALL is not a guest command");
        assertEquals(1, badOp.done());
        assertEquals(0, vsmmu.lastIssued().size(), "the converted command of the unfinished batch was not issued");
        UserDataArray badVsid = new UserDataArray(1, 16, List.of(cmd(0x06 | 0x11L << 32, 0)));
        assertEquals(EIO, errno(() -> vsmmu.cacheInvalidate(badVsid, vdevs)));
        assertEquals(0, badVsid.done());
        assertEquals(EINVAL, errno(() -> vsmmu.cacheInvalidate(new UserDataArray(1, 16, List.of()), vdevs)), "no entries");
        assertEquals(EINVAL, errno(() -> vsmmu.cacheInvalidate(new UserDataArray(0, 16, List.of(cmd(0x11, 0))), vdevs)), "wrong type");
        byte[] longer = new byte[24];
        longer[0] = 0x11;
        longer[20] = 1;
        assertEquals(E2BIG, errno(() -> vsmmu.cacheInvalidate(new UserDataArray(1, 24, List.of(longer)), vdevs)));
        List<byte[]> many = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            many.add(cmd(0x11, 0));
        }
        many.set(65, cmd(0xff, 0));
        UserDataArray batch = new UserDataArray(1, 16, many);
        assertEquals(EIO, errno(() -> vsmmu.cacheInvalidate(batch, vdevs)));
        assertEquals(65, batch.done());
        assertEquals(63, vsmmu.lastIssued().size(), "one full batch of CMDQ_BATCH_ENTRIES - 1 went out");
    }

    /** arm_vsmmu_vdevice_init() (arm-smmu-v3-iommufd.c:300): exactly one stream. */
    @Test
    void vdeviceNeedsOneStream() {
        vsmmu.vdeviceInit(0x10, nic);
        Viommu v = vsmmu;
        assertEquals(EOPNOTSUPP, errno(() -> v.vdeviceInit(0x11, pci("multi", "0000:03:00.0", Map.of("sids", List.of(1L, 2L))))));
    }
}
