package dev.iommufdsim.plugins.intelvtd;

import dev.iommufdsim.kernel.spi.DriverOptions;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import java.util.Map;
import java.util.Set;
import org.pf4j.Extension;

/**
 * Intel VT-d (drivers/iommu/intel/ of Linux 7.2): probe turns a declaration into one DMAR unit
 * ({@link IntelVtdInstance}).
 *
 * <p>Instance options (all optional): {@code cap_reg}, {@code ecap_reg} (the raw capability
 * registers, overriding the defaults of {@link VtdRegs}); {@code gaw} (the MGAW of the default
 * CAP_REG, default 48); {@code five_level} (FL5LP and a 5-level SAGAW in the default CAP_REG,
 * default false); {@code nesting} (ECAP.NEST in the default ECAP_REG, default true);
 * {@code sm_on} (intel_iommu=sm_on, CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON, default true).
 *
 * <p>Device properties: {@code rmrr} (RMRRs whose device scope holds the device: records
 * {start, length} or ranges), {@code class} (the PCI class code: 0x0c03xx USB and 0x03xxxx
 * display make RMRRs relaxable, 0x0601xx ISA bridge adds the floppy range), {@code ats} (the
 * PCI device has ATS; default true), {@code pasid_bits} (PASID capability width; default 0),
 * {@code pri} (the PCI device has PRI, so with ATS its DMA faults become page requests through a
 * HWPT with a fault object, {@link VtdPri}; default false).
 *
 * <p>With scalable mode and ECAP.FLTS (the defaults) a paging domain without flags is a
 * first-stage table, whose aperture is the lower canonical half: [0, 2^47 - 1] with a 48-bit
 * MGAW. Nesting parents are second-stage tables: [0, 2^48 - 1].
 *
 * <p>Dirty tracking (intel_second_stage_dirty_ops): DIRTY_TRACKING gives a second-stage domain
 * (scalable mode with ECAP.SLADS) whose vtdss leaves are kept; SET_DIRTY_TRACKING sets SSADE
 * for its devices and, for a nesting parent, its nested domains' devices; a device's
 * {@code dma_write} sets the D bit of each leaf written only while it is set, and
 * GET_DIRTY_BITMAP reports each dirty leaf whole (4K, 2M or 1G).
 *
 * <p>PASID attach (intel_iommu_set_dev_pasid, intel_nested_set_dev_pasid): in scalable mode
 * with ECAP.PASID a device with {@code pasid_bits} has max_pasids = min(2^pasid_bits,
 * 2 << ECAP.PSS); first-stage, second-stage and nested domains (the latter allocated with
 * ALLOC_PASID) each take PASIDs after the same compatibility checks as a RID attach.
 */
@Extension
public class IntelVtdDriver implements IommuDriver {
    /** IOAPIC_RANGE_START / IOAPIC_RANGE_END. */
    public static final long IOAPIC_RANGE_START = IntelVtdInstance.IOAPIC_RANGE_START;
    public static final long IOAPIC_RANGE_END = IntelVtdInstance.IOAPIC_RANGE_END;

    /** The instance options with a line each (the class comment has the details); probe accepts exactly these. */
    static final Map<String, String> OPTION_HELP = DriverOptions.described(
            "sm_on", "scalable mode (intel_iommu=sm_on, the 7.2 default true): first-stage tables, PASIDs, nesting",
            "gaw", "MGAW of the default CAP_REG in bits (default 48)",
            "five_level", "FL5LP and a 5-level SAGAW in the default CAP_REG (default false)",
            "nesting", "ECAP.NEST in the default ECAP_REG (default true)",
            "cap_reg", "raw CAP_REG, overriding the default the options above build",
            "ecap_reg", "raw ECAP_REG (SC, SLADS, PRS, PSS, ...), overriding the default");
    static final Set<String> OPTIONS = OPTION_HELP.keySet();

    @Override
    public String name() {
        return "intel_vtd";
    }

    @Override
    public String description() {
        return "Intel VT-d (RMRRs, hardware MSI window 0xfee00000-0xfeefffff, first/second-stage tables, VT-d S1 nesting)";
    }

    @Override
    public Map<String, String> options() {
        return OPTION_HELP;
    }

    @Override
    public Map<String, String> deviceProperties() {
        return DriverOptions.described(
                "rmrr", "RMRRs whose device scope holds the device: records {start, length} or ranges",
                "class", "PCI class code: 0x0c03xx (USB) and 0x03xxxx (display) make RMRRs relaxable, 0x0601xx adds the floppy range",
                "ats", "the PCI device has ATS (default true)",
                "pasid_bits", "PASID capability width: max_pasids = min(2^pasid_bits, 2 << ECAP.PSS) (default 0)",
                "pri", "the PCI device has PRI: with ATS its DMA faults become page requests (default false)");
    }

    /** alloc_iommu() with the unit's registers: see the class comment for the options. */
    @Override
    public IommuInstance probe(String instanceName, Map<String, Object> properties) {
        String what = "intel_vtd instance " + instanceName;
        DriverOptions o = new DriverOptions(what, properties, OPTIONS);
        long gaw = o.number("gaw", 48);
        if (gaw < 32 || gaw > 64) {
            throw fail(EINVAL, "%s: gaw must be 32..64 bits, not %d", what, gaw);
        }
        long cap = o.number("cap_reg", VtdRegs.defaultCap(gaw, o.bool("five_level", false)));
        long ecap = o.number("ecap_reg", VtdRegs.defaultEcap(o.bool("nesting", true)));
        return new IntelVtdInstance(this, instanceName, new VtdRegs.Caps(cap, ecap, o.bool("sm_on", true)));
    }
}
