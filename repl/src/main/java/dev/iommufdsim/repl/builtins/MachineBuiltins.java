package dev.iommufdsim.repl.builtins;

import static dev.iommufdsim.kernel.uapi.Errno.EAGAIN;
import static dev.iommufdsim.kernel.uapi.Errno.EBADF;
import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;

import dev.iommufdsim.kernel.DeviceDma;
import dev.iommufdsim.kernel.IommuInstanceHandle;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Session;
import dev.iommufdsim.repl.interp.Builtin;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Record;
import dev.iommufdsim.repl.interp.ScriptError;
import dev.iommufdsim.repl.interp.Values;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The machine declarations (not uAPI): IOMMU instances from the loaded drivers, PCI and
 * platform devices on them, a declared device's DMA (dma_write, dma_read), plus `plugins` and the
 * context calls open/use/close (the opens of /dev/iommu a process makes).
 */
public final class MachineBuiltins {
    private MachineBuiltins() {
    }

    /** "  TITLE:\n    name: line" per entry, or "" when there is none: help's notes. */
    private static String described(String title, Map<String, String> entries) {
        if (entries.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("  ").append(title).append(":\n");
        entries.forEach((k, v) -> sb.append("    ").append(k).append(": ").append(v).append('\n'));
        return sb.toString();
    }

    public static void register(BuiltinTable t, Machine machine) {
        StringBuilder byDriver = new StringBuilder();
        for (String driverName : machine.driverNames()) {
            byDriver.append(described("behind " + driverName, machine.driver(driverName).deviceProperties()));
        }
        for (String driverName : machine.driverNames()) {
            IommuDriver d = machine.driver(driverName);
            Row.of(driverName, "declare an IOMMU instance of the " + driverName + " driver: " + d.description()
                            + " (named options are the driver's instance options)")
                    .kind(Builtin.Kind.IOMMU)
                    .notes(described("instance options", d.options()) + described("device properties it reads", d.deviceProperties()))
                    .extraNamed()
                    .errnos(EINVAL, EEXIST)
                    .onSession(t, (s, a, declared) -> iommuRecord(s.machine().declareIommu(declared, driverName, plain(a.extra()))));
        }
        Row.of("pci", "declare a PCI device behind an IOMMU instance (named options are device properties for the driver)")
                .kind(Builtin.Kind.DEVICE)
                .req("bdf", "segment:bus:device.function, e.g. \"0000:01:00.0\"")
                .req("iommu", "the IOMMU instance it sits behind")
                .opt("group", "name a group shared with other devices (default: a group of its own)")
                .notes(byDriver.toString())
                .extraNamed()
                .errnos(EEXIST, ENOENT)
                .onSession(t, (s, a, declared) -> declareDevice(s, declared, a, a.string("bdf")));
        Row.of("platform", "declare a platform (non-PCI) device behind an IOMMU instance")
                .kind(Builtin.Kind.DEVICE)
                .req("iommu", "the IOMMU instance it sits behind")
                .opt("group", "name a group shared with other devices (default: a group of its own)")
                .notes(byDriver.toString())
                .extraNamed()
                .errnos(EEXIST, ENOENT)
                .onSession(t, (s, a, declared) -> declareDevice(s, declared, a, null));
        dma(t, "dma_write", true, "play the device's DMA write of [iova, iova+length) (not uAPI): it goes through the domain its RID"
                + " (or pasid) is attached to, whose driver marks the IOPTEs written dirty as its hardware would (SMMUv3 HTTU, VT-d"
                + " while tracking is on, the mock's set_dirty)");
        dma(t, "dma_read", false, "play the device's DMA read of [iova, iova+length) (not uAPI): it needs every byte mapped"
                + " readable in the domain its RID (or pasid) is attached to");
        Row.of("plugins", "the driver plugins found: id, version, state, drivers and any load error")
                .onSession(t, (s, a, d) -> plugins(s.plugins()));
        Row.of("open", "open /dev/iommu again: a new iommufd context, which becomes current; returns its number")
                .opt("profile", "the kernel behaviour of this context: \"mainline\", \"v6.7\" or \"seed\" (default: the run's)")
                .onSession(t, (s, a, d) -> (long) (a.has("profile") ? s.open(profile(a.string("profile"))) : s.open()).number());
        Row.of("profile", "the kernel-behaviour profile of the current context")
                .onSession(t, (s, a, d) -> s.ctx().profile().userName());
        Row.of("use", "make context n current")
                .req("ctx", "the context number open() returned")
                .errnos(EBADF)
                .onSession(t, (s, a, d) -> {
                    s.use(a.u32("ctx"));
                    return null;
                });
        Row.of("close", "close context n (default: the current one): every object in it is destroyed")
                .opt("ctx", 0L, "the context number (0: the current one)")
                .errnos(EBADF)
                .onSession(t, (s, a, d) -> {
                    s.close(a.u32("ctx"));
                    return null;
                });
    }

    /** dma_write / dma_read: one row each, the same rules but for the permission a write needs. */
    private static void dma(BuiltinTable t, String name, boolean write, String what) {
        Row.of(name, what + "; a DMA fault (not attached, unmapped" + (write ? ", read-only" : "") + ") is EFAULT, or, through a"
                        + " HWPT with a fault queue whose driver reports I/O page faults, EAGAIN once the page requests are queued"
                        + " (read them with fault_read, answer with fault_respond, call again); under a vIOMMU the driver may"
                        + " also report it as a vEVENT (veventq_read), as SMMUv3 does C_BAD_SUBSTREAMID")
                .req("device", "a device declared with `device NAME = ...`")
                .req("iova", "the first IOVA " + (write ? "written" : "read")
                        + " (through a nested HWPT: the stage-2 input, i.e. the guest physical address)")
                .req("length", "bytes " + (write ? "written" : "read"))
                .opt("pasid", 0L, "the PASID the DMA carries (0: IOMMU_NO_PASID, the RID)")
                // only a write reaches the driver's dmaWrite, whose EOPNOTSUPP says it cannot emulate DMA
                .errnos(write ? new Errno[] {EFAULT, EAGAIN, EINVAL, EOVERFLOW, EOPNOTSUPP}
                        : new Errno[] {EFAULT, EAGAIN, EINVAL, EOVERFLOW})
                .onSession(t, (s, a, d) -> {
                    DeviceDma.access(device(s, a.raw("device")), a.u64("iova"), a.u64("length"), a.u32("pasid"), write);
                    return null;
                });
    }

    static dev.iommufdsim.kernel.KernelProfile profile(String name) {
        dev.iommufdsim.kernel.KernelProfile p = dev.iommufdsim.kernel.KernelProfile.byName(name);
        if (p == null) {
            throw new ScriptError("unknown profile \"" + name + "\" (known: mainline, v6.7, seed)");
        }
        return p;
    }

    private static Record iommuRecord(IommuInstanceHandle h) {
        return Record.of("iommu", "name", h.name(), "driver", h.driverName());
    }

    private static Object declareDevice(Session s, String declared, Args a, String bdf) {
        if (declared == null) {
            throw new ScriptError("declare devices as `device NAME = ...(...)`");
        }
        String iommu = name(a.raw("iommu"), "iommu");
        String group = a.has("group") ? Values.str(a.raw("group")) : null;
        PhysDevice d = s.machine().declareDevice(declared, iommu, bdf, group, plain(a.extra()));
        return deviceRecord(d);
    }

    static Record deviceRecord(PhysDevice d) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("name", d.name());
        if (d.info().bdf() != null) {
            f.put("bdf", d.info().bdf());
        }
        f.put("iommu", d.iommu().name());
        f.put("group", (long) d.group().id());
        return new Record("device", f);
    }

    /** A device argument: the record a declaration returned, or the device's name. */
    static PhysDevice device(Session s, Object v) {
        return s.machine().device(name(v, "device"));
    }

    private static String name(Object v, String what) {
        if (v instanceof Record r && r.field("name") instanceof String n) {
            return n;
        }
        if (v instanceof String str) {
            return str;
        }
        throw new ScriptError(what + " must be a declared " + what + " (or its name), got " + Values.describe(v));
    }

    /** Script values to plain Java for drivers: Long, String, Boolean, List, Map. */
    static Map<String, Object> plain(Record r) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : r.fields().entrySet()) {
            out.put(e.getKey(), plainValue(e.getValue()));
        }
        return out;
    }

    private static Object plainValue(Object v) {
        if (v instanceof Record r) {
            return plain(r);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(plainValue(o));
            }
            return out;
        }
        if (v instanceof dev.iommufdsim.repl.interp.Range r) {
            return Map.of("start", r.start(), "length", r.last() - r.start() + 1);
        }
        return v;
    }

    public static List<Object> plugins(PluginHost host) {
        List<Object> out = new ArrayList<>();
        for (PluginHost.LoadedPlugin p : host.plugins()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("id", p.id());
            f.put("version", p.version());
            f.put("state", p.state());
            f.put("drivers", List.copyOf(p.drivers()));
            if (p.error() != null) {
                f.put("error", p.error());
            }
            out.add(new Record("plugin", f));
        }
        return List.copyOf(out);
    }
}
