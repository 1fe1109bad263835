package dev.iommufdsim.plugins.armsmmuv3;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.DmaFault;
import dev.iommufdsim.kernel.spi.DmaFaultEvent;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The event queue record (SMMUv3 spec 7.3, arm-smmu-v3.h EVTQ_*) a faulting transaction of a
 * master under a nested domain leaves, and what arm_smmu_handle_event() does with it when it
 * does not stall: {@code master->vmaster && !event->s2} hands it to arm_vmaster_report_event(),
 * which replaces the StreamID with the vSID and reports it as a struct iommu_vevent_arm_smmuv3
 * to the vSMMU's IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 vEVENTQ; every other event is dumped to the host
 * log (arm_smmu_dump_event()). The emulator keeps no stage-1 tables, so the translation faults
 * it can produce under a nested domain are the parent's stage 2 refusing the IPA: S2 = 1, which
 * 7.2 keeps from the guest (the VMM owns the stage 2, so the guest could not fix it). What does
 * reach the guest is a DMA with a substream the vSTE has no room for: C_BAD_SUBSTREAMID.
 */
final class SmmuEvent {
    static final int EVT_ID_BAD_SUBSTREAMID_CONFIG = 0x08;
    static final int EVT_ID_TRANSLATION_FAULT = 0x10;
    static final int EVT_ID_PERMISSION_FAULT = 0x13;
    static final long EVTQ_0_SSV = 1L << 11;
    static final int EVTQ_0_SSID_SHIFT = 12;
    static final int EVTQ_0_SID_SHIFT = 32;
    static final long EVTQ_0_SID = 0xffffffffL << EVTQ_0_SID_SHIFT;
    static final long EVTQ_1_RnW = 1L << 35;
    static final long EVTQ_1_S2 = 1L << 39;
    static final int EVTQ_1_CLASS_SHIFT = 40;
    /** CLASS 0b10: "Input address caused fault" (event_class_str[2]), as opposed to a CD or table fetch. */
    static final long EVTQ_1_CLASS_IN = 2;
    /** EVTQ_3_IPA: GENMASK_ULL(51, 12). */
    static final long EVTQ_3_IPA = ((1L << 52) - 1) & ~0xfffL;

    private SmmuEvent() {
    }

    /**
     * The record of a stage-2 fault: F_TRANSLATION (no IOPTE) or F_PERMISSION (one without the
     * access's permission), CLASS IN, RnW for a read, SSV and SSID with a PASID, the input
     * address in EVTQ_2_ADDR and the IPA (the same address: stage 1 is not modelled) in EVTQ_3;
     * STALL and STAG are 0 (the master did not stall, else it was a page request).
     */
    static long[] stage2Fault(long sid, DmaFault f) {
        int id = f.kind() == DmaFault.Kind.NOT_MAPPED ? EVT_ID_TRANSLATION_FAULT : EVT_ID_PERMISSION_FAULT;
        long e0 = id | (sid << EVTQ_0_SID_SHIFT);
        if (f.pasid() != Uapi.IOMMU_NO_PASID) {
            e0 |= EVTQ_0_SSV | ((long) f.pasid() << EVTQ_0_SSID_SHIFT);
        }
        long e1 = EVTQ_1_S2 | (EVTQ_1_CLASS_IN << EVTQ_1_CLASS_SHIFT) | (f.write() ? 0 : EVTQ_1_RnW);
        return new long[] {e0, e1, f.addr(), f.addr() & EVTQ_3_IPA};
    }

    /**
     * The record of a transaction with a substream the nested STE cannot take, or null when
     * the emulator has none to give: the vSTE's S1CDMax, which arm_smmu_make_nested_cd_table_ste()
     * copies into the physical STE, is 0 (substreams disabled) or the SSID is 2^S1CDMax or more,
     * so the SMMU terminates it with C_BAD_SUBSTREAMID (StreamID, SSV, SubstreamID; the other
     * words RES0). An abort vSTE (or a non-valid one) records no event; a bypass vSTE, or an
     * SSID the guest's CD table covers, would need the guest's tables, which are not modelled.
     */
    static long[] badSubstream(ArmNestedDomain.VSte vste, long sid, int ssid) {
        if ((vste.ste0() & ArmNestedDomain.STRTAB_STE_0_V) == 0 || vste.cfg() != ArmNestedDomain.STRTAB_STE_0_CFG_S1_TRANS) {
            return null;
        }
        if (vste.s1cdmax() != 0 && (ssid >>> vste.s1cdmax()) == 0) {
            return null;
        }
        long e0 = EVT_ID_BAD_SUBSTREAMID_CONFIG | EVTQ_0_SSV | ((ssid & 0xfffffL) << EVTQ_0_SSID_SHIFT) | (sid << EVTQ_0_SID_SHIFT);
        return new long[] {e0, 0, 0, 0};
    }

    /**
     * arm_smmu_handle_event() for a non-stall event of dev's first stream (a vDEVICE needs
     * exactly one, arm_vsmmu_vdevice_init()): to the vmaster unless S2, else kept and dumped.
     * The vmaster is the device's vSID in the vSMMU, which arm_smmu_attach_prepare_vmaster()
     * took at attach; the emulator looks it up at fault time, so it differs from the kernel
     * only after a vDEVICE made or destroyed while the device stays attached.
     */
    static DmaFaultEvent handle(DeviceInfo dev, long[] evt, VdevLookup vdevs) {
        Long vsid = vdevs == null ? null : vdevs.virtIdOf(dev);
        boolean s2 = (evt[1] & EVTQ_1_S2) != 0;
        String name = describe(evt);
        if (vsid != null && !s2) {
            return DmaFaultEvent.reported(name + " for vSID 0x" + Long.toHexString(vsid), Uapi.IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
                    vevent(evt, vsid));
        }
        return DmaFaultEvent.kept(name, String.format("%s (arm_smmu_handle_event); dumped as %s", s2
                ? "a stage-2 fault (S2 = 1) is the host's, only stage-1 events go to the vmaster"
                : dev.name() + " has no vmaster (no vDEVICE in the vSMMU)", raw(evt)));
    }

    /** arm_vmaster_report_event(): struct iommu_vevent_arm_smmuv3, the record with the vSID for the SID, little-endian. */
    static byte[] vevent(long[] evt, long vsid) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong((evt[0] & ~EVTQ_0_SID) | ((vsid << EVTQ_0_SID_SHIFT) & EVTQ_0_SID));
        for (int i = 1; i < 4; i++) {
            b.putLong(evt[i]);
        }
        return b.array();
    }

    /** "event 0x10 (F_TRANSLATION, S2)", the id and event_str[] name arm_smmu_dump_event() logs. */
    static String describe(long[] evt) {
        int id = (int) (evt[0] & 0xff);
        String name = switch (id) {
            case EVT_ID_BAD_SUBSTREAMID_CONFIG -> "C_BAD_SUBSTREAMID";
            case EVT_ID_TRANSLATION_FAULT -> "F_TRANSLATION";
            case EVT_ID_PERMISSION_FAULT -> "F_PERMISSION";
            default -> "UNKNOWN";
        };
        return String.format("event 0x%02x (%s%s)", id, name, (evt[1] & EVTQ_1_S2) != 0 ? ", S2" : "");
    }

    /** arm_smmu_dump_raw_event(): the four words. */
    private static String raw(long[] evt) {
        return String.format("0x%016x 0x%016x 0x%016x 0x%016x", evt[0], evt[1], evt[2], evt[3]);
    }
}
