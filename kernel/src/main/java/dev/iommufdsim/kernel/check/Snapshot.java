package dev.iommufdsim.kernel.check;

import dev.iommufdsim.kernel.Area;
import dev.iommufdsim.kernel.HwPagetable;
import dev.iommufdsim.kernel.HwptNested;
import dev.iommufdsim.kernel.HwptPaging;
import dev.iommufdsim.kernel.IoPagetable;
import dev.iommufdsim.kernel.Ioas;
import dev.iommufdsim.kernel.IommuGroup;
import dev.iommufdsim.kernel.IommufdAccess;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.IommufdDevice;
import dev.iommufdsim.kernel.IommufdFault;
import dev.iommufdsim.kernel.IommufdObject;
import dev.iommufdsim.kernel.IommufdVdevice;
import dev.iommufdsim.kernel.IommufdVeventq;
import dev.iommufdsim.kernel.IommufdViommu;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.ObjType;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.ResvOwner;
import dev.iommufdsim.kernel.SwMsi;
import dev.iommufdsim.kernel.iopt.Interval;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A canonical description of everything a uAPI call may change: per open context its object
 * table (IDs taken, tombstones), every object with its users count and links, every IOAS's
 * areas, reserved ranges (by owner), allowed ranges, alignment and domains, the SW_MSI maps,
 * the open queue fds; per machine which context owns each group's DMA. Two snapshots of an
 * unchanged state are equal; a failed call (other than IOAS_UNMAP) must leave it equal.
 *
 * <p>Entries are keyed by a path ("ctx1/obj3/areas") so a difference names where it is.
 * Driver-private state (a vIOMMU's tables, a nested domain's IOTLB) is not included, nor is
 * igroup->sw_msi_start (see {@link #describe(IommufdCtx, IommufdObject)}).
 */
public final class Snapshot {
    private final SortedMap<String, String> entries;
    /** Per paging HWPT key ("ctx1/obj4/msi"), its present_sw_msi bits and its MSI cookie base. */
    private final Map<String, long[]> msiBits = new TreeMap<>();

    private Snapshot(SortedMap<String, String> entries) {
        this.entries = entries;
        entries.forEach((k, v) -> {
            if (k.endsWith("/msi")) {
                String[] w = v.split(" ");
                msiBits.put(k, new long[] {Long.parseUnsignedLong(w[0].substring(2), 16), Long.parseUnsignedLong(w[2].substring(2), 16)});
            }
        });
    }

    /** The whole machine: every open context and the DMA ownership of every group. */
    public static Snapshot of(Machine machine) {
        SortedMap<String, String> e = new TreeMap<>();
        for (IommufdCtx ctx : machine.contexts()) {
            describe(ctx, e);
        }
        describeMachine(machine, e);
        return new Snapshot(e);
    }

    /** The machine's part only: which context each declared device is bound to, who owns each group's DMA. */
    public static Snapshot ofMachine(Machine machine) {
        SortedMap<String, String> e = new TreeMap<>();
        describeMachine(machine, e);
        return new Snapshot(e);
    }

    private static void describeMachine(Machine machine, Map<String, String> e) {
        // the user page pins (FOLL_PIN counts), per process; a failed call must not change them
        TreeMap<String, String> pins = new TreeMap<>();
        machine.userPagePins().describe().forEach((mm, runs) -> pins.put(String.valueOf(mm), runs));
        e.put("machine/pins", pins.toString());
        for (PhysDevice p : machine.devices()) {
            IommufdDevice b = p.boundTo();
            IommuGroup g = p.group();
            e.put("machine/dev " + p.name(), (b == null ? "unbound" : "bound ctx" + b.ctx().number() + " dev " + b.id())
                    + "; group " + g.id() + " owner " + owner(g) + " x" + g.ownerCount());
        }
    }

    /** One context only. */
    public static Snapshot of(IommufdCtx ctx) {
        SortedMap<String, String> e = new TreeMap<>();
        describe(ctx, e);
        return new Snapshot(e);
    }

    public SortedMap<String, String> entries() {
        return java.util.Collections.unmodifiableSortedMap(entries);
    }

    /** The keys whose values differ (or exist on one side only), ascending. */
    public List<String> diffKeys(Snapshot other) {
        TreeMap<String, String> all = new TreeMap<>(entries);
        all.putAll(other.entries);
        List<String> out = new ArrayList<>();
        for (String k : all.keySet()) {
            if (!Objects.equals(entries.get(k), other.entries.get(k))) {
                out.add(k);
            }
        }
        return out;
    }

    /** A readable difference: each changed key with its value before and after (at most max keys). */
    public String diff(Snapshot after, int max) {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (String k : diffKeys(after)) {
            if (n++ == max) {
                sb.append("  ...\n");
                break;
            }
            sb.append("  ").append(k).append(":\n    before: ").append(entries.get(k)).append("\n    after:  ")
                    .append(after.entries.get(k)).append('\n');
        }
        return sb.toString();
    }

    /**
     * Whether after differs from this snapshot at most by SW_MSI pages newly installed in paging
     * domains. A failed attach or replace may leave those behind: iommufd_group_setup_msi() maps
     * the group's required doorbell pages into the new domain before the driver's attach, and
     * neither the kernel nor the emulator unmaps them when the attach then fails (a domain keeps
     * its SW_MSI pages until it is freed; the same page would be installed at the next attach).
     * Likewise the cookie model's iommufd_group_setup_msi() (v6.7) gives the domain its MSI
     * cookie (iommu_get_msi_cookie, hwpt_paging->msi_cookie = true) before the driver's attach,
     * and a failed attach does not take it back.
     */
    public boolean sameExceptSwMsiInstalls(Snapshot after) {
        for (String k : diffKeys(after)) {
            long[] b = msiBits.get(k);
            long[] a = after.msiBits.get(k);
            if (b == null || a == null || (b[0] & ~a[0]) != 0 || (b[1] != a[1] && b[1] != -1L)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot s && s.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        entries.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
        return sb.toString();
    }

    private static String owner(IommuGroup g) {
        return g.dmaOwner() == null ? "none" : "ctx" + g.dmaOwner().number();
    }

    private static void describe(IommufdCtx ctx, Map<String, String> e) {
        String c = "ctx" + ctx.number();
        List<IommufdObject> objs = ctx.objectList();
        Map<ResvOwner, String> owners = new java.util.IdentityHashMap<>();
        owners.put(ResvOwner.SELFTEST, "selftest");
        for (IommufdObject o : objs) {
            if (o instanceof IommufdDevice d) {
                owners.put(d.resvOwner(), "dev " + d.id());
            }
        }
        StringBuilder fds = new StringBuilder();
        ctx.openEventFds().forEach((fd, o) -> fds.append(fd).append("->").append(ref(ctx, o)).append(' '));
        ctx.openAccessFds().forEach((fd, f) -> fds.append(fd).append("->access ").append(ref(ctx, f.access())).append(" items ")
                .append(f.items()).append(' '));
        e.put(c + "/table", "taken " + ctx.takenIds() + " tombstones " + ctx.tombstoneIds() + " next_fd " + ctx.peekNextFd()
                + " fds [" + fds.toString().trim() + "] groups " + ctx.groupCount() + " profile " + ctx.profile().userName());
        StringBuilder msi = new StringBuilder();
        for (SwMsi.Map m : ctx.swMsi().maps()) {
            msi.append(String.format("%d:0x%x/0x%x+%d ", m.id(), m.swMsiStart(), m.msiAddr(), m.pgoff()));
        }
        e.put(c + "/sw_msi", msi.toString().trim());
        try {
            e.put(c + "/rlimit_mode", Long.toString(ctx.option(Uapi.IOMMU_OPTION_RLIMIT_MODE, Uapi.IOMMU_OPTION_OP_GET, 0, 0, 0)));
        } catch (RuntimeException ex) {
            e.put(c + "/rlimit_mode", "error " + ex);
        }
        for (IommufdObject o : objs) {
            String k = c + "/obj" + o.id();
            e.put(k, describe(ctx, o));
            if (o instanceof HwptPaging h) {
                StringBuilder pages = new StringBuilder();
                for (SwMsi.Page pg : h.msiPages()) {
                    pages.append(String.format(" 0x%x->0x%x", pg.iova(), pg.msiAddr()));
                }
                e.put(k + "/msi", "0x" + Long.toHexString(h.presentSwMsi()) + " cookie 0x" + Long.toHexString(h.msiCookieStart()) + " pages"
                        + pages);
            }
            if (o instanceof Ioas ioas) {
                IoPagetable iopt = ioas.iopt();
                StringBuilder areas = new StringBuilder();
                for (Area a : iopt.areas()) {
                    hex(areas, a.iova()).append('-');
                    hex(areas, a.last()).append(" p").append(a.iommuProt()).append(" va");
                    // the pages' holders are left out: areas of other IOASes share them (IOAS_COPY); the
                    // pins invariant ties them to the areas, and machine/pins shows what they pin
                    hex(areas, a.userVa(a.iova())).append(' ').append(System.identityHashCode(a.pages())).append(" accesses ")
                            .append(iopt.numAccesses(a)).append("; ");
                }
                e.put(k + "/areas", areas.toString());
                StringBuilder resv = new StringBuilder();
                for (Interval<ResvOwner> r : iopt.reservedRanges()) {
                    hex(resv, r.start()).append('-');
                    hex(resv, r.last()).append(' ');
                    String owner = owners.get(r.value());
                    resv.append(owner != null ? owner : ownerName(ctx, r.value())).append("; ");
                }
                e.put(k + "/reserved", resv.toString());
                StringBuilder allowed = new StringBuilder();
                for (IovaRange r : iopt.allowedRanges()) {
                    hex(allowed, r.start()).append('-');
                    hex(allowed, r.last()).append(' ');
                }
                e.put(k + "/allowed", allowed.toString());
            }
        }
    }

    private static String describe(IommufdCtx ctx, IommufdObject o) {
        StringBuilder sb = new StringBuilder();
        sb.append(o.type()).append(" users ").append(o.users());
        if (o instanceof Ioas ioas) {
            IoPagetable iopt = ioas.iopt();
            sb.append(" align 0x").append(Long.toHexString(iopt.iovaAlignment())).append(" huge ").append(!iopt.largePagesDisabled())
                    .append(" hwpts ").append(ids(ioas.hwpts())).append(" domains ").append(ids(iopt.domainList()))
                    .append(" accesses ").append(ids(iopt.accessList()));
        } else if (o instanceof HwptPaging h) {
            sb.append(" ioas ").append(ref(ctx, h.ioas())).append(" on ").append(h.owner().name()).append(h.isAutoDomain() ? " auto" : "")
                    .append(h.isNestParent() ? " nest_parent" : "").append(h.pasidCompat() ? " pasid" : "")
                    .append(" fault ").append(ref(ctx, h.fault())).append(h.inIoasList() ? " listed" : " unlisted")
                    .append(String.format(" aperture 0x%x-0x%x pgsize 0x%x", h.domain().apertureStart(), h.domain().apertureEnd(),
                            h.domain().pgsizeBitmap()));
        } else if (o instanceof HwptNested n) {
            sb.append(" parent ").append(ref(ctx, n.parent())).append(" viommu ").append(ref(ctx, n.viommu())).append(" fault ")
                    .append(ref(ctx, n.fault())).append(" on ").append(n.owner().name()).append(n.pasidCompat() ? " pasid" : "");
        } else if (o instanceof IommufdDevice d) {
            PhysDevice p = d.physDevice();
            StringBuilder att = new StringBuilder();
            d.attachments().forEach((pasid, h) -> att.append(pasid).append("->").append(ref(ctx, h)).append(' '));
            sb.append(' ').append(p.name()).append(" group ").append(p.group().id()).append(" owner ").append(owner(p.group()))
                    .append(" x").append(p.group().ownerCount()).append(" attached [").append(att.toString().trim()).append("] vfio ")
                    .append(new java.util.TreeSet<>(d.vfioAttachedPasids())).append(" vdev ").append(ref(ctx, d.vdevice()))
                    .append(" required_sw_msi 0x").append(Long.toHexString(d.groupRequiredSwMsi()));
            // igroup->sw_msi_start is left out: iopt_table_enforce_dev_resv_regions() writes it even when the attach
            // then fails, in the kernel as here; it only ever holds the group's own SW_MSI start (Invariants checks that).
        } else if (o instanceof IommufdViommu v) {
            StringBuilder vd = new StringBuilder();
            v.vdevices().forEach((virt, x) -> vd.append(String.format("0x%x->%s ", virt, ref(ctx, x))));
            sb.append(" type 0x").append(Integer.toHexString(v.viommuType())).append(" parent ").append(ref(ctx, v.parent()))
                    .append(" on ").append(v.iommu().name()).append(" vdevs [").append(vd.toString().trim()).append("] veventqs ")
                    .append(ids(v.veventqs()));
        } else if (o instanceof IommufdVdevice v) {
            sb.append(" viommu ").append(ref(ctx, v.viommu())).append(" dev ").append(ref(ctx, v.device()))
                    .append(" virt_id 0x").append(Long.toHexString(v.virtId()));
        } else if (o instanceof IommufdVeventq q) {
            sb.append(" viommu ").append(ref(ctx, q.viommu())).append(" type 0x").append(Integer.toHexString(q.veventqType()))
                    .append(" fd ").append(q.fd());
        } else if (o instanceof IommufdAccess a) {
            sb.append(" ioas ").append(ref(ctx, a.ioas())).append(" align 0x").append(Long.toHexString(a.iovaAlignment()));
        } else if (o instanceof IommufdFault f) {
            sb.append(" fd ").append(f.fd());
        } else if (o.type() == ObjType.SELFTEST) {
            sb.append(" idev ").append(ctx.selftest().idevOf(o.id()));
        }
        return sb.toString();
    }

    private static StringBuilder hex(StringBuilder sb, long v) {
        return sb.append("0x").append(Long.toHexString(v));
    }

    /** An object as a reference: its ID, flagged when it is not the published object with that ID. */
    static String ref(IommufdCtx ctx, IommufdObject o) {
        if (o == null) {
            return "-";
        }
        return ctx.object(o.id()) == o ? Integer.toString(o.id()) : o.id() + "(unpublished " + o.type() + ")";
    }

    private static String ids(List<? extends IommufdObject> objs) {
        StringBuilder sb = new StringBuilder("[");
        for (IommufdObject o : objs) {
            sb.append(sb.length() > 1 ? "," : "").append(o.id());
        }
        return sb.append(']').toString();
    }

    /** Who owns a reserved range: "hwpt N", "dev N", "selftest", or a stale owner. */
    static String ownerName(IommufdCtx ctx, ResvOwner owner) {
        if (owner == ResvOwner.SELFTEST) {
            return "selftest";
        }
        if (owner instanceof HwptPaging h) {
            return "hwpt " + ref(ctx, h);
        }
        for (IommufdObject o : ctx.objectList()) {
            if (o instanceof IommufdDevice d && d.resvOwner() == owner) {
                return "dev " + d.id();
            }
        }
        return "stale owner " + owner.describeReserved(0, 0);
    }

    /** find_hwpt_paging(): the paging HWPT itself or a nested HWPT's parent. */
    static HwptPaging pagingOf(HwPagetable h) {
        return h instanceof HwptPaging p ? p : h instanceof HwptNested n ? n.parent() : null;
    }
}
