package dev.iommufdsim.repl.builtins;

import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;

import dev.iommufdsim.kernel.Area;
import dev.iommufdsim.kernel.HwPagetable;
import dev.iommufdsim.kernel.HwptPaging;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.IommufdDevice;
import dev.iommufdsim.kernel.IommufdObject;
import dev.iommufdsim.kernel.Ioas;
import dev.iommufdsim.kernel.IoPagetable;
import dev.iommufdsim.kernel.ObjType;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.ResvOwner;
import dev.iommufdsim.kernel.iopt.Interval;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.repl.host.Session;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Range;
import dev.iommufdsim.repl.interp.Record;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inspection (not uAPI): snapshots of the emulated state as records, which `show` renders
 * as tables and --json as objects. Reading never changes anything.
 */
public final class InspectBuiltins {
    private InspectBuiltins() {
    }

    public static void register(BuiltinTable t) {
        Row.of("info", "inspect an object of the current context by ID (IOAS, HWPT, device ...), or, with no ID,"
                        + " the context itself")
                .opt("id", "the object ID (none: the whole context)")
                .errnos(ENOENT)
                .onSession(t, (s, a, d) -> a.has("id") ? object(s.ctx(), a.id("id")) : context(s.ctx()));
        Row.of("regions", "a declared device's reserved regions as its IOMMU driver reports them (per device)")
                .req("device", "a declared device (or its name)")
                .onSession(t, (s, a, d) -> regions(MachineBuiltins.device(s, a.raw("device"))));
        Row.of("machine", "the declared IOMMU instances and devices")
                .onSession(t, (s, a, d) -> machine(s));
    }

    static Record context(IommufdCtx ctx) {
        List<Object> objs = new ArrayList<>();
        for (IommufdObject o : ctx.objectList()) {
            objs.add(Record.of("object", "id", (long) o.id(), "type", o.type().name(), "users", (long) o.users() - 1,
                    "what", summary(ctx, o)));
        }
        return Record.of("iommufd", "ctx", (long) ctx.number(), "objects", List.copyOf(objs));
    }

    private static String summary(IommufdCtx ctx, IommufdObject o) {
        if (o instanceof Ioas ioas) {
            return ioas.iopt().areaCount() + " areas, alignment " + hex(ioas.iopt().iovaAlignment());
        }
        if (o instanceof HwptPaging h) {
            return (h.isAutoDomain() ? "auto " : "") + (h.isNestParent() ? "nest-parent " : "") + "paging on IOAS " + h.ioas().id()
                    + " (" + h.owner().name() + ")";
        }
        if (o instanceof IommufdDevice d) {
            HwPagetable at = d.attachedHwpt();
            return d.physDevice().name() + (at == null ? ", detached" : ", attached to " + at.id());
        }
        if (o instanceof dev.iommufdsim.kernel.HwptNested n) {
            return "nested on hwpt " + n.parent().id() + (n.viommu() == null ? "" : " through vIOMMU " + n.viommu().id());
        }
        if (o instanceof dev.iommufdsim.kernel.IommufdViommu v) {
            return "vIOMMU type 0x" + Integer.toHexString(v.viommuType()) + " on hwpt " + v.parent().id() + " (" + v.iommu().name() + ")";
        }
        if (o instanceof dev.iommufdsim.kernel.IommufdVdevice v) {
            return "virt_id 0x" + Long.toHexString(v.virtId()) + " of dev " + v.device().id() + " in vIOMMU " + v.viommu().id();
        }
        if (o.type() == ObjType.SELFTEST) {
            return "selftest device, dev_id " + ctx.selftest().idevOf(o.id());
        }
        if (o instanceof dev.iommufdsim.kernel.IommufdFault f) {
            // what a VMM polling the fd would want to know: unread groups, cookies still owed an answer
            return "fault queue, fd " + f.fd() + ": " + f.pendingFaults() + " groups unread, cookies " + f.awaitingResponse()
                    + " awaiting a response, " + f.responsesSent() + " answered";
        }
        return "";
    }

    static Record object(IommufdCtx ctx, int id) {
        IommufdObject o = ctx.object(id);
        if (o == null) {
            throw IommufdException.fail(ENOENT, "no object with ID %d", id);
        }
        if (o instanceof Ioas ioas) {
            return ioas(ctx, ioas);
        }
        if (o instanceof HwptPaging h) {
            return hwpt(ctx, h);
        }
        if (o instanceof IommufdDevice d) {
            return device(d);
        }
        if (o instanceof dev.iommufdsim.kernel.HwptNested n) {
            List<Object> devs = new ArrayList<>();
            for (IommufdObject x : ctx.objectList()) {
                if (x instanceof IommufdDevice d && d.attachedHwpt() == n) {
                    devs.add((long) d.id());
                }
            }
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("id", (long) n.id());
            f.put("type", "HWPT_NESTED");
            f.put("parent", (long) n.parent().id());
            f.put("viommu", n.viommu() == null ? (Object) "none" : (Object) (long) n.viommu().id());
            f.put("iommu", n.owner().name());
            f.put("users", (long) n.users() - 1);
            f.put("devices", List.copyOf(devs));
            return new Record("hwpt", f);
        }
        return Record.of("object", "id", (long) o.id(), "type", o.type().name(), "users", (long) o.users() - 1, "what", summary(ctx, o));
    }

    private static Record ioas(IommufdCtx ctx, Ioas ioas) {
        IoPagetable iopt = ioas.iopt();
        List<Object> areas = new ArrayList<>();
        for (Area a : iopt.areas()) {
            String prot = ((a.iommuProt() & Area.IOMMU_READ) != 0 ? "r" : "-") + ((a.iommuProt() & Area.IOMMU_WRITE) != 0 ? "w" : "-");
            areas.add(Record.of("area", "iova", a.iova(), "last", a.last(), "length", a.length(), "prot", prot, "user_va",
                    a.userVa(a.iova())));
        }
        List<Object> reserved = new ArrayList<>();
        for (Interval<ResvOwner> r : iopt.reservedRanges()) {
            reserved.add(Record.of("reserved", "start", r.start(), "last", r.last(), "owner", r.value().describeReserved(r.start(), r.last())));
        }
        List<Object> allowed = new ArrayList<>();
        for (IovaRange r : iopt.allowedRanges()) {
            allowed.add(new Range(r.start(), r.last()));
        }
        List<Object> hwpts = new ArrayList<>();
        for (HwptPaging h : ioas.hwpts()) {
            hwpts.add((long) h.id());
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("id", (long) ioas.id());
        f.put("users", (long) ioas.users() - 1);
        f.put("iova_alignment", iopt.iovaAlignment());
        f.put("huge_pages", !iopt.largePagesDisabled());
        f.put("hwpts", List.copyOf(hwpts));
        f.put("areas", List.copyOf(areas));
        f.put("reserved", List.copyOf(reserved));
        f.put("allowed", List.copyOf(allowed));
        return new Record("ioas", f);
    }

    private static Record hwpt(IommufdCtx ctx, HwptPaging h) {
        List<Object> devs = new ArrayList<>();
        for (IommufdObject o : ctx.objectList()) {
            if (o instanceof IommufdDevice d && d.attachedHwpt() == h) {
                devs.add((long) d.id());
            }
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("id", (long) h.id());
        f.put("type", "HWPT_PAGING");
        f.put("ioas", (long) h.ioas().id());
        f.put("iommu", h.owner().name());
        f.put("auto_domain", h.isAutoDomain());
        f.put("nest_parent", h.isNestParent());
        f.put("enforce_cache_coherency", h.enforcesCacheCoherency());
        f.put("aperture", new Range(h.domain().apertureStart(), h.domain().apertureEnd()));
        f.put("pgsize_bitmap", h.domain().pgsizeBitmap());
        f.put("users", (long) h.users() - 1);
        f.put("devices", List.copyOf(devs));
        List<Object> msi = new ArrayList<>();
        for (dev.iommufdsim.kernel.SwMsi.Page p : h.msiPages()) {
            msi.add(Record.of("msi_page", "iova", p.iova(), "doorbell", p.msiAddr()));
        }
        f.put("msi_pages", List.copyOf(msi));
        List<Object> children = new ArrayList<>();
        for (IommufdObject o : ctx.objectList()) {
            if (o instanceof dev.iommufdsim.kernel.HwptNested n && n.parent() == h) {
                children.add(Record.of("child", "id", (long) n.id(), "type", "HWPT_NESTED", "via",
                        n.viommu() == null ? "parent" : "vIOMMU " + n.viommu().id()));
            } else if (o instanceof dev.iommufdsim.kernel.IommufdViommu v && v.parent() == h) {
                children.add(Record.of("child", "id", (long) v.id(), "type", "VIOMMU", "via", "parent"));
            }
        }
        f.put("children", List.copyOf(children));
        return new Record("hwpt", f);
    }

    private static Record device(IommufdDevice d) {
        PhysDevice p = d.physDevice();
        HwPagetable at = d.attachedHwpt();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("dev_id", (long) d.id());
        f.put("name", p.name());
        if (p.info().bdf() != null) {
            f.put("bdf", p.info().bdf());
        }
        f.put("iommu", p.iommu().name());
        f.put("group", (long) p.group().id());
        f.put("attached", at == null ? (Object) "none" : (Object) (long) at.id());
        List<Object> pasids = new ArrayList<>(); // {pasid, hwpt} per attached PASID, shown only when there are some
        d.attachments().forEach((pasid, hwpt) -> {
            if (pasid != 0 && hwpt != null) {
                pasids.add(Record.of(null, "pasid", Integer.toUnsignedLong(pasid), "hwpt", (long) hwpt.id()));
            }
        });
        if (!pasids.isEmpty()) {
            f.put("pasids", List.copyOf(pasids));
        }
        f.put("regions", regions(p));
        return new Record("device", f);
    }

    static List<Object> regions(PhysDevice p) {
        List<Object> out = new ArrayList<>();
        for (ResvRegion r : p.iommu().getResvRegions(p.info())) {
            out.add(Record.of("resv_region", "start", r.start(), "last", r.last(), "type", r.type().name(), "source",
                    r.source() == null ? "" : r.source()));
        }
        return List.copyOf(out);
    }

    private static Record machine(Session s) {
        List<Object> iommus = new ArrayList<>();
        s.machine().iommus().forEach(i -> iommus.add(Record.of("iommu", "name", i.name(), "driver", i.driverName(), "plugin", i.pluginId())));
        List<Object> devices = new ArrayList<>();
        for (PhysDevice p : s.machine().devices()) {
            devices.add(Record.of("device", "name", p.name(), "bdf", p.info().bdf() == null ? "" : p.info().bdf(), "iommu",
                    p.iommu().name(), "group", (long) p.group().id(), "bound", p.boundTo() == null ? "no"
                            : "dev_id " + p.boundTo().id()));
        }
        return Record.of("machine", "iommus", List.copyOf(iommus), "devices", List.copyOf(devices));
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
