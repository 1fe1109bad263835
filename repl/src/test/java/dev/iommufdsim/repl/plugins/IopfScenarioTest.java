package dev.iommufdsim.repl.plugins;

import static dev.iommufdsim.repl.plugins.TestPlugins.error;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.RuntimeError;
import org.junit.jupiter.api.Test;

/**
 * I/O page faults from a device's DMA on the shipped drivers, with the real plugin jars: a
 * HWPT allocated with a fault queue, dma_write / dma_read faulting into it, fault_read and
 * fault_respond as a VMM does, the retry. Which devices fault this way is each driver's rule
 * (the mock always, as TRIGGER_IOPF; VT-d with PRI; SMMUv3 for a stalling master).
 */
class IopfScenarioTest {
    private final Sim sim = TestPlugins.sim(TestPaths.pluginsDir());

    private void expectAll(String... lines) {
        TestPlugins.expectAll(sim, "iopf.sim", lines);
    }

    /** nic0 on unit u0, bound (dev 1), an IOAS (2) with 64 KiB at 0x1000000, a fault queue (3), HWPT 4 with it, attached. */
    private void machine(String iommu, String device) {
        expectAll("iommu u0 = " + iommu,
                "device nic0 = " + device,
                "dev = vfio_bind(nic0)",
                "ioas = ioas_alloc()",
                "ioas_map(ioas, 64K, iova: 0x1000000)",
                "fault = fault_queue_alloc()",
                "h = hwpt_alloc(dev, ioas, flags: FAULT_ID_VALID, fault_id: fault.out_fault_id)",
                "expect [dev, ioas, fault.out_fault_id, h] == [1, 2, 3, 4]",
                "vfio_attach(dev, h)");
    }

    /** The whole sequence on the mock plugin: the records TRIGGER_IOPF's path makes, answered, retried. */
    @Test
    void mockFaultReadRespondRetry() {
        machine("mock()", "pci(\"0000:01:00.0\", iommu: u0)");
        RuntimeError stalled = error(sim, "dma_write(nic0, 0x1010000, 8K)");
        assertEquals(Errno.EAGAIN, stalled.errno());
        assertEquals("dma_write: EAGAIN: DMA stalled: nic0 writing 0x1010000..0x1011fff through hwpt 4: iova 0x1010000 is not"
                + " mapped; 2 page requests (groups 0, 1) queued on fault 3: read fd 4, respond, retry", stalled.getMessage());
        expectAll("r = fault_read(fault.out_fault_fd)",
                "expect r.length == 2",
                "expect [r[0].flags, r[0].dev_id, r[0].pasid, r[0].grpid, r[0].perm, r[0].addr, r[0].length, r[0].cookie] =="
                        + " [IOMMU_PGFAULT_FLAGS_LAST_PAGE, 1, 0, 0, IOMMU_PGFAULT_PERM_WRITE, 0x1010000, 0, 1]",
                "expect [r[1].grpid, r[1].addr, r[1].cookie] == [1, 0x1011000, 2]",
                "expect dma_write(nic0, 0x1010000, 8K) fails EAGAIN",
                "ioas_map(ioas, 8K, iova: 0x1010000)",
                "expect fault_respond(fault.out_fault_fd, 1) == 8",
                "expect fault_respond(fault.out_fault_fd, 2, code: IOMMUFD_PAGE_RESP_SUCCESS) == 8",
                "dma_write(nic0, 0x1010000, 8K)",
                "dma_read(nic0, 0x1010000, 8K)",
                "expect fault_read(fault.out_fault_fd) == []");
        RuntimeError stillWaiting = error(sim, "dma_read(nic0, 0x1020000, 4)\ndma_read(nic0, 0x1020000, 4)");
        assertEquals(Errno.EAGAIN, stillWaiting.errno());
    }

    /**
     * A VMM's guest stage 1: the fault queue on a nested HWPT (iommufd_hwpt_nested_alloc takes
     * FAULT_ID_VALID); the DMA faults on the stage-2 input and lands in that queue.
     */
    @Test
    void nestedHwptWithAFaultQueue() {
        expectAll("iommu u0 = mock()",
                "device nic0 = pci(\"0000:01:00.0\", iommu: u0)",
                "dev = vfio_bind(nic0)",
                "ioas = ioas_alloc()",
                "ioas_map(ioas, 64K, iova: 0x1000000)",
                "fault = fault_queue_alloc()",
                "s2 = hwpt_alloc(dev, ioas, flags: NEST_PARENT)",
                "s1 = hwpt_alloc(dev, s2, flags: FAULT_ID_VALID, fault_id: fault.out_fault_id, data_type: IOMMU_HWPT_DATA_SELFTEST,"
                        + " data: [0, 0])",
                "vfio_attach(dev, s1)",
                "dma_write(nic0, 0x1000000, 64K)");
        RuntimeError e = error(sim, "dma_write(nic0, 0x1010000, 4)");
        assertEquals("dma_write: EAGAIN: DMA stalled: nic0 writing 0x1010000..0x1010003 through hwpt 5 (nested on hwpt 4): iova"
                + " 0x1010000 is not mapped; 1 page request (group 0) queued on fault 3: read fd 4, respond, retry", e.getMessage());
        expectAll("r = fault_read(fault.out_fault_fd)",
                "expect [r[0].addr, r[0].cookie] == [0x1010000, 1]",
                // leaving the nested HWPT answers the group (iommufd_auto_response_faults)
                "vfio_attach(dev, s2)",
                "expect fault_respond(fault.out_fault_fd, 1) fails EINVAL",
                "expect dma_write(nic0, 0x1010000, 4) fails EFAULT");
    }

    /** A second call while the request is unanswered queues nothing more. */
    @Test
    void theDeviceWaitsForItsResponse() {
        machine("mock()", "pci(\"0000:01:00.0\", iommu: u0)");
        expectAll("expect dma_read(nic0, 0x1020000, 4) fails EAGAIN");
        RuntimeError e = error(sim, "dma_read(nic0, 0x1020000, 4)");
        assertEquals("dma_read: EAGAIN: DMA stalled: nic0 reading 0x1020000..0x1020003 through hwpt 4: still waiting for the response"
                + " to page request group 0 on fault 3 (not read yet)", e.getMessage());
        expectAll("expect fault_read(fault.out_fault_fd).length == 1");
    }

    /** VT-d: a PRI device's access is one group; a device without PRI cannot attach a HWPT with a fault object. */
    @Test
    void vtdPriGroupAndNoPri() {
        machine("intel_vtd()", "pci(\"0000:01:00.0\", iommu: u0, pri: true)");
        expectAll("expect dma_write(nic0, 0x1010000, 12K) fails EAGAIN",
                "r = fault_read(fault.out_fault_fd)",
                "expect [r[0].flags, r[1].flags, r[2].flags] == [0, 0, IOMMU_PGFAULT_FLAGS_LAST_PAGE]",
                "expect [r[0].cookie, r[1].cookie, r[2].cookie] == [1, 1, 1]",
                "expect fault_respond(fault.out_fault_fd, 1) == 8",
                "device nic1 = pci(\"0000:02:00.0\", iommu: u0)",
                "d1 = vfio_bind(nic1)",
                "h1 = hwpt_alloc(d1, ioas, flags: FAULT_ID_VALID, fault_id: fault.out_fault_id)");
        RuntimeError e = error(sim, "vfio_attach(d1, h1)");
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals("vfio_attach: ENODEV: hwpt 6 has fault 3: intel_vtd: nic1 has no PRI enabled, so a HWPT with a fault object"
                + " cannot be attached (intel_iommu_enable_iopf)", e.getMessage());
    }

    /** SMMUv3: a stalling platform device's transactions stall one by one. */
    @Test
    void smmuv3Stalls() {
        machine("arm_smmuv3(stall: true)", "platform(iommu: u0, dma_can_stall: true)");
        expectAll("expect dma_write(nic0, 0x100fff0, 0x20) fails EAGAIN",
                "r = fault_read(fault.out_fault_fd)",
                "expect r.length == 1",
                "expect [r[0].flags, r[0].addr, r[0].perm] == [IOMMU_PGFAULT_FLAGS_LAST_PAGE, 0x1010000, IOMMU_PGFAULT_PERM_WRITE]");
    }
}
