package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.alloc;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.errno;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.pci;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.smmu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PASID attach on SMMUv3 against arm-smmu-v3.c of Linux 7.2: arm_smmu_s1_set_dev_pasid()
 * (3619), arm_smmu_set_pasid() (3668), arm_smmu_blocking_set_dev_pasid() (3719), the EBUSY of
 * arm_smmu_attach_dev() (3574) and arm_smmu_attach_dev_nested() (iommufd.c:168), and
 * max_pasids from the device's PASID width and IDR1.SSIDSIZE (5108).
 */
class ArmPasidTest {
    private final ArmSmmuV3Instance smmu = smmu(Map.of());
    private final DeviceInfo nic = pci("nic0", "0000:01:00.0", Map.of("pasid_bits", 8L));

    /** dev_iommu_get_max_pasids(): min(pci_max_pasids, smmu->iommu.max_pasids = 1 << SSIDSIZE). */
    @Test
    void maxPasidsFromPasidWidthAndSsidsize() {
        assertEquals(1 << 8, smmu.capabilities(nic).maxPasids());
        assertEquals(0, smmu.capabilities(pci("nic1", "0000:02:00.0", Map.of())).maxPasids(), "no PASID capability");
        // IDR1.SSIDSIZE 0: max_pasids 1, so no PASID but IOMMU_NO_PASID fits
        ArmSmmuV3Instance noSsid = smmu(Map.of("idr1", 19L << 21 | 16));
        assertEquals(1, noSsid.capabilities(nic).maxPasids());
    }

    /** A stage-1 domain: attach, replace in place, detach; the CD table follows. */
    @Test
    void stage1AttachReplaceDetach() {
        PagingDomain s1 = alloc(smmu, nic, Uapi.IOMMU_HWPT_ALLOC_PASID);
        PagingDomain other = alloc(smmu, nic, Uapi.IOMMU_HWPT_ALLOC_PASID);
        smmu.setDevPasid(s1, nic, 5, null);
        smmu.setDevPasid(s1, nic, 7, null);
        assertEquals(List.of(5, 7), smmu.ssidsInUse(nic));
        smmu.setDevPasid(other, nic, 5, s1);
        assertEquals(List.of(5, 7), smmu.ssidsInUse(nic));
        smmu.removeDevPasid(nic, 5, other);
        smmu.removeDevPasid(nic, 7, s1);
        assertEquals(List.of(), smmu.ssidsInUse(nic));
    }

    /** arm_smmu_s1_set_dev_pasid(): another SMMU's domain, then a stage-2 domain -> EINVAL; nothing recorded. */
    @Test
    void refusalsInOrder() {
        ArmSmmuV3Instance b = (ArmSmmuV3Instance) new ArmSmmuV3Driver().probe("smmu1", Map.of());
        PagingDomain s2 = alloc(b, nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        IommufdException e = assertThrows(IommufdException.class, () -> smmu.setDevPasid(s2, nic, 5, null));
        assertEquals(EINVAL, e.errno());
        assertTrue(e.reason().contains("another SMMU"), "the SMMU check comes before the stage: " + e.reason());
        PagingDomain own = alloc(smmu, nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        e = assertThrows(IommufdException.class, () -> smmu.setDevPasid(own, nic, 5, null));
        assertEquals(EINVAL, e.errno());
        assertTrue(e.reason().contains("pasid 5 of nic0") && e.reason().contains("stage 2"), e.reason());
        assertEquals(List.of(), smmu.ssidsInUse(nic));
    }

    /** arm_smmu_attach_prepare(): a domain enforcing cache coherency refuses a master without CANWBS for a PASID too. */
    @Test
    void coherencyRefusalAppliesToPasids() {
        DeviceInfo noWbs = pci("nic1", "0000:02:00.0", Map.of("pasid_bits", 8L, "canwbs", false));
        PagingDomain cc = alloc(smmu, nic, Uapi.IOMMU_HWPT_ALLOC_PASID);
        smmu.enforceCacheCoherency(cc);
        smmu.setDevPasid(cc, nic, 1, null);
        assertEquals(EINVAL, errno(() -> smmu.setDevPasid(cc, noWbs, 1, null)));
        assertEquals(List.of(), smmu.ssidsInUse(noWbs));
    }

    /** A nested domain has no set_dev_pasid (arm_smmu_nested_ops) -> EOPNOTSUPP. */
    @Test
    void nestedDomainHasNoSetDevPasid() {
        PagingDomain s2 = alloc(smmu, nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        ArmVsmmu vsmmu = (ArmVsmmu) smmu.viommuInit(ArmSmmuV3Instance.IOMMU_VIOMMU_TYPE_ARM_SMMUV3, s2, nic, new byte[0]);
        NestedDomain bypass = vsmmu.allocDomainNested(0, ArmVsmmu.IOMMU_HWPT_DATA_ARM_SMMUV3, ArmNestingTest.ste(0x9, 0), null);
        assertEquals(EOPNOTSUPP, errno(() -> smmu.setDevPasid(bypass, nic, 3, null)));
    }

    /**
     * arm_smmu_attach_dev(): a stage-2 RID domain while substreams are in use -> EBUSY (a
     * stage-1 one keeps the CD table); arm_smmu_attach_dev_nested() likewise; once the last
     * PASID is detached both attach.
     */
    @Test
    void stage2OrNestedRidAttachBusyWhileSubstreamsInUse() {
        PagingDomain s1 = alloc(smmu, nic, Uapi.IOMMU_HWPT_ALLOC_PASID);
        PagingDomain s2 = alloc(smmu, nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        ArmVsmmu vsmmu = (ArmVsmmu) smmu.viommuInit(ArmSmmuV3Instance.IOMMU_VIOMMU_TYPE_ARM_SMMUV3, s2, nic, new byte[0]);
        NestedDomain bypass = vsmmu.allocDomainNested(0, ArmVsmmu.IOMMU_HWPT_DATA_ARM_SMMUV3, ArmNestingTest.ste(0x9, 0), null);
        smmu.setDevPasid(s1, nic, 9, null);
        assertEquals(EBUSY, errno(() -> smmu.attachDev(s2, nic)));
        assertEquals(EBUSY, errno(() -> bypass.attachDev(nic, smmu, null)));
        smmu.attachDev(s1, nic);
        smmu.removeDevPasid(nic, 9, s1);
        smmu.attachDev(s2, nic);
        bypass.attachDev(nic, smmu, null);
    }
}
