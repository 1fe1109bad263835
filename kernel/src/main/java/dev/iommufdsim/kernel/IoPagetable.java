package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EADDRINUSE;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EDEADLOCK;
import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.ENOSPC;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.HPAGE_SIZE;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
import static dev.iommufdsim.kernel.uapi.Uapi.ULONG_MAX;

import dev.iommufdsim.kernel.iopt.HoleFit;
import dev.iommufdsim.kernel.iopt.Interval;
import dev.iommufdsim.kernel.iopt.IntervalMap;
import dev.iommufdsim.kernel.iopt.ReservedIntervals;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * struct io_pagetable (drivers/iommu/iommufd/io_pagetable.c): the IOVA space of one IOAS —
 * areas, reserved ranges with owners, allowed ranges, the attached domains and the IOVA
 * alignment they impose. Methods are named after the iopt_* functions they model and keep
 * their order of checks. IOVAs are unsigned 64-bit values held in longs.
 */
public final class IoPagetable {
    private final IntervalMap<Area> areas = new IntervalMap<>();
    private final ReservedIntervals<ResvOwner> reserved = new ReservedIntervals<>();
    private final IntervalMap<Boolean> allowed = new IntervalMap<>();
    /** iopt->domains, in the kernel's xarray order (removal swaps the tail in). */
    private final List<HwptPaging> domains = new ArrayList<>();
    /** iopt->access_list: the attached accesses by their xa_alloc'ed ID (lowest free, 16 bits). */
    private final TreeMap<Integer, IommufdAccess> accessList = new TreeMap<>();
    /** area->num_accesses and area->prevent_access, kept only for areas accesses have used. */
    private final Map<Area, AreaAccess> areaAccess = new IdentityHashMap<>();
    private long iovaAlignment = 1;
    private boolean disableLargePages;
    /** The machine's pin counts, which filling and unfilling areas change. */
    private final UserPagePins pins;

    /** The access bookkeeping of one area. */
    private static final class AreaAccess {
        int numAccesses;
        /** area->num_locks: accesses of internal objects (a HW queue) that forbid unmapping it. */
        int numLocks;
        boolean preventAccess;
    }

    /** xa_limit_16b of iopt->access_list. */
    private static final int ACCESS_LIST_MAX_ID = 0xffff;
    /** iopt_unmap_iova_range()'s bound on unmap callbacks that leave pages pinned. */
    private static final int UNMAP_NOTIFY_TRIES = 100;

    IoPagetable(UserPagePins pins) {
        this.pins = pins;
    }

    public long iovaAlignment() {
        return iovaAlignment;
    }

    public boolean largePagesDisabled() {
        return disableLargePages;
    }

    public int areaCount() {
        return areas.size();
    }

    /** Every area, ascending. */
    public List<Area> areas() {
        List<Area> out = new ArrayList<>();
        areas.forEachIntersecting(0, ULONG_MAX, (s, l, a) -> out.add(a));
        return out;
    }

    /** Every reserved range with its owner, ascending by start. */
    public List<Interval<ResvOwner>> reservedRanges() {
        List<Interval<ResvOwner>> out = new ArrayList<>();
        reserved.forEach((s, l, o) -> out.add(new Interval<>(s, l, o)));
        return out;
    }

    /** The allowed ranges, ascending. */
    public List<IovaRange> allowedRanges() {
        List<IovaRange> out = new ArrayList<>();
        allowed.forEachIntersecting(0, ULONG_MAX, (s, l, v) -> out.add(new IovaRange(s, l)));
        return out;
    }

    List<HwptPaging> domains() {
        return domains;
    }

    /**
     * iopt_revoke_notify() for the areas over pages of a dma-buf being revoked: each is
     * unmapped from every domain (iopt_area_unmap_domain_range) and its pages stay revoked.
     */
    void revokeDmabuf(Dmabuf d) {
        for (Area a : areas()) {
            if (a.pages().dmabuf() == d && !a.pages().revoked()) {
                IommuMap.unfillDomains(domains, a);
            }
        }
        for (Area a : areas()) {
            if (a.pages().dmabuf() == d) {
                a.pages().revoke();
            }
        }
    }

    /** iopt->domains in order, a copy (for the invariant checker). */
    public List<HwptPaging> domainList() {
        return List.copyOf(domains);
    }

    /** The area containing iova, or null. */
    public Area areaAt(long iova) {
        Interval<Area> i = areas.firstIntersecting(iova, iova);
        return i == null ? null : i.value();
    }

    /** The first area starting in [iova, last], or null. */
    Area firstAreaIn(long iova, long last) {
        Interval<Area> i = areas.firstIntersecting(iova, last);
        return i == null ? null : i.value();
    }

    // ---- IOVA allocation and checks -------------------------------------------------------

    /** iopt_alloc_iova(): the lowest-address first fit of the kernel, never IOVA 0. */
    long allocIova(long addr, long length) {
        long pageOffset = Long.remainderUnsigned(addr, PAGE_SIZE);
        if (length == 0 || Long.compareUnsigned(length, Long.divideUnsigned(ULONG_MAX, 2)) >= 0) {
            throw fail(EOVERFLOW, "length 0x%x too large for automatic IOVA allocation", length);
        }
        // Keep the alignment present in addr, which raises the chance of mapping a THP.
        long align = roundupPowOfTwo(length);
        if (addr != 0 && Long.compareUnsigned(Long.lowestOneBit(addr), align) < 0) {
            align = Long.lowestOneBit(addr);
        }
        if (Long.compareUnsigned(align, HPAGE_SIZE) >= 0) {
            align = HPAGE_SIZE; // the kernel's max_alignment with CONFIG_TRANSPARENT_HUGEPAGE
        }
        if (Long.compareUnsigned(align, iovaAlignment) < 0) {
            throw fail(EINVAL, "automatic IOVA alignment 0x%x (from user address 0x%x, length 0x%x) is below the IOAS alignment 0x%x",
                    align, addr, length, iovaAlignment);
        }
        for (IovaRange w : allocWindows()) {
            // __alloc_iova_check_used() on the allowed span also writes the aligned start back
            // (__alloc_iova_check_range: *start = aligned_start), so the hole walk begins there.
            long windowStart = HoleFit.check(w.start(), w.last(), length, align, pageOffset);
            if (windowStart == HoleFit.NO_FIT) {
                continue;
            }
            long found = firstFitInWindow(windowStart, w.last(), length, align, pageOffset);
            if (found != HoleFit.NO_FIT) {
                return found;
            }
        }
        throw fail(ENOSPC, "no free IOVA range of 0x%x bytes aligned to 0x%x%s", length, align,
                allowed.size() == 0 ? "" : " inside the allowed ranges");
    }

    /** Holes of (reserved ∪ areas) inside one window, the kernel's double span walk. */
    private long firstFitInWindow(long lo, long hi, long length, long align, long pageOffset) {
        long[] found = {HoleFit.NO_FIT};
        reserved.forEachHole(lo, hi, (s, l) -> {
            long a = areas.findFirstFit(s, l, length, align, pageOffset);
            if (a != IntervalMap.NO_FIT) {
                found[0] = a;
                return false;
            }
            return true;
        });
        return found[0];
    }

    /** The allowed spans (adjacent ranges merged) clipped to [PAGE_SIZE, ULONG_MAX - PAGE_SIZE]. */
    private List<IovaRange> allocWindows() {
        long lo = PAGE_SIZE;
        long hi = ULONG_MAX - PAGE_SIZE;
        List<IovaRange> out = new ArrayList<>();
        if (allowed.size() == 0) {
            out.add(new IovaRange(lo, hi));
            return out;
        }
        long[] cur = null;
        for (IovaRange r : allowedRanges()) {
            if (cur != null && cur[1] != ULONG_MAX && cur[1] + 1 == r.start()) {
                cur[1] = r.last();
                continue;
            }
            if (cur != null) {
                addClipped(out, cur[0], cur[1], lo, hi);
            }
            cur = new long[] {r.start(), r.last()};
        }
        addClipped(out, cur[0], cur[1], lo, hi);
        return out;
    }

    private static void addClipped(List<IovaRange> out, long s, long l, long lo, long hi) {
        long cs = Long.compareUnsigned(s, lo) < 0 ? lo : s;
        long cl = Long.compareUnsigned(l, hi) > 0 ? hi : l;
        if (Long.compareUnsigned(cs, cl) <= 0) {
            out.add(new IovaRange(cs, cl));
        }
    }

    /** iopt_check_iova(): a FIXED_IOVA request. */
    void checkIova(long iova, long length) {
        if ((iova & (iovaAlignment - 1)) != 0) {
            throw fail(EINVAL, "iova 0x%x is not aligned to the IOAS alignment 0x%x", iova, iovaAlignment);
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0) {
            throw fail(EOVERFLOW, "iova 0x%x + length 0x%x overflows", iova, length);
        }
        Interval<ResvOwner> r = reserved.firstIntersecting(iova, last);
        if (r != null) {
            throw fail(EINVAL, "iova 0x%x-0x%x overlaps reserved range 0x%x-0x%x (%s)", iova, last, r.start(), r.last(),
                    r.value().describeReserved(r.start(), r.last()));
        }
        Interval<Area> a = areas.firstIntersecting(iova, last);
        if (a != null) {
            throw fail(EEXIST, "iova 0x%x-0x%x overlaps the mapped area 0x%x-0x%x", iova, last, a.start(), a.last());
        }
    }

    // ---- map / unmap ------------------------------------------------------------------------

    /** One slice of pages to map (struct iopt_pages_list). */
    record PagesSlice(Pages pages, long startByte, long length) {
    }

    /**
     * iopt_map_pages() with iopt_alloc_area_pages(), iopt_insert_area() and the domain fill:
     * maps the slices contiguously at the returned IOVA. All or nothing.
     */
    long mapPages(List<PagesSlice> slices, long length, long iova, boolean allocIova, int iommuProt) {
        if ((length & (iovaAlignment - 1)) != 0 || length == 0) {
            throw fail(EINVAL, "length 0x%x is not a multiple of the IOAS alignment 0x%x", length, iovaAlignment);
        }
        if (allocIova) {
            PagesSlice first = slices.get(0);
            iova = allocIova(first.pages().uptr() + first.startByte(), length);
        } else {
            checkIova(iova, length);
        }
        List<Area> inserted = new ArrayList<>(slices.size());
        int filled = 0;
        try {
            long cur = iova;
            for (PagesSlice s : slices) {
                inserted.add(insertArea(s, cur, iommuProt));
                cur += s.length();
            }
            // iopt_fill_domains_pages()
            for (Area a : inserted) {
                fillDomains(a);
                filled++;
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < filled; i++) {
                unfillDomains(inserted.get(i));
            }
            for (Area a : inserted) {
                areas.remove(a.iova());
            }
            throw e;
        }
        IommuMap.fillDomains(domains, inserted, disableLargePages);
        return iova;
    }

    /** iopt_insert_area(). */
    private Area insertArea(PagesSlice s, long iova, int iommuProt) {
        if ((iommuProt & Area.IOMMU_WRITE) != 0 && !s.pages().writable()) {
            throw fail(EPERM, "WRITEABLE requested but the source pages are read-only");
        }
        long pageOffset = s.startByte() % PAGE_SIZE;
        if ((pageOffset & (iovaAlignment - 1)) != 0) {
            throw fail(EINVAL, "user address page offset 0x%x is not aligned to the IOAS alignment 0x%x", pageOffset, iovaAlignment);
        }
        long last = iova + s.length() - 1;
        if (Long.compareUnsigned(last, iova) < 0) {
            throw fail(EOVERFLOW, "iova 0x%x + length 0x%x overflows", iova, s.length());
        }
        Area area = new Area(iova, last, iommuProt, s.pages(), s.startByte());
        FailNth.step("iopt_insert_area");
        if (!areas.insert(iova, last, area)) {
            throw new IllegalStateException("area insert collided after checks at 0x" + Long.toHexString(iova));
        }
        return area;
    }

    /**
     * iopt_area_fill_domains(): with domains, the new area holds its pages (the first domain is
     * its storage), pinning from the user what no other area or access of the pages holds.
     */
    private void fillDomains(Area a) {
        if (!domains.isEmpty()) {
            FailNth.step("iopt_fill_domain pin");
            a.pages().hold(a.index(), a.lastIndex(), pins);
            try {
                for (HwptPaging d : domains) {
                    checkIommuMap(d, a);
                }
            } catch (RuntimeException e) {
                a.pages().release(a.index(), a.lastIndex(), pins);
                throw e;
            }
        }
    }

    /**
     * iopt_area_fill_domain() -> batch_to_domain() -> iommu_map() -> __iommu_map(): iova, paddr
     * and size of each map must be aligned to the domain's smallest page size, else EINVAL. The
     * area's runs start at its IOVA and sub-page offset and end at its end, and break elsewhere
     * only at page boundaries, so this is the area's IOVA, page offset and length. Only
     * IOAS_COPY gets here with a misaligned area (its slices of byte-granular source areas);
     * IOAS_MAP is refused before, against iova_alignment. Then the driver's map_pages, which
     * may refuse the area's prot before mapping anything (IommuInstance.checkMap); its errno
     * comes back with the area and the HWPT named.
     */
    private static void checkIommuMap(HwptPaging d, Area a) {
        long min = d.domain().minPageSize();
        long pageOffset = a.startByte() % PAGE_SIZE;
        if (((a.iova() | pageOffset | a.length()) & (min - 1)) != 0) {
            throw fail(EINVAL, "iommu_map of area 0x%x-0x%x (page offset 0x%x) into hwpt %d: not aligned to the domain's smallest page size 0x%x",
                    a.iova(), a.last(), pageOffset, d.id(), min);
        }
        try {
            d.owner.checkMap(d.domain(), a.iova(), a.length(), a.iommuProt());
        } catch (IommufdException e) {
            throw new IommufdException(e.errno(), String.format("iommu_map of area 0x%x-0x%x (%s) into hwpt %d: %s",
                    a.iova(), a.last(), protText(a.iommuProt()), d.id(), e.reason()));
        }
    }

    /** An area's IOMMU_READ / IOMMU_WRITE as the IOAS_MAP flags that gave them. */
    private static String protText(int prot) {
        boolean r = (prot & Area.IOMMU_READ) != 0;
        boolean w = (prot & Area.IOMMU_WRITE) != 0;
        return r && w ? "READABLE|WRITEABLE" : r ? "READABLE only" : w ? "WRITEABLE only" : "neither READABLE nor WRITEABLE";
    }

    /** iopt_area_unfill_domains(): the area stops holding its pages; unpinned unless held elsewhere. */
    private void unfillDomains(Area a) {
        if (!domains.isEmpty()) {
            a.pages().release(a.index(), a.lastIndex(), pins);
        }
    }

    /**
     * iopt_unmap_iova_range(): removes every area inside [start, last], ascending. Not all or
     * nothing: areas removed before an error stay removed (the kernel's behaviour).
     *
     * @param unmapped out: unmapped[0] receives the bytes removed, also on error
     */
    void unmapIovaRange(long start, long last, long[] unmapped) {
        unmapped[0] = 0;
        int tries = 0;
        while (true) {
            Interval<Area> i = areas.firstIntersecting(start, last);
            if (i == null) {
                return;
            }
            Area a = i.value();
            AreaAccess acc = areaAccess.isEmpty() ? null : areaAccess.get(a);
            if (acc != null && acc.numLocks > 0) {
                // before the partial-area check, as in iopt_unmap_iova_range()
                throw fail(EBUSY, "area 0x%x-0x%x is locked by %d internal access(es) (a HW queue) until they are destroyed", a.iova(),
                        a.last(), acc.numLocks);
            }
            if (Long.compareUnsigned(a.iova(), start) < 0 || Long.compareUnsigned(a.last(), last) > 0) {
                throw fail(ENOENT, "area 0x%x-0x%x is only partly inside 0x%x-0x%x (unmap never splits an area)", a.iova(), a.last(), start, last);
            }
            if (a.iova() != start) {
                tries = 0;
            }
            if (acc != null && acc.numAccesses > 0) {
                // Accesses have pages of it pinned: ask them to unpin (their unmap op), then look again.
                start = a.iova();
                acc.preventAccess = true;
                notifyUnmap(a.iova(), a.length());
                if (++tries > UNMAP_NOTIFY_TRIES) {
                    throw fail(EDEADLOCK, "the accesses of area 0x%x-0x%x do not unpin it when asked", a.iova(), a.last());
                }
                continue;
            }
            if (acc != null) {
                areaAccess.remove(a);
            }
            unfillDomains(a);
            areas.remove(a.iova());
            IommuMap.unfillDomains(domains, a);
            unmapped[0] += a.length();
            if (Long.compareUnsigned(a.last(), last) >= 0) {
                return;
            }
            start = a.last() + 1;
        }
    }

    /** iopt_unmap_iova(). */
    long unmapIova(long iova, long length) {
        long[] unmapped = new long[1];
        unmapIova(iova, length, unmapped);
        return unmapped[0];
    }

    /**
     * iopt_unmap_iova() for callers that report a partial unmap (VFIO_IOMMU_UNMAP_DMA).
     *
     * @param unmapped out: unmapped[0] receives the bytes removed, also on error
     */
    void unmapIova(long iova, long length, long[] unmapped) {
        unmapped[0] = 0;
        if (length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0) {
            throw fail(EOVERFLOW, "iova 0x%x + length 0x%x overflows", iova, length);
        }
        unmapIovaRange(iova, last, unmapped);
    }

    /** iopt_unmap_all(). */
    long unmapAll() {
        long[] unmapped = new long[1];
        unmapIovaRange(0, ULONG_MAX, unmapped);
        return unmapped[0];
    }

    /** iopt_get_pages(): the slices behind [iova, iova+length-1], which must be contiguously mapped. */
    List<PagesSlice> getPages(long iova, long length) {
        if (length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        long lastIova = iova + length - 1;
        if (Long.compareUnsigned(lastIova, iova) < 0) {
            throw fail(EOVERFLOW, "iova 0x%x + length 0x%x overflows", iova, length);
        }
        List<PagesSlice> out = new ArrayList<>();
        long cur = iova;
        while (true) {
            Interval<Area> i = areas.firstIntersecting(cur, cur);
            if (i == null) {
                throw fail(ENOENT, "source iova 0x%x is not mapped (0x%x-0x%x must be mapped contiguously)", cur, iova, lastIova);
            }
            Area a = i.value();
            long l = Long.compareUnsigned(lastIova, a.last()) < 0 ? lastIova : a.last();
            out.add(new PagesSlice(a.pages(), a.startByteAt(cur), l - cur + 1));
            if (l == lastIova) {
                return out;
            }
            cur = l + 1;
        }
    }

    // ---- reserved and allowed ---------------------------------------------------------------

    /** iopt_reserve_iova(): refuses a range that meets an area or an allowed range. */
    void reserveIova(long start, long last, ResvOwner owner) {
        Interval<Area> a = areas.firstIntersecting(start, last);
        if (a != null) {
            throw fail(EADDRINUSE, "cannot reserve 0x%x-0x%x (%s): the mapped area 0x%x-0x%x is there", start, last,
                    owner.describeReserved(start, last), a.start(), a.last());
        }
        Interval<Boolean> al = allowed.firstIntersecting(start, last);
        if (al != null) {
            throw fail(EADDRINUSE, "cannot reserve 0x%x-0x%x (%s): it overlaps the allowed range 0x%x-0x%x", start, last,
                    owner.describeReserved(start, last), al.start(), al.last());
        }
        FailNth.step("iopt_reserve_iova");
        reserved.add(start, last, owner);
    }

    /** iopt_remove_reserved_iova(): drops every range of this owner. */
    void removeReservedIova(ResvOwner owner) {
        reserved.removeOwner(owner);
    }

    /** iopt_set_allow_iova() after iommufd_ioas_load_iovas(): atomic replacement. */
    void setAllowIova(List<IovaRange> ranges) {
        IntervalMap<Boolean> next = new IntervalMap<>();
        for (IovaRange r : ranges) {
            if (Long.compareUnsigned(r.start(), r.last()) >= 0) {
                throw fail(EINVAL, "allowed range 0x%x-0x%x: start must be below last", r.start(), r.last());
            }
            FailNth.step("iopt_set_allow_iova node");
            if (!next.insert(r.start(), r.last(), Boolean.TRUE)) {
                throw fail(EINVAL, "allowed range 0x%x-0x%x overlaps another range of the same list", r.start(), r.last());
            }
        }
        for (IovaRange r : ranges) {
            Interval<ResvOwner> res = reserved.firstIntersecting(r.start(), r.last());
            if (res != null) {
                throw fail(EADDRINUSE, "allowed range 0x%x-0x%x overlaps reserved range 0x%x-0x%x (%s)", r.start(), r.last(),
                        res.start(), res.last(), res.value().describeReserved(res.start(), res.last()));
            }
        }
        allowed.clear();
        for (IovaRange r : ranges) {
            allowed.insert(r.start(), r.last(), Boolean.TRUE);
        }
    }

    /** The holes of the union of reserved ranges over [0, ULONG_MAX] (IOAS_IOVA_RANGES). */
    List<IovaRange> iovaRanges() {
        List<IovaRange> out = new ArrayList<>();
        reserved.forEachHole(0, ULONG_MAX, (s, l) -> {
            out.add(new IovaRange(s, l));
            return true;
        });
        return out;
    }

    /**
     * iopt_table_enforce_dev_resv_regions(): reserves the device's regions (all but
     * DIRECT_RELAXABLE) with the device as owner; all or nothing.
     *
     * @param swMsiStart out: swMsiStart[0] receives the SW_MSI start if the device has one
     *                   (null: the caller does not track it, as on replace)
     */
    void enforceDevResvRegions(ResvOwner dev, List<ResvRegion> regions, long[] swMsiStart) {
        int hwMsi = 0;
        int swMsi = 0;
        try {
            for (ResvRegion r : regions) {
                if (r.type() == ResvType.DIRECT_RELAXABLE) {
                    continue;
                }
                if (swMsiStart != null && r.type() == ResvType.MSI) {
                    hwMsi++;
                }
                if (swMsiStart != null && r.type() == ResvType.SW_MSI) {
                    swMsiStart[0] = r.start();
                    swMsi++;
                }
                reserveIova(r.start(), r.last(), dev);
            }
            if ((swMsi != 0 && hwMsi != 0) || swMsi > 1) {
                throw fail(EINVAL, "%s reports both MSI and SW_MSI regions, or several SW_MSI (a driver bug)",
                        dev.describeReserved(0, 0));
            }
        } catch (RuntimeException e) {
            removeReservedIova(dev);
            throw e;
        }
    }

    // ---- domains ----------------------------------------------------------------------------

    /** iopt_check_iova_alignment(): every area fits a larger alignment. */
    private void checkIovaAlignment(long newAlign) {
        long mask = newAlign - 1;
        Area[] bad = {null};
        areas.forEachIntersecting(0, ULONG_MAX, (s, l, a) -> {
            if ((a.iova() & mask) != 0 || (a.length() & mask) != 0 || (a.pageOffset() & mask) != 0) {
                bad[0] = a;
                return false;
            }
            return true;
        });
        if (bad[0] != null) {
            Area a = bad[0];
            throw fail(EADDRINUSE, "the mapped area 0x%x-0x%x (page offset 0x%x) is not aligned to the new IOAS alignment 0x%x",
                    a.iova(), a.last(), a.pageOffset(), newAlign);
        }
    }

    /**
     * iopt_table_add_domain(): alignment, aperture reservations, then fill (pin) every area.
     * All or nothing.
     */
    void addDomain(HwptPaging hwpt) {
        var d = hwpt.domain();
        long newAlign = Long.compareUnsigned(d.minPageSize(), iovaAlignment) > 0 ? d.minPageSize() : iovaAlignment;
        if (Long.compareUnsigned(newAlign, PAGE_SIZE) > 0) {
            throw fail(EINVAL, "the domain's smallest page size 0x%x is above PAGE_SIZE 0x%x", d.minPageSize(), PAGE_SIZE);
        }
        if (newAlign != iovaAlignment) {
            checkIovaAlignment(newAlign);
        }
        try {
            if (d.apertureStart() != 0) {
                reserveIova(0, d.apertureStart() - 1, hwpt);
            }
            if (d.apertureEnd() != ULONG_MAX) {
                reserveIova(d.apertureEnd() + 1, ULONG_MAX, hwpt);
            }
            FailNth.step("xa_reserve iopt->domains");
            fillDomain(hwpt);
        } catch (RuntimeException e) {
            removeReservedIova(hwpt);
            throw e;
        }
        iovaAlignment = newAlign;
        domains.add(hwpt);
        if (IommuMap.keepsIoptes(hwpt)) {
            areas.forEachIntersecting(0, ULONG_MAX, (s, l, a) -> {
                IommuMap.fillArea(hwpt, a, disableLargePages);
                return true;
            });
        }
    }

    /**
     * iopt_fill_domain(): every area into a new domain. The first domain becomes each area's
     * storage, so the areas then hold their pages (pinned from the user where no access holds
     * them); later domains copy from that storage. All or nothing.
     */
    private void fillDomain(HwptPaging hwpt) {
        boolean first = domains.isEmpty();
        List<Area> filled = new ArrayList<>();
        try {
            areas.forEachIntersecting(0, ULONG_MAX, (s, l, a) -> {
                FailNth.step("iopt_fill_domain pin");
                if (first) {
                    a.pages().hold(a.index(), a.lastIndex(), pins);
                }
                filled.add(a);
                // iopt_area_fill_domain() -> iommu_map(): an area IOAS_COPY left misaligned while the
                // IOAS had no domain (its iova_alignment already the new one, so not checked above),
                // or one the driver's map_pages refuses (a read-only area in a VT-d nesting parent)
                checkIommuMap(hwpt, a);
                return true;
            });
        } catch (RuntimeException e) {
            if (first) {
                for (Area a : filled) {
                    a.pages().release(a.index(), a.lastIndex(), pins);
                }
            }
            throw e;
        }
    }

    /** iopt_table_remove_domain(): drops the aperture reservations and recomputes alignment. */
    void removeDomain(HwptPaging hwpt) {
        int index = domains.indexOf(hwpt);
        if (index < 0) {
            return;
        }
        // The kernel compresses its xarray by moving the tail entry into the hole.
        HwptPaging tail = domains.remove(domains.size() - 1);
        if (tail != hwpt) {
            domains.set(index, tail);
        }
        if (domains.isEmpty()) {
            // iopt_unfill_domain() of the last domain: no storage left, the areas let go
            areas.forEachIntersecting(0, ULONG_MAX, (s, l, a) -> {
                a.pages().release(a.index(), a.lastIndex(), pins);
                return true;
            });
        }
        removeReservedIova(hwpt);
        calculateIovaAlignment();
    }

    /** iopt_calculate_iova_alignment(). */
    private void calculateIovaAlignment() {
        long newAlign = disableLargePages ? PAGE_SIZE : 1;
        for (HwptPaging h : domains) {
            newAlign = Long.compareUnsigned(h.domain().minPageSize(), newAlign) > 0 ? h.domain().minPageSize() : newAlign;
        }
        for (IommufdAccess a : accessList.values()) {
            newAlign = Math.max(newAlign, a.iovaAlignment());
        }
        if (Long.compareUnsigned(newAlign, iovaAlignment) > 0) {
            checkIovaAlignment(newAlign);
        }
        iovaAlignment = newAlign;
    }

    /** iopt_enable_large_pages(). */
    void enableLargePages() {
        disableLargePages = false;
        calculateIovaAlignment();
    }

    /** iopt_disable_large_pages(). */
    void disableLargePages() {
        if (disableLargePages) {
            return;
        }
        if (!domains.isEmpty() && areas.size() != 0) {
            throw fail(EINVAL, "huge pages cannot be disabled while domains already have pages mapped");
        }
        disableLargePages = true;
        try {
            calculateIovaAlignment();
        } catch (RuntimeException e) {
            disableLargePages = false;
            throw e;
        }
    }

    // ---- cutting areas (VFIO type1 unmap) -----------------------------------------------------

    /**
     * iopt_cut_iova(): splits the area holding each of the first n IOVAs so that the IOVA is
     * an area's last byte. Cuts made before a failing one stay, as in the kernel.
     */
    void cutIova(long[] iovas, int n) {
        for (int i = 0; i < n; i++) {
            Interval<Area> hit = areas.firstIntersecting(iovas[i], iovas[i]);
            if (hit != null) {
                areaSplit(hit.value(), iovas[i]);
            }
        }
    }

    /** iopt_area_split(): [start, iova] and [iova + 1, last] over the same pages. */
    private void areaSplit(Area area, long iova) {
        long start = area.iova();
        long last = area.last();
        long newStart = iova + 1;
        if (iova == start || iova == last) {
            return; // the kernel does not cut at an area's first or last byte
        }
        if (preventsAccess(area)) {
            throw fail(EBUSY, "cannot cut the area 0x%x-0x%x: an unmap is waiting for its accesses", start, last);
        }
        if (area.pages().dmabuf() != null) {
            throw fail(dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP, "cannot cut the area 0x%x-0x%x: its pages are a dma-buf's", start, last);
        }
        long mask = iovaAlignment - 1;
        if ((newStart & mask) != 0 || (area.startByteAt(newStart) & mask) != 0) {
            throw fail(EINVAL, "cannot cut the area 0x%x-0x%x at 0x%x: not aligned to the IOAS alignment 0x%x", start, last,
                    newStart, iovaAlignment);
        }
        FailNth.step("iopt_area_alloc lhs");
        FailNth.step("iopt_area_alloc rhs");
        if (numAccesses(area) != 0) {
            throw fail(EINVAL, "cannot cut the area 0x%x-0x%x at 0x%x: an access has pages of it pinned", start, last, newStart);
        }
        if (!domains.isEmpty() && !disableLargePages) {
            throw fail(EINVAL, "cannot cut the area 0x%x-0x%x at 0x%x: a domain may map it with huge pages", start, last, newStart);
        }
        areas.remove(start);
        areas.insert(start, iova, new Area(start, iova, area.iommuProt(), area.pages(), area.startByte()));
        areas.insert(newStart, last, new Area(newStart, last, area.iommuProt(), area.pages(), area.startByteAt(newStart)));
    }

    // ---- in-kernel accesses ----------------------------------------------------------------

    /** The attached accesses in iopt->access_list order, a copy. */
    public List<IommufdAccess> accessList() {
        return List.copyOf(accessList.values());
    }

    /** area->num_accesses. */
    public int numAccesses(Area a) {
        AreaAccess acc = areaAccess.get(a);
        return acc == null ? 0 : acc.numAccesses;
    }

    /** area->prevent_access: an unmap asked the accesses to let go of it. */
    boolean preventsAccess(Area a) {
        AreaAccess acc = areaAccess.get(a);
        return acc != null && acc.preventAccess;
    }

    /** iopt_add_access(): an ID in iopt->access_list, and the alignment the access needs. */
    int addAccess(IommufdAccess access) {
        FailNth.step("xa_alloc iopt->access_list");
        int id = 0;
        while (accessList.containsKey(id)) {
            id++;
        }
        if (id > ACCESS_LIST_MAX_ID) {
            throw fail(EBUSY, "the IOAS has %d accesses, the most its access list holds", accessList.size());
        }
        accessList.put(id, access);
        try {
            calculateIovaAlignment();
        } catch (RuntimeException e) {
            accessList.remove(id);
            throw e;
        }
        return id;
    }

    /** iopt_remove_access(). */
    void removeAccess(int accessListId) {
        accessList.remove(accessListId);
        calculateIovaAlignment();
    }

    /** iommufd_access_notify_unmap(): every access's unmap op, in access list order. */
    private void notifyUnmap(long iova, long length) {
        for (IommufdAccess a : List.copyOf(accessList.values())) {
            a.notifyUnmap(iova, length);
        }
    }

    /**
     * iopt_for_each_contig_area(): the areas that cover [iova, lastIova] one after the other
     * from the one holding iova, up to the first gap. iopt_area_contig_done() holds when the
     * list is not empty and its last area reaches lastIova.
     */
    List<Area> contigAreas(long iova, long lastIova) {
        List<Area> out = new ArrayList<>();
        Interval<Area> i = areas.firstIntersecting(iova, iova);
        while (i != null) {
            Area a = i.value();
            out.add(a);
            if (Long.compareUnsigned(lastIova, a.last()) <= 0 || a.last() == ULONG_MAX) {
                break;
            }
            // an area holding the next IOVA starts there: areas never overlap
            i = areas.firstIntersecting(a.last() + 1, a.last() + 1);
        }
        return out;
    }

    /** iopt_area_add_access(): pins [startIndex, lastIndex] of the area's pages for an access. */
    void areaAddAccess(Area a, long startIndex, long lastIndex, boolean write) {
        areaAddAccess(a, startIndex, lastIndex, write, false);
    }

    /** iopt_area_add_access() with lock_area (an internal access locks the area against unmap). */
    void areaAddAccess(Area a, long startIndex, long lastIndex, boolean write, boolean lockArea) {
        a.pages().addAccess(startIndex, lastIndex, write, pins);
        AreaAccess acc = areaAccess.computeIfAbsent(a, k -> new AreaAccess());
        acc.numAccesses++;
        if (lockArea) {
            acc.numLocks++;
        }
    }

    /** area->num_locks. */
    public int numLocks(Area a) {
        AreaAccess acc = areaAccess.get(a);
        return acc == null ? 0 : acc.numLocks;
    }

    /** iopt_area_remove_access(). */
    void areaRemoveAccess(Area a, long startIndex, long lastIndex) {
        areaRemoveAccess(a, startIndex, lastIndex, false);
    }

    /** iopt_area_remove_access() with unlock_area (matching the add's lock_area). */
    void areaRemoveAccess(Area a, long startIndex, long lastIndex, boolean unlockArea) {
        AreaAccess acc = areaAccess.get(a);
        if (acc == null || acc.numAccesses == 0 || (unlockArea && acc.numLocks == 0)) {
            throw new IllegalStateException("area 0x" + Long.toHexString(a.iova()) + " has no access to remove");
        }
        if (unlockArea) {
            acc.numLocks--;
        }
        a.pages().removeAccess(startIndex, lastIndex, pins);
        if (--acc.numAccesses == 0 && !acc.preventAccess) {
            areaAccess.remove(a);
        }
    }

    /** roundup_pow_of_two() for 1 <= x < 2^63. */
    static long roundupPowOfTwo(long x) {
        long h = Long.highestOneBit(x);
        return h == x ? x : h << 1;
    }
}
