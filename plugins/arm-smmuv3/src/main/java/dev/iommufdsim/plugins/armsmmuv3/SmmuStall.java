package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceAccess;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.PageRequest;
import java.util.List;

/**
 * I/O page faults on SMMUv3: stalls only. arm_smmu_probe_device() sets master->stall_enabled
 * when the SMMU supports stalls and the firmware marks the device "dma-can-stall" (property
 * {@code dma_can_stall}), or when the SMMU forces stalls; arm_smmu_enable_iopf() then adds the
 * device to the event queue's iopf queue when a domain with an iopf_handler is attached, and
 * refuses a stalling master with several stream IDs (EOPNOTSUPP). A master that does not stall
 * attaches and just faults: PRI requests are not handled by the 7.2 driver
 * (arm_smmu_handle_ppr() denies them).
 */
final class SmmuStall {
    /** STAG: the 16-bit stall tag of an event (EVTQ_1_STAG). */
    private static final int STAG_MASK = 0xffff;

    private SmmuStall() {
    }

    /** master->stall_enabled (arm_smmu_probe_device). */
    static boolean stallEnabled(SmmuRegs regs, DeviceInfo dev) {
        return regs.stalls() && dev.boolProperty("dma_can_stall", false) || regs.stallForce();
    }

    /** arm_smmu_enable_iopf(): "We're not keeping track of SIDs in fault events". */
    static void enableIopf(SmmuRegs regs, DeviceInfo dev) {
        int streams = ArmSmmuV3Instance.sids(dev).size();
        if (stallEnabled(regs, dev) && streams != 1) {
            throw fail(EOPNOTSUPP, "arm_smmuv3: %s stalls but has %d stream IDs, so a HWPT with a fault object cannot be attached"
                    + " (arm_smmu_enable_iopf)", dev.name(), streams);
        }
    }

    /**
     * arm_smmu_handle_event() of the stall events of a faulting access: each stalled
     * transaction is its own last-page request, grpid = its STAG, perm READ or WRITE
     * (event->read), addr = the transaction's IOVA, PASID_VALID with a substream ID (event->ssv).
     */
    static List<PageRequest> pageRequests(SmmuRegs regs, DeviceInfo dev, DeviceAccess access) {
        return stallEnabled(regs, dev) ? access.groupPerPage(STAG_MASK) : List.of();
    }
}
