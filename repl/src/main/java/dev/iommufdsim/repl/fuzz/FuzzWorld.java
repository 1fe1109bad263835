package dev.iommufdsim.repl.fuzz;

import static dev.iommufdsim.kernel.uapi.Uapi.VFIO_DEVICE_ATTACH_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.VFIO_DEVICE_DETACH_PASID;

import dev.iommufdsim.kernel.DeviceDma;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.repl.builtins.UapiBuiltins;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Session;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EvalResult;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The machine a fuzz sequence runs on: a simulator whose script declared IOMMU instances of
 * every shipped driver and devices with reserved regions (SW_MSI windows, IORT RMRs direct and
 * relaxable, RMRRs, the x86 MSI window, a two-device group, PASID-capable devices), an SMMU
 * with hardware dirty tracking (HTTU) and a VT-d unit without snoop control (ECAP.SC clear),
 * plus the selftest's mock devices that mock_domain creates. {@link #apply} runs one {@link Op} on it
 * exactly as the built-in of the same name would.
 */
public final class FuzzWorld {
    /** Declarations of the shipped drivers' instances and devices (the script's preamble). */
    static final String PREAMBLE = """
            iommu smmu0 = arm_smmuv3()
            iommu smmu1 = arm_smmuv3(msi_base: 0x10000000, rmr: [{start: 0x30000000, length: 0x10000, remap_permitted: true, sids: [0x300]}])
            iommu vtd0 = intel_vtd()
            iommu smmu2 = arm_smmuv3(httu: true)
            iommu vtd1 = intel_vtd(ecap_reg: 0x3ef9ea6f0505f)
            device nic0 = pci("0000:01:00.0", iommu: smmu0, pasid_bits: 8)
            device nic1 = pci("0000:02:00.0", iommu: smmu0, group: "g2")
            device nic2 = pci("0000:02:00.1", iommu: smmu0, group: "g2")
            device gpu0 = pci("0000:03:00.0", iommu: smmu1, sids: [0x300])
            device dma0 = pci("0000:03:00.1", iommu: smmu1, rmr: [{start: 0x40000000, length: 0x10000}])
            device ssd0 = pci("0000:04:00.0", iommu: vtd0, pasid_bits: 8, pri: true)
            device usb0 = pci("0000:00:14.0", iommu: vtd0, class: 0x0c0330, rmrr: [0xe0000..0xfffff])
            device fpga0 = pci("0000:05:00.0", iommu: vtd0, rmrr: [0x7f000000..0x7f0fffff])
            device nic3 = pci("0000:07:00.0", iommu: smmu2)
            device ssd1 = pci("0000:08:00.0", iommu: vtd1)
            """;
    /** Added when the template plugin (the ACME IOMMU) is loaded. */
    static final String PREAMBLE_ACME = """
            iommu acme0 = acme_iommu(aperture_bits: 40)
            device acc0 = pci("0000:06:00.0", iommu: acme0)
            """;

    private final Sim sim;
    private final String preamble;

    /** The parsed preambles (parsing once saves most of a world's set-up). */
    private static final java.util.Map<String, dev.iommufdsim.dsl.Script> PARSED = new java.util.concurrent.ConcurrentHashMap<>();

    public FuzzWorld(PluginHost plugins) {
        this.sim = Sim.create(plugins, KernelProfile.MAINLINE);
        this.preamble = PREAMBLE + (sim.session().machine().driverNames().contains("acme_iommu") ? PREAMBLE_ACME : "");
        EvalResult r = sim.engine().run(PARSED.computeIfAbsent(preamble, t -> dev.iommufdsim.dsl.ScriptParser.parse(t, "preamble.sim")));
        if (!r.ok()) {
            throw new IllegalStateException("the fuzz preamble does not run: " + r.diagnostics() + " " + r.error());
        }
    }

    public String preamble() {
        return preamble;
    }

    public Session session() {
        return sim.session();
    }

    public Machine machine() {
        return sim.session().machine();
    }

    public List<IommufdCtx> contexts() {
        return machine().contexts();
    }

    IommufdCtx ctx(int n) {
        for (IommufdCtx c : machine().contexts()) {
            if (c.number() == n) {
                return c;
            }
        }
        return null;
    }

    /** Whether the op can run: its context is open (ops of a context a shrunk sequence never opened are skipped). */
    boolean runnable(Op op) {
        if (op.call.equals("open")) {
            return true;
        }
        return ctx(op.ctx) != null;
    }

    /** Runs the op; returns what the built-in returns (its Java value), throws the kernel's exception. */
    Object apply(Op op) {
        Session s = sim.session();
        if (op.call.equals("open")) {
            return s.open(KernelProfile.byName(((Op.Str) op.args.get("profile")).value())).number();
        }
        if (op.call.equals("close")) {
            s.close(op.u32("ctx"));
            return null;
        }
        IommufdCtx c = s.use(op.ctx);
        switch (op.call) {
            case "ioas_alloc":
                return c.ioasAlloc(op.u32("flags"));
            case "ioas_map":
                return c.ioasMap(op.u32("ioas_id"), op.u32("flags"), op.u64("user_va"), op.u64("length"), op.u64("iova"),
                        op.u32("__reserved"));
            case "ioas_unmap":
                return c.ioasUnmap(op.u32("ioas_id"), op.u64("iova"), op.u64("length"));
            case "ioas_copy":
                return c.ioasCopy(op.u32("flags"), op.u32("dst_ioas_id"), op.u32("src_ioas_id"), op.u64("length"), op.u64("dst_iova"),
                        op.u64("src_iova"));
            case "ioas_iova_ranges":
                return c.ioasIovaRanges(op.u32("ioas_id"), op.u64("num_iovas") & 0xffffffffL, op.u32("__reserved"));
            case "ioas_allow_iovas": {
                List<IovaRange> ranges = new ArrayList<>();
                for (Object o : op.list("allowed_iovas")) {
                    Op.Rng r = (Op.Rng) o;
                    ranges.add(new IovaRange(r.start(), r.last()));
                }
                c.ioasAllowIovas(op.u32("ioas_id"), ranges, op.u32("__reserved"));
                return null;
            }
            case "option":
                return c.option(op.u32("option_id"), op.u32("op"), op.u32("object_id"), op.u64("val64"), op.u32("__reserved"));
            case "destroy":
                c.destroy(op.u32("id"));
                return null;
            case "hwpt_alloc":
                return c.hwptAlloc(op.u32("flags"), op.u32("dev_id"), op.u32("pt_id"), op.u32("data_type"),
                        op.has("data") ? words(op.list("data")) : null, op.u32("fault_id"), op.u32("__reserved"));
            case "get_hw_info":
                return c.getHwInfo(op.u32("flags"), op.u32("dev_id"), op.u64("data_len"), op.u32("in_data_type"), null);
            case "vfio_bind": {
                PhysDevice d = machine().device(((Op.Ident) op.args.get("device")).name());
                return c.vfioDeviceBind(d, op.u32("flags"));
            }
            case "vfio_attach":
                return c.vfioDeviceAttach(op.u32("dev_id"), op.has("pasid") ? VFIO_DEVICE_ATTACH_PASID : 0, op.u32("pt_id"),
                        op.has("pasid") ? op.u32("pasid") : 0);
            case "vfio_detach":
                c.vfioDeviceDetach(op.u32("dev_id"), op.has("pasid") ? VFIO_DEVICE_DETACH_PASID : 0, op.has("pasid") ? op.u32("pasid") : 0);
                return null;
            case "vfio_close":
                c.vfioDeviceClose(op.u32("dev_id"));
                return null;
            case "mock_domain":
                return c.selftest().mockDomain(op.u32("pt_id"), op.u32("dev_flags"));
            case "mock_domain_replace":
                return c.selftest().mockDomainReplace(op.u32("stdev_id"), op.u32("pt_id"));
            case "add_reserved":
                c.selftest().addReserved(op.u32("ioas_id"), op.u64("start"), op.u64("length"));
                return null;
            case "viommu_alloc":
                return c.viommuAlloc(op.u32("flags"), op.u32("type"), op.u32("dev_id"), op.u32("hwpt_id"),
                        op.has("data") ? words(op.list("data")) : null);
            case "vdevice_alloc":
                return c.vdeviceAlloc(op.u32("viommu_id"), op.u32("dev_id"), op.u64("virt_id"));
            case "hwpt_invalidate": {
                int entryLen = op.u32("entry_len");
                List<byte[]> entries = new ArrayList<>();
                for (Object e : op.list("entries")) {
                    @SuppressWarnings("unchecked")
                    List<Object> w = (List<Object>) e;
                    entries.add(Arrays.copyOf(words(w), entryLen));
                }
                boolean nullUptr = op.has("data_uptr") && op.u64("data_uptr") == 0;
                return c.hwptInvalidate(op.u32("hwpt_id"), op.u32("data_type"), entryLen, entries, nullUptr, op.u32("__reserved"));
            }
            case "fault_queue_alloc":
                return c.faultQueueAlloc(op.u32("flags"));
            case "veventq_alloc":
                return c.veventqAlloc(op.u32("flags"), op.u32("viommu_id"), op.u32("type"), op.u64("veventq_depth"), op.u32("__reserved"));
            case "msi_request":
                return c.msiRequest(op.u32("dev_id"), op.has("msi_addr") ? op.u64("msi_addr") : -1);
            case "hwpt_set_dirty_tracking":
                c.hwptSetDirtyTracking(op.u32("flags"), op.u32("hwpt_id"));
                return null;
            case "hwpt_get_dirty_bitmap":
                c.hwptGetDirtyBitmap(op.u32("hwpt_id"), op.u32("flags"), 0, op.u64("iova"), op.u64("length"), op.u64("page_size"),
                        UapiBuiltins.DEFAULT_USER_VA);
                return null;
            case "pasid_attach":
                return c.selftest().pasidAttach(op.u32("stdev_id"), op.u32("pasid"), op.u32("pt_id"));
            case "pasid_replace":
                return c.selftest().pasidReplace(op.u32("stdev_id"), op.u32("pasid"), op.u32("pt_id"));
            case "pasid_detach":
                c.selftest().pasidDetach(op.u32("stdev_id"), op.u32("pasid"));
                return null;
            case "vfio_ioas":
                return c.vfioIoas(op.u32("op"), op.u32("ioas_id"), 0);
            case "trigger_iopf":
                c.selftest().triggerIopf(op.u32("dev_id"), op.u32("pasid"), op.u32("grpid"), op.u32("perm"), op.u64("addr"));
                return null;
            case "trigger_vevent":
                c.selftest().triggerVevent(op.u32("dev_id"));
                return null;
            case "dma_write":
                DeviceDma.write(machine().device(((Op.Ident) op.args.get("device")).name()), op.u64("iova"), op.u64("length"));
                return null;
            case "hw_queue_alloc":
                return c.hwQueueAlloc(0, op.u32("viommu_id"), op.u32("type"), op.u32("index"), op.u64("nesting_parent_iova"),
                        op.u64("length"));
            default:
                throw new IllegalArgumentException("no such fuzz call " + op.call);
        }
    }

    /** u32 words, little-endian, as the built-ins pack data lists. */
    static byte[] words(List<Object> list) {
        ByteBuffer b = ByteBuffer.allocate(list.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (Object o : list) {
            b.putInt((int) (long) (Long) o);
        }
        return b.array();
    }

    /** A sequence as a script runnable with `iommufd-sim run`: the preamble, then each call (failures as expectations). */
    String script(List<Op> ops, String header) {
        StringBuilder sb = new StringBuilder();
        for (String line : header.split("\n")) {
            sb.append("# ").append(line).append('\n');
        }
        sb.append(preamble);
        int current = 0;
        for (Op op : ops) {
            if (op.skipped) {
                continue;
            }
            if (op.call.equals("open")) {
                sb.append(op.toScript()).append("   # ctx ").append(op.ctx).append('\n');
                current = op.ctx;
                continue;
            }
            if (op.call.equals("close")) {
                sb.append(op.toScript()).append('\n');
                if (op.u32("ctx") == current) {
                    current = 0;
                }
                continue;
            }
            if (op.ctx != current) {
                sb.append("use(").append(op.ctx).append(")\n");
                current = op.ctx;
            }
            sb.append(op.errno == null ? op.toScript() : "expect " + op.toScript() + " fails " + op.errno.name()).append('\n');
        }
        return sb.toString();
    }
}
