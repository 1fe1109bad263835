package dev.iommufdsim.repl.plugins;

import static dev.iommufdsim.repl.plugins.TestPlugins.error;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.RuntimeError;
import org.junit.jupiter.api.Test;

/**
 * DMA faults under a vSMMU with the real SMMUv3 plugin jar, against arm_smmu_handle_event()
 * of Linux 7.2: a stage-2 fault is dumped, not reported; C_BAD_SUBSTREAMID goes to the
 * vEVENTQ with the vSID; a stalling master's fault is a page request first.
 */
class VeventScenarioTest {
    private final Sim sim = TestPlugins.sim(TestPaths.pluginsDir());

    private void expectAll(String... lines) {
        TestPlugins.expectAll(sim, "vevent.sim", lines);
    }

    /** d0 on smmu0 bound, an IOAS with 64 KiB at 0x1000000, a parent, a vSMMU, d0's vDEVICE 0x42, an S1_TRANS nested HWPT s1 attached. */
    private void machine(String smmu, String device, String nestedFlags) {
        expectAll("iommu smmu0 = " + smmu,
                "device d0 = " + device,
                "dev = vfio_bind(d0)",
                "ioas = ioas_alloc()",
                "ioas_map(ioas, 64K, iova: 0x1000000)",
                "s2 = hwpt_alloc(dev, ioas, flags: NEST_PARENT)",
                "vsmmu = viommu_alloc(dev_id: dev, hwpt_id: s2, type: IOMMU_VIOMMU_TYPE_ARM_SMMUV3)",
                "vdevice_alloc(vsmmu, dev, 0x42)",
                "s1 = hwpt_alloc(dev_id: dev, pt_id: vsmmu, data: arm_smmuv3_ste(ste0: 0xb)" + nestedFlags + ")",
                "vfio_attach(dev, s1)");
    }

    @Test
    void stage2FaultIsDumpedAndCBadSubstreamidIsReported() {
        machine("arm_smmuv3()", "pci(\"0000:01:00.0\", iommu: smmu0)", "");
        RuntimeError s2 = error(sim, "dma_write(d0, 0x2000000, 8)");
        assertEquals(Errno.EFAULT, s2.errno());
        assertEquals("dma_write: EFAULT: DMA fault: d0 writing 0x2000000..0x2000007 through hwpt 6 (nested on hwpt 3): iova 0x2000000 is"
                + " not mapped; arm_smmuv3 logged event 0x10 (F_TRANSLATION, S2), not reported to the guest: a stage-2 fault (S2 = 1)"
                + " is the host's, only stage-1 events go to the vmaster (arm_smmu_handle_event); dumped as 0x0000010000000010"
                + " 0x0000028000000000 0x0000000002000000 0x0000000002000000", s2.getMessage());
        RuntimeError noQueue = error(sim, "dma_read(d0, 0x1000000, 4, pasid: 3)");
        assertEquals("dma_read: EFAULT: DMA fault: d0 pasid 3 reading 0x1000000..0x1000003: the device is not attached for that PASID,"
                + " no domain translates its DMA (its RID is attached to nested hwpt 6); arm_smmuv3 logged event 0x08 (C_BAD_SUBSTREAMID)"
                + " for vSID 0x42: vIOMMU 4 has no vEVENTQ of type 0x1 to report it to", noQueue.getMessage());
        expectAll("q = veventq_alloc(vsmmu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4)");
        RuntimeError reported = error(sim, "dma_read(d0, 0x1000000, 4, pasid: 3)");
        assertEquals("dma_read: EFAULT: DMA fault: d0 pasid 3 reading 0x1000000..0x1000003: the device is not attached for that PASID,"
                + " no domain translates its DMA (its RID is attached to nested hwpt 6); arm_smmuv3 reported event 0x08"
                + " (C_BAD_SUBSTREAMID) for vSID 0x42 to vEVENTQ 7 (fd 4) as vEVENT sequence 0", reported.getMessage());
        expectAll("r = veventq_read(q.out_veventq_fd, data_len: 32)",
                "expect [r.length, r[0].flags, r[0].sequence] == [1, 0, 0]",
                "expect r[0].data_u32 == [0x3808, 0x42, 0, 0, 0, 0, 0, 0]");
    }

    /** arm_smmu_handle_event() checks event->stall first: a stalled transaction is a page request, never a vEVENT. */
    @Test
    void aStallIsAPageRequestNotAVevent() {
        expectAll("fault = fault_queue_alloc()");
        machine("arm_smmuv3(stall: true)", "platform(iommu: smmu0, dma_can_stall: true, sid: 7)",
                ", flags: FAULT_ID_VALID, fault_id: fault.out_fault_id");
        expectAll("q = veventq_alloc(vsmmu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4)",
                "expect dma_read(d0, 0x2000000, 4) fails EAGAIN",
                "expect fault_read(fault.out_fault_fd).length == 1",
                "expect veventq_read(q.out_veventq_fd, data_len: 32) == []");
    }
}
