package dev.iommufdsim.plugins.armsmmuv3;

import dev.iommufdsim.kernel.spi.DeviceAccess;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.PageRequest;
import java.util.List;

/**
 * I/O page faults on SMMUv3: stalls only. arm_smmu_probe_device() sets master->stall_enabled
 * when the SMMU supports stalls and the firmware marks the device "dma-can-stall" (property
 * {@code dma_can_stall}), or when the SMMU forces stalls; arm_smmu_enable_iopf() then adds the
 * device to the event queue's iopf queue when a domain with an iopf_handler is attached (and
 * refuses a master with several stream IDs, EOPNOTSUPP; the emulator reports no page
 * requests for one instead). PRI requests are not handled by the 7.2 driver
 * (arm_smmu_handle_ppr() denies them), so a PCI device that does not stall just faults.
 */
final class SmmuStall {
    /** STAG: the 16-bit stall tag of an event (EVTQ_1_STAG). */
    private static final int STAG_MASK = 0xffff;

    private SmmuStall() {
    }

    /**
     * arm_smmu_handle_event() of the stall events of a faulting access: each stalled
     * transaction is its own last-page request, grpid = its STAG, perm READ or WRITE
     * (event->read), addr = the transaction's IOVA, PASID_VALID with a substream ID (event->ssv).
     */
    static List<PageRequest> pageRequests(SmmuRegs regs, DeviceInfo dev, DeviceAccess access) {
        boolean stallEnabled = regs.stalls() && dev.boolProperty("dma_can_stall", false) || regs.stallForce();
        if (!stallEnabled || ArmSmmuV3Instance.sids(dev).size() != 1) {
            return List.of();
        }
        return access.groupPerPage(STAG_MASK);
    }
}
