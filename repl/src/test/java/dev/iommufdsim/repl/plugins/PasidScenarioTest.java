package dev.iommufdsim.repl.plugins;

import static dev.iommufdsim.repl.plugins.TestPlugins.error;
import static dev.iommufdsim.repl.plugins.TestPlugins.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.RuntimeError;
import org.junit.jupiter.api.Test;

/**
 * PASID attach (VFIO_DEVICE_ATTACH_IOMMUFD_PT with a PASID) on the shipped drivers end to end,
 * with the real plugin jars: the driver's set_dev_pasid refusal reaches the script as one line
 * naming the PASID, the device and the HWPT, and a group is attached all or nothing
 * (__iommu_set_group_pasid()). The per-driver rules are in scripts/conformance/vendor.
 */
class PasidScenarioTest {
    private final Sim sim = TestPlugins.sim(TestPaths.pluginsDir());

    private void expectAll(String... lines) {
        ok(sim, String.join("\n", lines));
    }

    /** smmu0 with nic0 (8-bit PASIDs, CANWBS) and nic1 (8-bit PASIDs, no CANWBS) at bdf0 / bdf1, both extended by props. */
    private void smmuWithTwoNics(String bdf0, String bdf1, String props) {
        expectAll("iommu smmu0 = arm_smmuv3()",
                "device nic0 = pci(\"" + bdf0 + "\", iommu: smmu0, pasid_bits: 8" + props + ")",
                "device nic1 = pci(\"" + bdf1 + "\", iommu: smmu0, pasid_bits: 8, canwbs: false" + props + ")");
    }

    /** The call fails with errno, its reason one line (no stack trace) holding every part. */
    private void refused(String call, Errno errno, String... parts) {
        RuntimeError e = error(sim, call);
        assertEquals(errno, e.errno(), e.reason());
        String reason = e.reason();
        assertFalse(reason.contains("\n") || reason.contains("Exception") || reason.contains("\tat "), reason);
        for (String p : parts) {
            assertTrue(reason.contains(p), "'" + p + "' in: " + reason);
        }
    }

    /** arm_smmu_attach_prepare()'s CANWBS refusal, for a PASID: EINVAL, one line, nothing attached. */
    @Test
    void smmuv3RefusalNamesPasidDeviceAndHwpt() {
        smmuWithTwoNics("0000:01:00.0", "0000:02:00.0", "");
        expectAll("dev = vfio_bind(nic0)",
                "nc = vfio_bind(nic1)",
                "ioas = ioas_alloc()",
                "h = hwpt_alloc(dev, ioas, flags: ALLOC_PASID)",
                "expect h == 4");
        refused("vfio_attach(nc, h, pasid: 1)", Errno.EINVAL, "pasid 1 of nic1 -> hwpt 4", "CANWBS");
        expectAll("own = hwpt_alloc(nc, ioas, flags: ALLOC_PASID)",
                "expect vfio_attach(nc, own, pasid: 1) == own",
                "expect info(nc).pasids == [{pasid: 1, hwpt: own}]");
    }

    /**
     * A group of two PASID-capable devices: set_dev_pasid on each; when the second refuses,
     * the first is undone and the errno names the device that refused, though the call was
     * made for the other.
     */
    @Test
    void groupIsAttachedAllOrNothing() {
        smmuWithTwoNics("0000:01:00.0", "0000:01:00.1", ", group: \"g\"");
        expectAll("dev = vfio_bind(nic0)",
                "ioas = ioas_alloc()",
                "h = hwpt_alloc(dev, ioas, flags: ALLOC_PASID)");
        refused("vfio_attach(dev, h, pasid: 3)", Errno.EINVAL, "pasid 3 of nic1 -> hwpt");
        expectAll("nc = vfio_bind(nic1)",
                "plain = hwpt_alloc(nc, ioas, flags: ALLOC_PASID)",
                "expect vfio_attach(dev, plain, pasid: 3) == plain",
                "expect info(dev).pasids == [{pasid: 3, hwpt: plain}]");
    }

    /** intel_nested_set_dev_pasid(): the stage-1 check against the device's unit; a failed replace keeps the old HWPT. */
    @Test
    void vtdNestedReplaceRefusedKeepsTheOldHwpt() {
        expectAll("iommu dmar0 = intel_vtd()",
                "device nic0 = pci(\"0000:03:00.0\", iommu: dmar0, pasid_bits: 20)",
                "dev = vfio_bind(nic0)",
                "ioas = ioas_alloc()",
                "s2 = hwpt_alloc(dev, ioas, flags: NEST_PARENT)",
                "good = hwpt_alloc(dev_id: dev, pt_id: s2, data: vtd_s1(pgtbl_addr: 0x1000), flags: ALLOC_PASID)",
                "wide = hwpt_alloc(dev_id: dev, pt_id: s2, data: vtd_s1(pgtbl_addr: 0x1000, addr_width: 57), flags: ALLOC_PASID)",
                "expect wide == 5",
                "expect vfio_attach(dev, good, pasid: 9) == good");
        refused("vfio_attach(dev, wide, pasid: 9)", Errno.EINVAL, "pasid 9 of nic0 -> hwpt 5", "FL5LP");
        expectAll("expect info(dev).pasids == [{pasid: 9, hwpt: good}]");
    }
}
