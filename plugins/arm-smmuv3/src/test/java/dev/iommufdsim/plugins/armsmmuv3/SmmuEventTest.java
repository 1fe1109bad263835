package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.pci;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.smmu;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.DmaFault;
import dev.iommufdsim.kernel.spi.DmaFaultEvent;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * DMA faults under a vSMMU nested domain against arm_smmu_handle_event() and
 * arm_vmaster_report_event() of Linux 7.2: the emulator's faults are the parent's stage 2
 * refusing the IPA, S2 = 1, which the driver keeps from the guest; a stage-1 event would go to
 * the vmaster with the vSID for the SID.
 */
class SmmuEventTest {
    /** PCI 0000:01:00.0: its stream ID is its RID, 0x100. */
    static final long SID = 0x100;

    private final ArmSmmuV3Instance smmu = smmu(Map.of());
    private final DeviceInfo nic = pci("nic0", "0000:01:00.0", Map.of());
    private final ArmNestingTest.Vdevs vdevs = new ArmNestingTest.Vdevs();

    /** A vSMMU on a new nesting parent for nic0. */
    private ArmVsmmu vsmmu() {
        PagingDomain s2 = smmu.domainAllocPagingFlags(nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, 0, new byte[0]);
        return (ArmVsmmu) smmu.viommuInit(ArmNestingTest.TYPE_ARM, s2, nic, new byte[0]);
    }

    /** A nested domain of a new vSMMU with vSTE word 0 ste0. */
    private NestedDomain nested(long ste0) {
        return vsmmu().allocDomainNested(0, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, ArmNestingTest.ste(ste0, 0), vdevs);
    }

    @Test
    void stage2RecordsAsTheHardwareWritesThem() {
        // a read of an unmapped IPA: F_TRANSLATION, RnW, S2, CLASS IN, the address in words 2 and 3
        assertArrayEquals(new long[] {0x10 | SID << 32, 1L << 35 | 1L << 39 | 2L << 40, 0x1234567, 0x1234000},
                SmmuEvent.stage2Fault(SID, new DmaFault(DmaFault.Kind.NOT_MAPPED, 0x1234567, false, 0)));
        // a write to a read-only IPA with substream 5: F_PERMISSION, SSV and SSID, no RnW
        assertArrayEquals(new long[] {0x13 | 1L << 11 | 5L << 12 | SID << 32, 1L << 39 | 2L << 40, 0x2000, 0x2000},
                SmmuEvent.stage2Fault(SID, new DmaFault(DmaFault.Kind.NO_PERMISSION, 0x2000, true, 5)));
        // EVTQ_3_IPA is bits 51:12
        assertEquals(0xf_ffff_ffff_f000L, SmmuEvent.stage2Fault(SID, new DmaFault(DmaFault.Kind.NOT_MAPPED, -1L, false, 0))[3]);
    }

    @Test
    void stage2FaultsAreKeptFromTheGuestEvenWithAVmaster() {
        NestedDomain d = nested(0xb);
        vdevs.byId.put(0x42L, nic);
        DmaFaultEvent e = smmu.nestedDmaFault(nic, d, new DmaFault(DmaFault.Kind.NOT_MAPPED, 0x1000000, false, 0), vdevs);
        assertFalse(e.isReported());
        assertEquals("event 0x10 (F_TRANSLATION, S2)", e.event());
        assertEquals("a stage-2 fault (S2 = 1) is the host's, only stage-1 events go to the vmaster (arm_smmu_handle_event); dumped as"
                + " 0x0000010000000010 0x0000028800000000 0x0000000001000000 0x0000000001000000", e.kept());
        e = smmu.nestedDmaFault(nic, d, new DmaFault(DmaFault.Kind.NO_PERMISSION, 0x1000000, true, 0), null);
        assertEquals("event 0x13 (F_PERMISSION, S2)", e.event());
        assertNull(smmu.nestedDmaFault(nic, new NestedDomain() {
        }, new DmaFault(DmaFault.Kind.NOT_MAPPED, 0, false, 0), vdevs), "not a vSMMU nested domain");
    }

    @Test
    void aSubstreamTheVsteHasNoRoomForIsCBadSubstreamidForTheGuest() {
        NestedDomain s1 = nested(0xb); // S1_TRANS, S1CDMax 0
        vdevs.byId.put(0x42L, nic);
        DmaFault ssid3 = new DmaFault(DmaFault.Kind.SUBSTREAM, 0x1000, false, 3);
        DmaFaultEvent e = smmu.nestedDmaFault(nic, s1, ssid3, vdevs);
        assertEquals("event 0x08 (C_BAD_SUBSTREAMID) for vSID 0x42", e.event());
        ByteBuffer b = ByteBuffer.wrap(e.vevent()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x08 | 1L << 11 | 3L << 12 | 0x42L << 32, b.getLong(0));
        assertEquals(0, b.getLong(8) | b.getLong(16) | b.getLong(24));
        // S1CDMax 2: SSIDs 0..3 go through the guest's CD table (not modelled: no event), 4 is out of range
        NestedDomain wide = nested(0xbL | 2L << 59);
        assertNull(smmu.nestedDmaFault(nic, wide, ssid3, vdevs));
        assertEquals("event 0x08 (C_BAD_SUBSTREAMID) for vSID 0x42",
                smmu.nestedDmaFault(nic, wide, new DmaFault(DmaFault.Kind.SUBSTREAM, 0, true, 4), vdevs).event());
        // abort (no event recorded) and bypass (not modelled) vSTEs
        for (long ste0 : new long[] {0x1, 0x0, 0x9}) {
            NestedDomain d = nested(ste0);
            assertNull(smmu.nestedDmaFault(nic, d, ssid3, vdevs), "vSTE 0x" + Long.toHexString(ste0));
        }
    }

    /** arm_smmu_make_nested_domain_ste(): non-valid and ABORT vSTEs are abort STEs; BYPASS and S1_TRANS translate. */
    @Test
    void abortVstesTerminateDmaWithoutAnEvent() {
        String[] want = {"the non-valid vSTE is installed as an abort STE (arm_smmu_make_abort_ste): the SMMU terminates the transaction"
                + " and records no event", "the ABORT vSTE is installed as an abort STE (arm_smmu_make_abort_ste): the SMMU terminates the"
                + " transaction and records no event", null, null};
        long[] ste0 = {0x0, 0x1, 0x9, 0xb};
        for (int i = 0; i < ste0.length; i++) {
            NestedDomain d = nested(ste0[i]);
            assertEquals(want[i], d.abortsDma(), "vSTE 0x" + Long.toHexString(ste0[i]));
        }
    }

    @Test
    void aStage1EventGoesToTheVmasterWithTheVsid() {
        long[] evt = {0x10 | 1L << 11 | 3L << 12 | SID << 32, 1L << 35 | 2L << 40, 0xdead000, 0};
        assertFalse(SmmuEvent.handle(nic, evt, vdevs).isReported(), "no vmaster");
        assertTrue(SmmuEvent.handle(nic, evt, vdevs).kept().startsWith("nic0 has no vmaster"));
        vdevs.byId.put(0x42L, nic);
        DmaFaultEvent e = SmmuEvent.handle(nic, evt, vdevs);
        assertEquals("event 0x10 (F_TRANSLATION) for vSID 0x42", e.event());
        assertEquals(Uapi.IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, e.veventqType());
        ByteBuffer b = ByteBuffer.wrap(e.vevent()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x10 | 1L << 11 | 3L << 12 | 0x42L << 32, b.getLong(0));
        assertEquals(evt[1], b.getLong(8));
        assertEquals(evt[2], b.getLong(16));
        assertEquals(32, e.vevent().length);
    }
}
