package dev.iommufdsim.repl.plugins;

import static dev.iommufdsim.repl.plugins.TestPlugins.error;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.RuntimeError;
import org.junit.jupiter.api.Test;

/**
 * Dirty tracking on the shipped drivers end to end: IOMMU_HWPT_SET_DIRTY_TRACKING and
 * IOMMU_HWPT_GET_DIRTY_BITMAP around dma_write, with the real plugin jars. The granularity is
 * each driver's page table's: a whole 4 KiB leaf on SMMUv3 (io-pgtable-arm) and VT-d
 * (vtdss), the first 2 KiB item of a 4 KiB leaf on the mock (generic_pt's record_dirty).
 */
class DirtyScenarioTest {
    private final Sim sim = TestPlugins.sim(TestPaths.pluginsDir());

    private void expectAll(String... lines) {
        TestPlugins.expectAll(sim, "dirty.sim", lines);
    }

    /** A device on a unit, bound, an IOAS with 64 KiB at 0x1000000 and a read-only page at 0x2000000. */
    private static String[] machine(String iommu) {
        return new String[] {
            "iommu u0 = " + iommu,
            "device nic0 = pci(\"0000:01:00.0\", iommu: u0)",
            "dev = vfio_bind(nic0)",
            "ioas = ioas_alloc()",
            "ioas_map(ioas, 64K, iova: 0x1000000)",
            "ioas_map(ioas, 4K, iova: 0x2000000, flags: FIXED_IOVA | READABLE)",
        };
    }

    private void expectAll(String[] setup, String... lines) {
        String[] all = new String[setup.length + lines.length];
        System.arraycopy(setup, 0, all, 0, setup.length);
        System.arraycopy(lines, 0, all, setup.length, lines.length);
        expectAll(all);
    }

    /** intel_iommu_set_dirty_tracking(): SSADE follows it, so only writes while it is on are recorded. */
    @Test
    void vtdRecordsWritesWhileTrackingIsOn() {
        expectAll(machine("intel_vtd()"),
                "h = hwpt_alloc(dev, ioas, flags: DIRTY_TRACKING)",
                "vfio_attach(dev, h)",
                "dma_write(nic0, 0x1000000, 4K)",
                "hwpt_set_dirty_tracking(h, DIRTY_TRACKING_ENABLE)",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 4K).ranges == []",
                "dma_write(nic0, 0x1001800, 0x1000)",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 4K, flags: NO_CLEAR).ranges == [0x1001000..0x1002fff]",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 4K).nbits == 2",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 4K).ranges == []",
                "hwpt_set_dirty_tracking(h, 0)",
                "dma_write(nic0, 0x1005000, 4K)",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 4K).ranges == []");
    }

    /** arm_smmu_set_dirty_tracking() always succeeds and HTTU records every write, tracking "on" or not. */
    @Test
    void smmuv3RecordsEveryWriteWithHttu() {
        expectAll(machine("arm_smmuv3(httu: true)"),
                "h = hwpt_alloc(dev, ioas, flags: DIRTY_TRACKING)",
                "vfio_attach(dev, h)",
                "hwpt_set_dirty_tracking(h, DIRTY_TRACKING_ENABLE)",
                "dma_write(nic0, 0x100ffff, 1)",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 4K).ranges == [0x100f000..0x100ffff]",
                "hwpt_set_dirty_tracking(h, 0)",
                "dma_write(nic0, 0x1004000, 8K)",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 8K).ranges == [0x1004000..0x1005fff]",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 4K).ranges == []");
    }

    /** Without IDR0.HTTU the device has no dirty tracking: DIRTY_TRACKING is refused at HWPT_ALLOC. */
    @Test
    void smmuv3WithoutHttu() {
        expectAll(machine("arm_smmuv3()"),
                "expect hwpt_alloc(dev, ioas, flags: DIRTY_TRACKING) fails EOPNOTSUPP");
    }

    /** The mock through its set_dirty path: a 4 KiB IOPTE reports the 2 KiB item written first (7.2's record_dirty). */
    @Test
    void mockThroughSetDirty() {
        expectAll(machine("mock()")[0], machine("mock()")[1], "dev = vfio_bind(nic0)", "ioas = ioas_alloc()",
                "option(HUGE_PAGES, OP_SET, object_id: ioas, val64: 0)",
                "ioas_map(ioas, 64K, iova: 0x1000000)",
                "h = hwpt_alloc(dev, ioas, flags: DIRTY_TRACKING)",
                "vfio_attach(dev, h)",
                "dma_write(nic0, 0x1000000, 4K)",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 2K).ranges == []",
                "hwpt_set_dirty_tracking(h, DIRTY_TRACKING_ENABLE)",
                "dma_write(nic0, 0x1002800, 2K)",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 2K).ranges == [0x1002000..0x10027ff]");
    }

    /** iopt_area_unmap_domain_range -> unmap_pages: the IOPTEs and their dirty bits go with the area. */
    @Test
    void unmappingDropsDirtyBits() {
        expectAll(machine("intel_vtd()"),
                "h = hwpt_alloc(dev, ioas, flags: DIRTY_TRACKING)",
                "vfio_attach(dev, h)",
                "hwpt_set_dirty_tracking(h, DIRTY_TRACKING_ENABLE)",
                "dma_write(nic0, 0x1000000, 64K)",
                "ioas_unmap(ioas, 0x1000000, 64K)",
                "ioas_map(ioas, 64K, iova: 0x1000000)",
                "expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 4K).ranges == []");
    }

    /**
     * parent_domain_set_dirty_tracking(): a device attached to a nested HWPT writes through the
     * nesting parent (the address is the stage-2 input), and the parent's tracking governs it.
     */
    @Test
    void vtdNestParentPropagation() {
        expectAll(machine("intel_vtd()"),
                // a VT-d nesting parent refuses the read-only page (PT_FEAT_VTDSS_FORCE_WRITEABLE)
                "expect hwpt_alloc(dev, ioas, flags: NEST_PARENT | DIRTY_TRACKING) fails EINVAL",
                "ioas_unmap(ioas, 0x2000000, 4K)",
                "s2 = hwpt_alloc(dev, ioas, flags: NEST_PARENT | DIRTY_TRACKING)",
                "s1 = hwpt_alloc(dev_id: dev, pt_id: s2, data: vtd_s1(pgtbl_addr: 0x1000))",
                "vfio_attach(dev, s1)",
                "dma_write(nic0, 0x1000000, 4K)",
                "expect hwpt_get_dirty_bitmap(s2, 0x1000000, 64K, 4K).ranges == []",
                "hwpt_set_dirty_tracking(s2, DIRTY_TRACKING_ENABLE)",
                "dma_write(nic0, 0x1003000, 4K)",
                "expect hwpt_get_dirty_bitmap(s2, 0x1000000, 64K, 4K).ranges == [0x1003000..0x1003fff]");
    }

    /** DMA faults: EFAULT naming the device, the range and the domain; nothing is marked. */
    @Test
    void faultsAreOneLineAndChangeNothing() {
        for (String line : machine("intel_vtd()")) {
            TestPlugins.ok(sim, line);
        }
        TestPlugins.ok(sim, "device nic1 = pci(\"0000:02:00.0\", iommu: u0)");
        RuntimeError notBound = error(sim, "dma_write(nic1, 0x1000000, 4K)");
        assertEquals(Errno.EFAULT, notBound.errno());
        assertEquals("dma_write: EFAULT: DMA fault: nic1 writing 0x1000000..0x1000fff: the device is not bound to an iommufd,"
                + " no domain translates its DMA", notBound.getMessage());
        assertEquals(Errno.EFAULT, error(sim, "dma_write(nic0, 0x1000000, 4K)").errno(), "bound, not attached");
        TestPlugins.ok(sim, "h = hwpt_alloc(dev, ioas, flags: DIRTY_TRACKING)\nvfio_attach(dev, h)\n"
                + "hwpt_set_dirty_tracking(h, DIRTY_TRACKING_ENABLE)");
        RuntimeError tail = error(sim, "dma_write(nic0, 0x100f000, 8K)");
        assertEquals("dma_write: EFAULT: DMA fault: nic0 writing 0x100f000..0x1010fff through hwpt 3: iova 0x1010000 is not mapped",
                tail.getMessage());
        assertEquals(Errno.EFAULT, error(sim, "dma_write(nic0, 0x2000000, 4)").errno(), "read-only");
        assertEquals(Errno.EINVAL, error(sim, "dma_write(nic0, 0x1000000, 0)").errno());
        assertEquals(Errno.EOVERFLOW, error(sim, "dma_write(nic0, 0xfffffffffffff000, 8K)").errno());
        expectAll("expect hwpt_get_dirty_bitmap(h, 0x1000000, 64K, 4K).ranges == []");
    }
}
