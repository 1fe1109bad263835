package dev.iommufdsim.kernel.check;

import static dev.iommufdsim.kernel.check.Snapshot.ownerName;
import static dev.iommufdsim.kernel.check.Snapshot.pagingOf;

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
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.Pages;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.ResvOwner;
import dev.iommufdsim.kernel.SwMsi;
import dev.iommufdsim.kernel.iopt.Interval;
import dev.iommufdsim.kernel.iopt.RangeCounts;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernel's invariants, checkable between any two calls (docs/robustness.md lists them):
 * <ol>
 * <li><b>ids</b>: the table's IDs are exactly the published objects plus the tombstones (no
 * placeholder left behind by a failed call), and each object sits at its own ID;</li>
 * <li><b>refs</b>: every object another object or an fd refers to is published in the same
 * context (no dangling or leaked object);</li>
 * <li><b>users</b>: each object's users count is 1 plus the references recounted from the object
 * graph (HWPTs on an IOAS, attached devices, nested children, vIOMMU users, vDEVICEs, fault
 * references, open queue fds, the binding driver's reference on a device);</li>
 * <li><b>iopt</b>: per IOAS, areas never overlap each other nor a reserved range, allowed ranges
 * never meet a reserved range, every area is aligned to iova_alignment, and iova_alignment is
 * what the domains and the HUGE_PAGES option imply; the io_pagetable's domains are the IOAS's
 * HWPT list, each with exactly its aperture reservations;</li>
 * <li><b>resv</b>: every attached device's regions are reserved in the IOAS of the paging HWPT
 * behind its attachment, as the context's profile says, and no device reservation outlives
 * the attachment;</li>
 * <li><b>sw_msi</b> (native model): every SW_MSI map a group requires is present in the paging
 * domain the group is attached to, and each domain's MSI pages are exactly its present maps;</li>
 * <li><b>dev</b>: device bookkeeping agrees (VFIO's attached PASIDs, the group's shared HWPT,
 * the vDEVICE links, the physical device's binding);</li>
 * <li><b>dma</b>: per group, the DMA ownership count equals the bound devices, all of one open
 * context; a closed context holds nothing: no object, fd, group or device;</li>
 * <li><b>pins</b>: each iopt_pages is held exactly by its areas in IOASes with domains and by its
 * accesses, and the machine's user page pins are exactly one per pages holding the page.</li>
 * </ol>
 */
public final class Invariants {
    private Invariants() {
    }

    /** What one check found: how many assertions were evaluated and which failed. */
    public static final class Report {
        private long checks;
        private final List<String> violations = new ArrayList<>();

        void check(boolean ok, String invariant, String what, Object... args) {
            checks++;
            if (!ok) {
                violations.add(invariant + ": " + (args.length == 0 ? what : String.format(what, args)));
            }
        }

        public long checks() {
            return checks;
        }

        public List<String> violations() {
            return Collections.unmodifiableList(violations);
        }

        public boolean ok() {
            return violations.isEmpty();
        }

        @Override
        public String toString() {
            return ok() ? checks + " checks, all held" : String.join("\n", violations);
        }
    }

    /** Every open context of the machine, and the machine's DMA ownership. */
    public static Report check(Machine machine) {
        Report r = new Report();
        for (IommufdCtx ctx : machine.contexts()) {
            checkCtx(ctx, r);
        }
        checkMachine(machine, r);
        return r;
    }

    /** One context. */
    public static Report check(IommufdCtx ctx) {
        Report r = new Report();
        checkCtx(ctx, r);
        return r;
    }

    /** After ctx.close(): an empty table, no fd, no group, no device bound, no group owned. */
    public static Report checkClosed(IommufdCtx ctx) {
        Report r = new Report();
        r.check(ctx.isClosed(), "close", "ctx%d is not closed", ctx.number());
        r.check(ctx.objectList().isEmpty(), "close", "ctx%d still holds objects %s after close", ctx.number(), ctx.objectList());
        BitSet left = ctx.takenIds();
        left.andNot(ctx.tombstoneIds());
        r.check(left.isEmpty(), "close", "ctx%d still has IDs %s taken after close", ctx.number(), left);
        r.check(ctx.openEventFds().isEmpty(), "close", "ctx%d still has open queue fds %s", ctx.number(), ctx.openEventFds().keySet());
        r.check(ctx.openAccessFds().isEmpty(), "close", "ctx%d still has open access fds %s", ctx.number(), ctx.openAccessFds().keySet());
        r.check(ctx.groupCount() == 0, "close", "ctx%d still has %d iommufd_group entries", ctx.number(), ctx.groupCount());
        for (PhysDevice p : ctx.machine().devices()) {
            r.check(p.boundTo() == null || p.boundTo().ctx() != ctx, "close", "%s is still bound to closed ctx%d", p.name(), ctx.number());
            r.check(p.group().dmaOwner() != ctx, "close", "group %d of %s is still owned by closed ctx%d", p.group().id(), p.name(),
                    ctx.number());
        }
        r.check(!ctx.machine().contexts().contains(ctx), "close", "closed ctx%d is still listed by the machine", ctx.number());
        checkMachine(ctx.machine(), r);
        return r;
    }

    // ------------------------------------------------------------------ machine

    private static void checkMachine(Machine machine, Report r) {
        checkPins(machine, r);
        Map<IommuGroup, Boolean> groups = new IdentityHashMap<>();
        for (PhysDevice p : machine.devices()) {
            groups.put(p.group(), true);
            IommufdDevice b = p.boundTo();
            if (b != null) {
                r.check(!b.ctx().isClosed() && machine.contexts().contains(b.ctx()), "dma", "%s is bound to closed ctx%d", p.name(),
                        b.ctx().number());
                r.check(b.ctx().object(b.id()) == b, "dma", "%s is bound to dev %d, which is not published in ctx%d", p.name(), b.id(),
                        b.ctx().number());
            }
        }
        for (IommufdCtx ctx : machine.contexts()) {
            for (IommufdObject o : ctx.objectList()) {
                if (o instanceof IommufdDevice d) {
                    groups.put(d.physDevice().group(), true);
                }
            }
        }
        for (IommuGroup g : groups.keySet()) {
            int bound = 0;
            Set<IommufdCtx> owners = Collections.newSetFromMap(new IdentityHashMap<>());
            for (PhysDevice p : g.devices()) {
                if (p.boundTo() != null) {
                    bound++;
                    owners.add(p.boundTo().ctx());
                }
            }
            r.check(g.ownerCount() == bound, "dma", "group %d: DMA owner count %d but %d devices bound", g.id(), g.ownerCount(), bound);
            r.check((g.dmaOwner() == null) == (bound == 0), "dma", "group %d: owner %s with %d devices bound", g.id(), g.dmaOwner(), bound);
            r.check(owners.size() <= 1 && (owners.isEmpty() || owners.contains(g.dmaOwner())), "dma",
                    "group %d: devices bound to %s but the DMA owner is %s", g.id(), owners, g.dmaOwner());
        }
    }

    // ------------------------------------------------------------------ one context

    private static void checkCtx(IommufdCtx ctx, Report r) {
        List<IommufdObject> objs = ctx.objectList();
        Set<IommufdObject> live = Collections.newSetFromMap(new IdentityHashMap<>());
        live.addAll(objs);
        checkIds(ctx, objs, r);
        Map<IommufdObject, Integer> refs = new IdentityHashMap<>();
        for (IommufdObject o : objs) {
            collectRefs(ctx, o, live, refs, r);
        }
        ctx.openAccessFds().forEach((fd, f) -> {
            ref(ctx, live, refs, "access fd " + fd, f.access(), r);
            r.check(fd < ctx.peekNextFd(), "refs", "ctx%d: open fd %d is not below the next fd %d", ctx.number(), fd, ctx.peekNextFd());
        });
        ctx.openEventFds().forEach((fd, o) -> {
            ref(ctx, live, refs, "fd " + fd, o, r);
            r.check(fd < ctx.peekNextFd(), "refs", "ctx%d: open fd %d is not below the next fd %d", ctx.number(), fd, ctx.peekNextFd());
            r.check(o instanceof IommufdFault f ? f.fd() == fd : o instanceof IommufdVeventq q ? q.fd() == fd : false, "refs",
                    "ctx%d: fd %d holds %s, whose fd differs", ctx.number(), fd, o);
        });
        for (IommufdObject o : objs) {
            int expected = 1 + refs.getOrDefault(o, 0);
            r.check(o.users() == expected, "users", "ctx%d: %s has users %d, but %d references exist (+1 for the table)", ctx.number(), o,
                    o.users(), expected - 1);
        }
        for (IommufdObject o : objs) {
            if (o instanceof Ioas ioas) {
                checkIoas(ctx, ioas, objs, live, r);
            } else if (o instanceof IommufdDevice d) {
                checkDevice(ctx, d, live, r);
            } else if (o instanceof IommufdViommu v) {
                checkViommu(ctx, v, live, r);
            } else if (o instanceof HwptPaging h) {
                r.check(h.inIoasList() && h.ioas().hwpts().contains(h), "iopt", "ctx%d: published hwpt %d is not in IOAS %d's list",
                        ctx.number(), h.id(), h.ioas().id());
            }
        }
        checkSwMsi(ctx, objs, r);
    }

    private static void checkIds(IommufdCtx ctx, List<IommufdObject> objs, Report r) {
        BitSet published = new BitSet();
        for (IommufdObject o : objs) {
            r.check(o.id() > 0 && ctx.object(o.id()) == o, "ids", "ctx%d: %s is listed but not at its ID", ctx.number(), o);
            r.check(!published.get(o.id()), "ids", "ctx%d: ID %d listed twice", ctx.number(), o.id());
            published.set(o.id());
        }
        BitSet tomb = ctx.tombstoneIds();
        BitSet expected = (BitSet) published.clone();
        expected.or(tomb);
        BitSet taken = ctx.takenIds();
        BitSet leaked = (BitSet) taken.clone();
        leaked.andNot(expected);
        r.check(leaked.isEmpty(), "ids", "ctx%d: IDs %s are taken but hold no object (a placeholder left by a failed call)", ctx.number(),
                leaked);
        BitSet lost = (BitSet) expected.clone();
        lost.andNot(taken);
        r.check(lost.isEmpty(), "ids", "ctx%d: IDs %s hold objects or tombstones but are free for allocation", ctx.number(), lost);
        BitSet both = (BitSet) published.clone();
        both.and(tomb);
        r.check(both.isEmpty(), "ids", "ctx%d: IDs %s are both published and tombstones", ctx.number(), both);
    }

    private static void ref(IommufdCtx ctx, Set<IommufdObject> live, Map<IommufdObject, Integer> refs, String from, IommufdObject to,
                            Report r) {
        if (to == null) {
            return;
        }
        r.check(live.contains(to), "refs", "ctx%d: %s refers to %s, which is not published in this context", ctx.number(), from, to);
        refs.merge(to, 1, Integer::sum);
    }

    private static void collectRefs(IommufdCtx ctx, IommufdObject o, Set<IommufdObject> live, Map<IommufdObject, Integer> refs, Report r) {
        String from = o.toString();
        if (o instanceof HwptPaging h) {
            ref(ctx, live, refs, from, h.ioas(), r);
            ref(ctx, live, refs, from, h.fault(), r);
        } else if (o instanceof HwptNested n) {
            ref(ctx, live, refs, from, n.viommu() != null ? n.viommu() : n.parent(), r);
            ref(ctx, live, refs, from, n.fault(), r);
            if (n.viommu() != null) {
                r.check(n.viommu().parent() == n.parent(), "refs", "ctx%d: %s's parent %s is not its vIOMMU's parent %s", ctx.number(), n,
                        n.parent(), n.viommu().parent());
            }
        } else if (o instanceof IommufdViommu v) {
            ref(ctx, live, refs, from, v.parent(), r);
        } else if (o instanceof IommufdVdevice v) {
            ref(ctx, live, refs, from, v.viommu(), r);
            r.check(live.contains(v.device()), "refs", "ctx%d: %s belongs to %s, which is not published", ctx.number(), v, v.device());
        } else if (o instanceof IommufdVeventq q) {
            ref(ctx, live, refs, from, q.viommu(), r);
        } else if (o instanceof IommufdAccess a) {
            ref(ctx, live, refs, from, a.ioas(), r);
        } else if (o instanceof IommufdDevice d) {
            refs.merge(d, 1, Integer::sum); // the binding driver, until unbind
            d.attachments().forEach((pasid, hwpt) -> {
                ref(ctx, live, refs, from + " pasid " + pasid, hwpt, r);
                refs.merge(d, 1, Integer::sum); // each attachment holds the device
            });
        }
    }

    // ------------------------------------------------------------------ io_pagetable

    private static void checkIoas(IommufdCtx ctx, Ioas ioas, List<IommufdObject> objs, Set<IommufdObject> live, Report r) {
        IoPagetable iopt = ioas.iopt();
        String where = "ctx" + ctx.number() + " IOAS " + ioas.id();
        List<Area> areas = iopt.areas();
        List<Interval<ResvOwner>> reserved = iopt.reservedRanges();
        List<IovaRange> allowed = iopt.allowedRanges();
        long align = iopt.iovaAlignment();
        long domainAlign = 1;
        for (HwptPaging d : iopt.domainList()) {
            domainAlign = Math.max(domainAlign, d.domain().minPageSize());
        }

        Area prev = null;
        Sweep sweep = new Sweep(reserved);
        for (Area a : areas) {
            r.check(Long.compareUnsigned(a.iova(), a.last()) <= 0, "iopt", "%s: area 0x%x-0x%x is inverted", where, a.iova(), a.last());
            r.check(prev == null || Long.compareUnsigned(prev.last(), a.iova()) < 0, "iopt", "%s: areas 0x%x-0x%x and 0x%x-0x%x overlap",
                    where, prev == null ? 0 : prev.iova(), prev == null ? 0 : prev.last(), a.iova(), a.last());
            prev = a;
            Interval<ResvOwner> res = sweep.hit(a.iova(), a.last());
            r.check(res == null, "iopt", "%s: area 0x%x-0x%x overlaps reserved %s (%s)", where, a.iova(), a.last(), res,
                    res == null ? "" : ownerName(ctx, res.value()));
            // iopt_insert_area() checks the page offset against iova_alignment; IOVA and length are
            // checked for the whole IOAS_MAP/COPY only, so an IOAS_COPY slice may be misaligned while
            // no domain needs it, as in the kernel; with domains iommu_map() refuses it.
            r.check((a.pageOffset() & (align - 1)) == 0, "iopt", "%s: area 0x%x-0x%x: page offset 0x%x is not aligned to iova_alignment 0x%x",
                    where, a.iova(), a.last(), a.pageOffset(), align);
            r.check(((a.iova() | a.length() | a.pageOffset()) & (domainAlign - 1)) == 0, "iopt",
                    "%s: area 0x%x-0x%x (page offset 0x%x) is not aligned to the domains' smallest page size 0x%x", where, a.iova(),
                    a.last(), a.pageOffset(), domainAlign);
        }
        IovaRange prevAllowed = null;
        sweep = new Sweep(reserved);
        for (IovaRange al : allowed) {
            r.check(Long.compareUnsigned(al.start(), al.last()) < 0, "iopt", "%s: allowed range 0x%x-0x%x has start >= last", where,
                    al.start(), al.last());
            r.check(prevAllowed == null || Long.compareUnsigned(prevAllowed.last(), al.start()) < 0, "iopt",
                    "%s: allowed ranges overlap at 0x%x", where, al.start());
            prevAllowed = al;
            Interval<ResvOwner> res = sweep.hit(al.start(), al.last());
            r.check(res == null, "iopt", "%s: allowed 0x%x-0x%x overlaps reserved %s (%s)", where, al.start(), al.last(), res,
                    res == null ? "" : ownerName(ctx, res.value()));
        }

        List<HwptPaging> hwpts = ioas.hwpts();
        List<HwptPaging> domains = iopt.domainList();
        Set<HwptPaging> hwptSet = Collections.newSetFromMap(new IdentityHashMap<>());
        hwptSet.addAll(hwpts);
        Set<HwptPaging> domainSet = Collections.newSetFromMap(new IdentityHashMap<>());
        domainSet.addAll(domains);
        r.check(hwptSet.equals(domainSet) && hwpts.size() == domains.size(), "iopt", "%s: hwpt_list %s but io_pagetable domains %s", where,
                hwpts, domains);
        long expectedAlign = iopt.largePagesDisabled() ? Uapi.PAGE_SIZE : 1;
        for (HwptPaging h : domains) {
            long min = h.domain().minPageSize();
            expectedAlign = Long.compareUnsigned(min, expectedAlign) > 0 ? min : expectedAlign;
        }
        for (IommufdAccess a : iopt.accessList()) {
            expectedAlign = Math.max(expectedAlign, a.iovaAlignment());
            r.check(a.ioas() == ioas && live.contains(a), "iopt", "%s: access list holds %s (its IOAS %s)", where, a, a.ioas());
        }
        r.check(align == expectedAlign, "iopt", "%s: iova_alignment 0x%x but the domains and HUGE_PAGES imply 0x%x", where, align,
                expectedAlign);
        for (HwptPaging h : hwpts) {
            r.check(live.contains(h) && h.ioas() == ioas && h.inIoasList(), "iopt", "%s: hwpt_list holds %s (published %b, its IOAS %s)",
                    where, h, live.contains(h), h.ioas());
        }

        // Reserved ranges by owner.
        Map<ResvOwner, List<IovaRange>> byOwner = new IdentityHashMap<>();
        for (Interval<ResvOwner> res : reserved) {
            byOwner.computeIfAbsent(res.value(), k -> new ArrayList<>()).add(new IovaRange(res.start(), res.last()));
        }
        for (HwptPaging h : hwpts) {
            List<IovaRange> exp = new ArrayList<>();
            if (h.domain().apertureStart() != 0) {
                exp.add(new IovaRange(0, h.domain().apertureStart() - 1));
            }
            if (h.domain().apertureEnd() != Uapi.ULONG_MAX) {
                exp.add(new IovaRange(h.domain().apertureEnd() + 1, Uapi.ULONG_MAX));
            }
            List<IovaRange> got = byOwner.getOrDefault(h, List.of());
            r.check(new HashSet<>(got).equals(new HashSet<>(exp)) && got.size() == exp.size(), "iopt",
                    "%s: hwpt %d reserves %s, its aperture implies %s", where, h.id(), got, exp);
        }
        Map<ResvOwner, IommufdDevice> devOwners = new IdentityHashMap<>();
        for (IommufdObject o : objs) {
            if (o instanceof IommufdDevice d) {
                devOwners.put(d.resvOwner(), d);
            }
        }
        for (Map.Entry<ResvOwner, List<IovaRange>> e : byOwner.entrySet()) {
            ResvOwner owner = e.getKey();
            if (owner == ResvOwner.SELFTEST) {
                continue;
            }
            if (owner instanceof HwptPaging h) {
                r.check(hwptSet.contains(h), "iopt", "%s: reserved %s owned by %s, which is not a domain of this IOAS", where, e.getValue(), h);
                continue;
            }
            IommufdDevice d = devOwners.get(owner);
            r.check(d != null, "resv", "%s: reserved %s owned by %s, which is no device of this context", where, e.getValue(),
                    ownerName(ctx, owner));
            if (d == null) {
                continue;
            }
            HwPagetable rid = d.attachments().get(Uapi.IOMMU_NO_PASID);
            HwptPaging p = rid == null ? null : resvPaging(ctx.profile(), rid);
            r.check(p != null && p.ioas() == ioas, "resv", "%s: dev %d (%s) still has reserved %s here but its RID is attached to %s",
                    where, d.id(), d.physDevice().name(), e.getValue(), rid);
            List<IovaRange> all = new ArrayList<>();
            for (ResvRegion reg : d.physDevice().iommu().getResvRegions(d.physDevice().info())) {
                if (reg.type() != ResvType.DIRECT_RELAXABLE) {
                    all.add(new IovaRange(reg.start(), reg.last()));
                }
            }
            r.check(all.containsAll(e.getValue()), "resv", "%s: dev %d reserves %s, not all of which are its regions %s", where, d.id(),
                    e.getValue(), all);
        }
    }

    /**
     * Intersection of ascending, non-overlapping queries with the reserved intervals (ascending by
     * start, possibly overlapping each other): the running maximum of the last addresses of the
     * intervals starting at or before the query's last address meets the query iff one of them does.
     */
    private static final class Sweep {
        private final List<Interval<ResvOwner>> reserved;
        private int next;
        private Interval<ResvOwner> maxLast;

        Sweep(List<Interval<ResvOwner>> reserved) {
            this.reserved = reserved;
        }

        /** A reserved interval meeting [start, last], or null. Queries must come in ascending order. */
        Interval<ResvOwner> hit(long start, long last) {
            while (next < reserved.size() && Long.compareUnsigned(reserved.get(next).start(), last) <= 0) {
                Interval<ResvOwner> cur = reserved.get(next++);
                if (maxLast == null || Long.compareUnsigned(cur.last(), maxLast.last()) > 0) {
                    maxLast = cur;
                }
            }
            return maxLast != null && Long.compareUnsigned(maxLast.last(), start) >= 0 ? maxLast : null;
        }
    }

    /** The paging HWPT whose IOAS a RID attach to h reserves regions in, under the profile (or null). */
    static HwptPaging resvPaging(KernelProfile profile, HwPagetable h) {
        if (h instanceof HwptNested && profile.nestedResvPolicy() == KernelProfile.ResvPolicy.NONE) {
            return null;
        }
        return pagingOf(h);
    }

    /** The regions a RID attach of d to h must have reserved under the profile. */
    static List<IovaRange> requiredRegions(KernelProfile profile, IommufdDevice d, HwPagetable h) {
        KernelProfile.ResvPolicy policy = h instanceof HwptNested ? profile.nestedResvPolicy() : KernelProfile.ResvPolicy.ALL;
        List<IovaRange> out = new ArrayList<>();
        for (ResvRegion reg : d.physDevice().iommu().getResvRegions(d.physDevice().info())) {
            boolean reserves = reg.type() != ResvType.DIRECT_RELAXABLE
                    && (policy == KernelProfile.ResvPolicy.ALL || policy == KernelProfile.ResvPolicy.SW_MSI_ONLY && reg.type() == ResvType.SW_MSI);
            if (reserves) {
                out.add(new IovaRange(reg.start(), reg.last()));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ devices

    private static void checkDevice(IommufdCtx ctx, IommufdDevice d, Set<IommufdObject> live, Report r) {
        String where = "ctx" + ctx.number() + " dev " + d.id() + " (" + d.physDevice().name() + ")";
        PhysDevice p = d.physDevice();
        r.check(p.boundTo() == d, "dev", "%s: the physical device says it is bound to %s", where, p.boundTo());
        Map<Integer, HwPagetable> att = d.attachments();
        // A selftest mock device has no fixed set: IOMMU_TEST_OP_PASID_ATTACH adds PASIDs, and
        // iommufd_test_pasid_detach() passes any pasid to iommufd_device_detach(), so pasid 0
        // detaches the mock's RID too (selftest.c).
        if (!p.isSelftestMock()) {
            r.check(d.vfioAttachedPasids().equals(att.keySet()), "dev", "%s: VFIO believes PASIDs %s attached, the core has %s", where,
                    d.vfioAttachedPasids(), att.keySet());
        }
        for (PhysDevice sib : p.group().devices()) {
            IommufdDevice s = sib.boundTo();
            if (s == null || s == d || s.ctx() != ctx) {
                continue;
            }
            Map<Integer, HwPagetable> satt = s.attachments();
            for (Map.Entry<Integer, HwPagetable> e : att.entrySet()) {
                HwPagetable other = satt.get(e.getKey());
                r.check(other == null || other == e.getValue(), "dev", "%s: pasid %d on %s but group sibling dev %d on %s", where,
                        e.getKey(), e.getValue(), s.id(), other);
            }
        }
        HwPagetable rid = att.get(Uapi.IOMMU_NO_PASID);
        if (rid != null) {
            HwptPaging paging = resvPaging(ctx.profile(), rid);
            if (paging != null) {
                Set<IovaRange> present = new HashSet<>();
                for (Interval<ResvOwner> res : paging.ioas().iopt().reservedRanges()) {
                    if (res.value() == d.resvOwner()) {
                        present.add(new IovaRange(res.start(), res.last()));
                    }
                }
                for (IovaRange req : requiredRegions(ctx.profile(), d, rid)) {
                    r.check(present.contains(req), "resv", "%s: attached to %s but its region 0x%x-0x%x is not reserved in IOAS %d"
                            + " (profile %s)", where, rid, req.start(), req.last(), paging.ioas().id(), ctx.profile().userName());
                }
                for (ResvRegion reg : p.iommu().getResvRegions(p.info())) {
                    // v6.7 records sw_msi_start only when a paging attach comes first (replace passes NULL, as the kernel).
                    if (reg.type() == ResvType.SW_MSI && ctx.profile().nestedResvPolicy() != KernelProfile.ResvPolicy.NONE) {
                        r.check(d.groupSwMsiStart() == reg.start(), "sw_msi", "%s: attached with SW_MSI window at 0x%x but its group's"
                                + " sw_msi_start is 0x%x", where, reg.start(), d.groupSwMsiStart());
                    }
                }
            }
        }
        IommufdVdevice v = d.vdevice();
        if (v != null) {
            r.check(live.contains(v) && v.device() == d && v.viommu().vdevices().get(v.virtId()) == v, "dev",
                    "%s: its vDEVICE %s is not published or not linked back", where, v);
        }
    }

    private static void checkViommu(IommufdCtx ctx, IommufdViommu v, Set<IommufdObject> live, Report r) {
        String where = "ctx" + ctx.number() + " vIOMMU " + v.id();
        v.vdevices().forEach((virt, vd) -> r.check(live.contains(vd) && vd.viommu() == v && vd.virtId() == virt
                && vd.device().vdevice() == vd, "dev", "%s: vdevs[0x%x] = %s is stale", where, virt, vd));
        Set<Integer> types = new HashSet<>();
        for (IommufdVeventq q : v.veventqs()) {
            r.check(live.contains(q) && q.viommu() == v, "refs", "%s: veventq %s is stale", where, q);
            r.check(types.add(q.veventqType()), "refs", "%s: two vEVENTQs of type 0x%x", where, q.veventqType());
        }
    }

    // ------------------------------------------------------------------ SW_MSI

    private static void checkSwMsi(IommufdCtx ctx, List<IommufdObject> objs, Report r) {
        List<SwMsi.Map> maps = ctx.swMsi().maps();
        String where = "ctx" + ctx.number();
        r.check(maps.size() <= SwMsi.MAX_MAPS, "sw_msi", "%s: %d SW_MSI maps (at most %d)", where, maps.size(), SwMsi.MAX_MAPS);
        Set<String> keys = new HashSet<>();
        Set<String> slots = new HashSet<>();
        for (int i = 0; i < maps.size(); i++) {
            SwMsi.Map m = maps.get(i);
            r.check(m.id() == i, "sw_msi", "%s: map %d has id %d", where, i, m.id());
            r.check(keys.add(m.swMsiStart() + "/" + m.msiAddr()), "sw_msi", "%s: two maps for doorbell 0x%x", where, m.msiAddr());
            r.check(slots.add(m.swMsiStart() + "/" + m.pgoff()), "sw_msi", "%s: two maps at 0x%x", where, m.iova());
        }
        if (ctx.profile().msiModel() != KernelProfile.MsiModel.NATIVE) {
            return;
        }
        for (IommufdObject o : objs) {
            if (o instanceof HwptPaging h) {
                long present = h.presentSwMsi();
                r.check(maps.size() == 64 || (present >>> maps.size()) == 0, "sw_msi", "%s: hwpt %d has unknown maps present 0x%x", where,
                        h.id(), present);
                Map<Long, Long> want = new LinkedHashMap<>();
                for (SwMsi.Map m : maps) {
                    if ((present & (1L << m.id())) != 0) {
                        want.put(m.iova(), m.msiAddr());
                    }
                }
                Map<Long, Long> got = new LinkedHashMap<>();
                for (SwMsi.Page p : h.msiPages()) {
                    got.put(p.iova(), p.msiAddr());
                }
                r.check(got.equals(want) && h.msiPages().size() == want.size(), "sw_msi", "%s: hwpt %d maps MSI pages %s, present maps say %s",
                        where, h.id(), h.msiPages(), want);
            } else if (o instanceof IommufdDevice d) {
                HwPagetable rid = d.attachments().get(Uapi.IOMMU_NO_PASID);
                long start = d.groupSwMsiStart();
                HwptPaging p = rid == null ? null : pagingOf(rid);
                if (p == null || start == -1) {
                    continue;
                }
                for (SwMsi.Map m : maps) {
                    if (m.swMsiStart() == start && (d.groupRequiredSwMsi() & (1L << m.id())) != 0) {
                        r.check((p.presentSwMsi() & (1L << m.id())) != 0, "sw_msi",
                                "%s: dev %d's group requires SW_MSI map %d (doorbell 0x%x at 0x%x) but hwpt %d lacks it", where, d.id(),
                                m.id(), m.msiAddr(), m.iova(), p.id());
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ pins

    /**
     * Recounts from the areas and accesses what every iopt_pages holds and the machine's pins:
     * an area of an IOAS with domains holds its pages' index range, each access its range;
     * each pages pins the user pages it holds once.
     */
    private static void checkPins(Machine machine, Report r) {
        Map<Pages, RangeCounts> holders = new IdentityHashMap<>();
        for (IommufdCtx ctx : machine.contexts()) {
            for (IommufdObject o : ctx.objectList()) {
                if (o instanceof Ioas ioas) {
                    boolean filled = !ioas.iopt().domainList().isEmpty();
                    for (Area a : ioas.iopt().areas()) {
                        RangeCounts h = holders.computeIfAbsent(a.pages(), k -> new RangeCounts());
                        if (filled) {
                            h.add(a.index(), a.lastIndex(), 1, null);
                        }
                    }
                }
            }
        }
        Map<Object, RangeCounts> pins = new HashMap<>();
        holders.forEach((p, h) -> {
            for (long[] acc : p.accessRanges()) {
                h.add(acc[0], acc[1], 1, null);
            }
            r.check(h.toString().equals(p.holders()), "pins", "pages at user 0x%x: held %s, but its areas and accesses make %s",
                    p.uptr(), p.holders(), h);
            long page0 = Long.divideUnsigned(p.uptr(), Uapi.PAGE_SIZE);
            h.forEachRun(0, Long.MAX_VALUE - 1, (s, l, c) -> {
                if (c > 0 && p.pinKey() != null) { // dma-buf pages pin no user pages
                    pins.computeIfAbsent(p.pinKey(), k -> new RangeCounts()).add(page0 + s, page0 + l, 1, null);
                }
                return true;
            });
        });
        // iopt_pages_update_pinned(): npinned is what the pages hold, all of it charged
        // (last_npinned): pinned_vm in every mode, locked_vm of a user (USER) or mm (MM). The
        // totals, not the owners: IOAS_CHANGE_PROCESS leaves a NONE charge with the old mm
        // (need_charge_update) while the later uncharge hits the new one, as in the kernel.
        long[] charged = new long[3];
        holders.forEach((p, h) -> {
            if (p.dmabuf() != null) {
                return;
            }
            long[] held = {0};
            h.forEachRun(0, Long.MAX_VALUE - 1, (s, l, c) -> {
                held[0] += c > 0 ? l - s + 1 : 0;
                return true;
            });
            r.check(held[0] == p.npinned(), "pins", "pages at user 0x%x: npinned %d, but it holds %d pages", p.uptr(), p.npinned(), held[0]);
            charged[0] += p.npinned();
            charged[1] += p.accountMode() == Pages.ACCOUNT_MM ? p.npinned() : 0;
            charged[2] += p.accountMode() == Pages.ACCOUNT_USER ? p.npinned() : 0;
        });
        List<Map<Object, Long>> vm = machine.userPagePins().pinnedVm().snapshot();
        long[] total = new long[3];
        for (int i = 0; i < 3; i++) {
            total[i] = vm.get(i).values().stream().mapToLong(Long::longValue).sum();
        }
        r.check(java.util.Arrays.equals(charged, total), "pins",
                "pinned_vm, mm locked_vm, user locked_vm total %s (%s), but the pages of the open contexts charge %s", java.util.Arrays.toString(total),
                vm, java.util.Arrays.toString(charged));
        Map<Object, String> expected = new HashMap<>();
        pins.forEach((mm, c) -> expected.put(mm, c.toString()));
        Map<Object, String> actual = machine.userPagePins().describe();
        r.check(expected.equals(actual), "pins", "user page pins %s, but the pages of the open contexts hold %s", actual, expected);
    }
}
