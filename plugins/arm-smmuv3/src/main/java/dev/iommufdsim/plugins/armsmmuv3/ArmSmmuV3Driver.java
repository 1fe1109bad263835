package dev.iommufdsim.plugins.armsmmuv3;

import dev.iommufdsim.kernel.spi.DriverOptions;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.spi.IommuInstance;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pf4j.Extension;

/**
 * ARM SMMUv3 (drivers/iommu/arm/arm-smmu-v3/ of Linux 7.2): probe turns a declaration into
 * one SMMU ({@link ArmSmmuV3Instance}).
 *
 * <p>Instance options (all optional):
 * <ul>
 * <li>{@code msi_base}, {@code msi_length}: the SW_MSI window (MSI_IOVA_BASE 0x8000000,
 *     MSI_IOVA_LENGTH 0x100000). The kernel hard-codes them; a platform whose RAM sits
 *     there is what the option is for.</li>
 * <li>{@code granule}: the host's PAGE_SIZE, which io-pgtable-arm uses to pick the one granule
 *     a domain gets (4K, 16K or 64K; default 4K).</li>
 * <li>{@code va_bits}: the host CPU's VA_BITS, the cap of stage-1 input addresses (default 48).</li>
 * <li>{@code oas}: output address size in bits, i.e. IDR5.OAS (default 48); stage-2 domains
 *     (nesting parents) take it as their input size.</li>
 * <li>{@code nesting}: whether IDR0 has S2P next to S1P, which gives ARM_SMMU_FEAT_NESTING
 *     (default true).</li>
 * <li>{@code s2fwb}: IDR3.FWB (default false).</li>
 * <li>{@code httu}: IDR0.HTTU = access and dirty flag update (default false):
 *     with a coherent SMMU this gives ARM_SMMU_FEAT_HD, so devices can have dirty tracking.</li>
 * <li>{@code stall}: IDR0.STALL_MODEL = 0b00, stall supported (default false: 0b01, terminate
 *     only), so a platform device with {@code dma_can_stall} gets stall_enabled and its
 *     translation faults become I/O page faults ({@link SmmuStall}).</li>
 * <li>{@code model}: {@code "hisilicon-hi161x"} applies the IORT HiSilicon Hi161x quirk: each ITS
 *     of the device's ITS group adds [its_base + 64K, +64K) as a hardware MSI region (vendor
 *     policies 2.1), so the device reports MSI and SW_MSI and iommufd refuses it.</li>
 * <li>{@code msi_region}: how the MSI doorbell is described — "sw_msi" (the SW_MSI window, as
 *     mainline), "direct" or "direct_relaxable" (the ITS translation frame as a 1:1 region,
 *     the alternative the 2023 nesting review weighed).</li>
 * <li>{@code its_base}: the GICv3 ITS base address(es) of the device's ITS group (a number or a
 *     list; default 0x8080000, where QEMU's virt machine puts its ITS). The MSI doorbell is
 *     GITS_TRANSLATER = its_base + 0x10040 (page 0x8090000 by default).</li>
 * <li>{@code idr0} .. {@code idr5}, {@code iidr}, {@code aidr}: any ID register, overriding the
 *     default built from the options above ({@link SmmuRegs#defaults}).</li>
 * <li>{@code rmr}: IORT RMR descriptors of the platform, each with the {@code sids} it applies to
 *     ({@link IortRmr}).</li>
 * </ul>
 * Device properties: {@code rmr} (RMR descriptors for this device), {@code sids} or {@code sid}
 * (stream IDs; default the PCI requester ID bus << 8 | devfn, or 0 for a platform device),
 * {@code ats} (the device and its root complex support ATS; default false), {@code canwbs}
 * (IORT memory-access flag CANWBS: the device is fully coherent; default true),
 * {@code pasid_bits} (PASID capability width; default 0), {@code dma_can_stall} (the firmware's
 * "dma-can-stall" property; default false).
 *
 * <p>Dirty tracking (arm_smmu_dirty_ops): with {@code httu: true} a device can have a stage-1
 * domain with DIRTY_TRACKING, whose io-pgtable leaves are kept; SET_DIRTY_TRACKING always
 * succeeds, a writable leaf is dirty from its map (DBM without AP_RDONLY) until read, every
 * {@code dma_write} to a writable leaf marks it dirty (HTTU, tracking enabled or not), and
 * GET_DIRTY_BITMAP reports each dirty leaf with its whole block size.
 *
 * <p>PASID attach (arm_smmu_s1_set_dev_pasid): a device with {@code pasid_bits} has
 * max_pasids = min(2^pasid_bits, 2^IDR1.SSIDSIZE); a PASID takes a stage-1 domain of the same
 * SMMU (a CD in the master's CD table), never a stage-2 or nested one, and a coherency-enforcing
 * domain refuses a device without CANWBS, as for the RID.
 */
@Extension
public class ArmSmmuV3Driver implements IommuDriver {
    /** MSI_IOVA_BASE / MSI_IOVA_LENGTH (arm-smmu-v3.h). */
    public static final long MSI_IOVA_BASE = 0x08000000L;
    public static final long MSI_IOVA_LENGTH = 0x100000L;
    /** QEMU virt's VIRT_GIC_ITS base, and GITS_TRANSLATER's offset: the second 64 KiB frame + 0x40. */
    public static final long DEFAULT_ITS_BASE = 0x08080000L;
    public static final long GITS_TRANSLATER_OFFSET = 0x10040L;
    public static final String MODEL_HISILICON_HI161X = "hisilicon-hi161x";

    /** The instance options with a line each (the class comment has the details); probe accepts exactly these. */
    static final Map<String, String> OPTION_HELP = DriverOptions.described(
            "msi_base", "start of the SW_MSI window (MSI_IOVA_BASE, default 0x8000000)",
            "msi_length", "length of the SW_MSI window (MSI_IOVA_LENGTH, default 1M)",
            "msi_region", "how the MSI doorbell is described: \"sw_msi\" (default), \"direct\" or \"direct_relaxable\"",
            "its_base", "GICv3 ITS base address(es) of the device's ITS group (default 0x8080000)",
            "granule", "the host PAGE_SIZE io-pgtable-arm picks the granule from: 4K (default), 16K or 64K",
            "va_bits", "the host's VA_BITS, the cap of stage-1 input addresses (default 48)",
            "oas", "output address size in bits, IDR5.OAS (default 48)",
            "nesting", "IDR0 has S1P and S2P, so nesting parents and vSMMUs (default true)",
            "s2fwb", "IDR3.FWB (default false)",
            "httu", "IDR0.HTTU access+dirty: stage-1 domains with dirty tracking (default false)",
            "stall", "IDR0.STALL_MODEL stall supported: dma_can_stall devices get I/O page faults (default false)",
            "model", "\"hisilicon-hi161x\" applies that IORT quirk (hardware MSI regions from the ITS)",
            "rmr", "IORT RMR descriptors, each with the sids it applies to",
            "idr0", "raw IDR0, overriding the value the options above build (also idr1..idr5, iidr, aidr)",
            "idr1", "raw IDR1 (SSIDSIZE, SIDSIZE, ...)",
            "idr2", "raw IDR2",
            "idr3", "raw IDR3",
            "idr4", "raw IDR4",
            "idr5", "raw IDR5 (OAS, granules, VAX)",
            "iidr", "raw IIDR",
            "aidr", "raw AIDR");
    static final Set<String> OPTIONS = OPTION_HELP.keySet();

    @Override
    public String name() {
        return "arm_smmuv3";
    }

    @Override
    public String description() {
        return "ARM SMMUv3 (SW_MSI window, IORT RMRs, stage-2 nesting parents, vSMMU with guest STEs)";
    }

    @Override
    public Map<String, String> options() {
        return OPTION_HELP;
    }

    @Override
    public Map<String, String> deviceProperties() {
        return DriverOptions.described(
                "sids", "stream IDs (or sid: one); default the PCI requester ID, or 0 for a platform device",
                "rmr", "IORT RMR descriptors for this device",
                "ats", "the device and its root complex support ATS (default false)",
                "canwbs", "IORT CANWBS: the device is fully coherent (default true)",
                "pasid_bits", "PASID capability width: max_pasids = min(2^pasid_bits, 2^IDR1.SSIDSIZE) (default 0)",
                "dma_can_stall", "the firmware's dma-can-stall: with stall, DMA faults become I/O page faults (default false)");
    }

    /** arm_smmu_device_probe() with arm_smmu_device_hw_probe(): see the class comment for the options. */
    @Override
    public IommuInstance probe(String instanceName, Map<String, Object> properties) {
        String what = "arm_smmuv3 instance " + instanceName;
        DriverOptions o = new DriverOptions(what, properties, OPTIONS);
        SmmuRegs d = SmmuRegs.defaults(o.bool("nesting", true), o.bool("s2fwb", false), o.number("oas", 48));
        int[] idr = d.idr().clone();
        if (o.bool("httu", false)) {
            idr[0] |= SmmuRegs.IDR0_HTTU_ACCESS_DIRTY << SmmuRegs.IDR0_HTTU_SHIFT;
        }
        if (o.bool("stall", false)) {
            idr[0] &= ~(3 << SmmuRegs.IDR0_STALL_MODEL_SHIFT); // IDR0_STALL_MODEL_STALL
        }
        for (int i = 0; i < 6; i++) {
            idr[i] = (int) o.number("idr" + i, Integer.toUnsignedLong(idr[i]));
        }
        SmmuRegs regs = new SmmuRegs(idr, (int) o.number("iidr", Integer.toUnsignedLong(d.iidr())),
                (int) o.number("aidr", Integer.toUnsignedLong(d.aidr())));
        long granule = o.number("granule", 4096);
        if (granule != 4096 && granule != 16384 && granule != 65536) {
            throw fail(EINVAL, "%s: granule (the host PAGE_SIZE) must be 4K, 16K or 64K, not 0x%x", what, granule);
        }
        long vaBits = o.number("va_bits", 48);
        if (vaBits < 36 || vaBits > 52) {
            throw fail(EINVAL, "%s: va_bits must be 36..52, not %d", what, vaBits);
        }
        String model = o.string("model", "generic");
        if (!model.equals("generic") && !model.equals(MODEL_HISILICON_HI161X)) {
            throw fail(EINVAL, "%s: model must be \"generic\" or \"%s\", not \"%s\"", what, MODEL_HISILICON_HI161X, model);
        }
        List<Long> its = o.numbers("its_base", List.of(DEFAULT_ITS_BASE));
        if (its.isEmpty()) {
            throw fail(EINVAL, "%s: its_base needs at least one ITS", what);
        }
        List<IortRmr> rmrs = new java.util.ArrayList<>();
        List<Map<String, Object>> recs = o.records("rmr");
        for (int i = 0; i < recs.size(); i++) {
            rmrs.add(IortRmr.parse(recs.get(i), instanceName + " IORT RMR " + i));
        }
        String msiRegion = o.string("msi_region", "sw_msi");
        ResvType msiType = switch (msiRegion) {
            case "sw_msi" -> ResvType.SW_MSI;
            case "direct" -> ResvType.DIRECT;
            case "direct_relaxable" -> ResvType.DIRECT_RELAXABLE;
            default -> throw fail(EINVAL, "%s: msi_region must be \"sw_msi\", \"direct\" or \"direct_relaxable\", not \"%s\"", what, msiRegion);
        };
        return new ArmSmmuV3Instance(this, instanceName, regs, o.number("msi_base", MSI_IOVA_BASE), o.number("msi_length", MSI_IOVA_LENGTH),
                granule, (int) vaBits, model.equals(MODEL_HISILICON_HI161X), its, rmrs, msiType);
    }
}
