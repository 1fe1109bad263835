package dev.iommufdsim.repl.plugins;

import static dev.iommufdsim.repl.plugins.TestPlugins.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EvalResult;
import org.junit.jupiter.api.Test;

/**
 * The shipped drivers' nesting hooks behind the kernel's nesting objects, end to end through
 * scripts: the values are the real kernel's (the 7.2 oracle's viommu.ops.out for the mock;
 * vendor policies 6.4/6.5 and the drivers' code for SMMUv3 and VT-d).
 */
class NestingScenarioTest {
    private final Sim sim = TestPlugins.sim(TestPaths.pluginsDir());

    private void expectAll(String script) {
        EvalResult r = sim.engine().eval(script, "scenario.sim");
        assertEquals(EvalResult.Status.OK, r.status(), r.diagnostics() + " " + r.error());
        assertEquals(0, r.failed(), sim.engine().expectations().toString());
    }

    /** ../shared/oracle/examples/viommu.ops on the 7.2 kernel: the IDs, entry_num 1 twice, EBUSY. */
    @Test
    void mockViommuAsTheOracleAnswered() {
        expectAll(String.join("\n",
                "ioas = ioas_alloc()",
                "m = mock_domain(ioas)",
                "expect m.out_idev_id == 3",
                "parent = hwpt_alloc(dev_id: m.out_idev_id, pt_id: ioas, flags: NEST_PARENT)",
                "expect parent == 5",
                "viommu = viommu_alloc(dev_id: m.out_idev_id, hwpt_id: parent, type: IOMMU_VIOMMU_TYPE_SELFTEST)",
                "expect viommu == 6",
                "expect vdevice_alloc(viommu_id: viommu, dev_id: m.out_idev_id, virt_id: 0x10) == 7",
                "nested = hwpt_alloc(dev_id: m.out_idev_id, pt_id: viommu, data: selftest_s1(iotlb: 0x1234))",
                "expect nested == 8",
                "expect mock_domain_replace(m.out_stdev_id, nested) == 8",
                "expect hwpt_invalidate(hwpt_id: viommu, data_type: IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, entries: [[1, 0x10, 0]]) == 1",
                "expect hwpt_invalidate(hwpt_id: nested, data_type: IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, entries: [[1, 0]]) == 1",
                "expect destroy(parent) fails EBUSY",
                "expect hwpt_invalidate(hwpt_id: viommu, data_type: IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, entries: [[0, 0x9, 0]]) fails EINVAL",
                "expect hwpt_invalidate(hwpt_id: nested, data_type: IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, entries: [[0, 1], [0, 4]]) fails EINVAL",
                "expect last_entry_num() == 1",
                ""));
    }

    /**
     * iommufd_viommu.mock_viommu.hw_queue of the 7.2 selftest as a script: the mock's index
     * rules (EIO, EINVAL, EEXIST), the locked page (IOAS_UNMAP EBUSY) and the dependency order.
     */
    @Test
    void mockHwQueue() {
        expectAll(String.join("\n",
                "ioas = ioas_alloc()",
                "m = mock_domain(ioas)",
                "parent = hwpt_alloc(dev_id: m.out_idev_id, pt_id: ioas, flags: NEST_PARENT)",
                "viommu = viommu_alloc(dev_id: m.out_idev_id, hwpt_id: parent, type: IOMMU_VIOMMU_TYPE_SELFTEST)",
                "T = IOMMU_HW_QUEUE_TYPE_SELFTEST",
                "expect hw_queue_alloc(viommu_id: viommu, type: IOMMU_HW_QUEUE_TYPE_DEFAULT, nesting_parent_iova: 0x1000000, length: 4K) fails EOPNOTSUPP",
                "expect hw_queue_alloc(viommu_id: viommu, type: T, nesting_parent_iova: 0x1000000, length: 0) fails EINVAL",
                "expect hw_queue_alloc(viommu_id: viommu, type: T, nesting_parent_iova: 0xffffffffffffffff, length: 4K) fails EOVERFLOW",
                "expect hw_queue_alloc(viommu_id: viommu, type: T, nesting_parent_iova: 0x1000000, length: 4K) fails ENOENT",
                "iova = ioas_map(ioas, 4K)",
                "iova2 = ioas_map(ioas, 4K)",
                "expect hw_queue_alloc(viommu_id: viommu, type: T, index: 1, nesting_parent_iova: iova, length: 4K) fails EIO",
                "expect hw_queue_alloc(viommu_id: viommu, type: T, index: 2, nesting_parent_iova: iova, length: 4K) fails EINVAL",
                "q0 = hw_queue_alloc(viommu_id: viommu, type: T, nesting_parent_iova: iova, length: 4K)",
                "expect hw_queue_alloc(viommu_id: viommu, type: T, nesting_parent_iova: iova, length: 4K) fails EEXIST",
                "expect ioas_unmap(ioas, iova, 4K) fails EBUSY",
                "ioas_unmap(ioas, iova2, 4K)",
                "q1 = hw_queue_alloc(viommu_id: viommu, type: T, index: 1, nesting_parent_iova: iova + 2K, length: 2K)",
                "expect destroy(q0) fails EBUSY",
                "destroy(q1)",
                "destroy(q0)",
                "ioas_unmap(ioas, iova, 4K)",
                ""));
    }

    /** IOAS_CHANGE_PROCESS from a script: user memory cannot move (EINVAL), __reserved first. */
    @Test
    void changeProcess() {
        expectAll(String.join("\n",
                "ioas = ioas_alloc()",
                "expect ioas_change_process() == 0",
                "iova = ioas_map(ioas, 4K)",
                "expect ioas_change_process(__reserved: 1) fails EOPNOTSUPP",
                "expect ioas_change_process() fails EINVAL",
                "ioas_unmap(ioas)",
                "expect ioas_change_process() == 0",
                ""));
    }

    /** A vSMMU: the vSTE rules (vendor policies 6.5) and the vDEVICE a translating vSTE needs to attach. */
    @Test
    void armVsmmu() {
        expectAll(String.join("\n",
                "iommu smmu0 = arm_smmuv3()",
                "device nic0 = pci(\"0000:01:00.0\", iommu: smmu0)",
                "dev = vfio_bind(nic0)",
                "ioas = ioas_alloc()",
                "s2 = hwpt_alloc(dev_id: dev, pt_id: ioas, flags: NEST_PARENT)",
                "vsmmu = viommu_alloc(dev_id: dev, hwpt_id: s2, type: IOMMU_VIOMMU_TYPE_ARM_SMMUV3)",
                "expect hwpt_alloc(dev_id: dev, pt_id: s2, data: arm_smmuv3_ste(ste0: 0xb)) fails EOPNOTSUPP",
                "expect hwpt_alloc(dev_id: dev, pt_id: vsmmu, data: arm_smmuv3_ste(ste0: 0xd)) fails EIO",
                "expect hwpt_alloc(dev_id: dev, pt_id: vsmmu, data: arm_smmuv3_ste(ste0: 0xb, ste1: 1 << 30)) fails EIO",
                "abort = hwpt_alloc(dev_id: dev, pt_id: vsmmu, data: arm_smmuv3_ste(ste0: 0))",
                "s1 = hwpt_alloc(dev_id: dev, pt_id: vsmmu, data: arm_smmuv3_ste(ste0: 0xb | 0x40000))",
                "expect vfio_attach(dev, s1) fails ENOENT",
                "vfio_attach(dev, abort)",
                "vdevice_alloc(viommu_id: vsmmu, dev_id: dev, virt_id: 0x1)",
                "expect vfio_attach(dev, s1) == s1",
                "expect hwpt_invalidate(hwpt_id: vsmmu, data_type: IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,"
                        + " entries: [[0x11, 0, 0, 0], [0x05, 0x1, 0, 0]]) == 2",
                "expect hwpt_invalidate(hwpt_id: vsmmu, data_type: IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,"
                        + " entries: [[0x11, 0, 0, 0], [0x20, 0, 0, 0]]) fails EIO",
                "expect last_entry_num() == 1",
                "expect ioas_iova_ranges(ioas).ranges == [0..0x7ffffff, 0x8100000..0xffffffffffff]",
                ""));
    }

    /** VT-d nesting on the parent HWPT (no vIOMMU): vendor policies 6.4, addr_width 57 fails at attach. */
    @Test
    void vtdStage1() {
        expectAll(String.join("\n",
                "iommu dmar0 = intel_vtd()",
                "device nic0 = pci(\"0000:03:00.0\", iommu: dmar0, class: 0x020000)",
                "dev = vfio_bind(nic0)",
                "ioas = ioas_alloc()",
                "s2 = hwpt_alloc(dev_id: dev, pt_id: ioas, flags: NEST_PARENT)",
                "expect viommu_alloc(dev_id: dev, hwpt_id: s2, type: IOMMU_VIOMMU_TYPE_ARM_SMMUV3) fails EOPNOTSUPP",
                "wide = hwpt_alloc(dev_id: dev, pt_id: s2, data: vtd_s1(pgtbl_addr: 0x1000, addr_width: 57))",
                "expect vfio_attach(dev, wide) fails EINVAL",
                "s1 = hwpt_alloc(dev_id: dev, pt_id: s2, data: vtd_s1(pgtbl_addr: 0x1000))",
                "expect vfio_attach(dev, s1) == s1",
                "expect hwpt_invalidate(hwpt_id: s1, data_type: IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,"
                        + " entries: [[0, 0, 0xffffffff, 0xffffffff, 0, 0]]) == 1",
                "expect hwpt_invalidate(hwpt_id: s1, data_type: IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,"
                        + " entries: [[0x800, 0, 1, 0, 0, 0]]) fails EINVAL",
                "expect ioas_iova_ranges(ioas).ranges == [0..0xfedfffff, 0xfef00000..0xffffffffffff]",
                ""));
    }

    /** The one-line error that stops a script on a VT-d unit with nic0 bound (dev 1) and an IOAS (2). */
    private static String vtdError(String... lines) {
        String script = String.join("\n",
                "iommu dmar0 = intel_vtd()",
                "device nic0 = pci(\"0000:03:00.0\", iommu: dmar0, class: 0x020000)",
                "dev = vfio_bind(nic0)",
                "ioas = ioas_alloc()",
                String.join("\n", lines), "");
        EvalResult r = TestPlugins.sim(TestPaths.pluginsDir()).engine().eval(script, "vtd.sim");
        assertEquals(EvalResult.Status.RUNTIME_ERROR, r.status());
        return r.error().getMessage();
    }

    /**
     * SPI-PROPOSALS 3 through the real VT-d jar: a read-only map into a nesting parent's IOAS,
     * and a nesting parent joining an IOAS with a read-only area, stop the script with one line
     * naming the area, the HWPT (and the device) and the driver's reason (vtdss_pt_iommu_set_prot).
     */
    @Test
    void vtdReadOnlyRefusalsAreOneClearLine() {
        String reason = "intel_vtd: read-only mapping 0x100000-0x100fff refused: a nesting parent allows only writeable mappings"
                + " (PT_FEAT_VTDSS_FORCE_WRITEABLE, ERRATA_772415_SPR17)";
        assertEquals("ioas_map: EINVAL: iommu_map of area 0x100000-0x100fff (READABLE only) into hwpt 3: " + reason,
                vtdError("s2 = hwpt_alloc(dev_id: dev, pt_id: ioas, flags: NEST_PARENT)",
                        "ioas_map(ioas, 4K, iova: 0x100000, flags: FIXED_IOVA | READABLE)"));
        assertEquals("hwpt_alloc: EINVAL: dev 1 (nic0), ioas 2: iommu_map of area 0x100000-0x100fff (READABLE only) into hwpt 3: "
                + reason, vtdError("ioas_map(ioas, 4K, iova: 0x100000, flags: FIXED_IOVA | READABLE)",
                        "hwpt_alloc(dev_id: dev, pt_id: ioas, flags: NEST_PARENT)"));
    }
}
