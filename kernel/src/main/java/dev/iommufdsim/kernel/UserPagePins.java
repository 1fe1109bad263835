package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import dev.iommufdsim.kernel.iopt.RangeCounts;
import java.util.HashMap;
import java.util.Map;

/**
 * The FOLL_PIN references the kernel holds on user pages (page_ref_count() /
 * GUP_PIN_COUNTING_BIAS): how many iopt_pages hold each page pinned. A pin belongs to the
 * page, not to a context or an IOAS, so it lives with the machine: two contexts (or two IOASes)
 * that map the same user memory through separate IOAS_MAP calls both count, while areas made by
 * IOAS_COPY share one iopt_pages and count once. A page is (mm, user page number) — the
 * emulator has no physical pages — so memory one process shares with another (MAP_SHARED over
 * fork) is counted per process.
 */
public final class UserPagePins {
    /** Per mm key ({@link UserMemory#mm()}): pins per user page number (va / PAGE_SIZE). */
    private final Map<Object, RangeCounts> byMm = new HashMap<>();
    /** What the pins are charged to (pinned_vm, locked_vm), kept beside them. */
    private final PinnedVm pinnedVm = new PinnedVm();

    /** The pinned-page accounting of these pins (iopt_pages_update_pinned's counters). */
    public PinnedVm pinnedVm() {
        return pinnedVm;
    }

    /** pin_user_pages() of [firstPage, lastPage] (user page numbers) in mm. */
    void pin(UserMemory mm, long firstPage, long lastPage) {
        pin(mm.mm(), firstPage, lastPage);
    }

    /** unpin_user_pages() of [firstPage, lastPage] in mm. */
    void unpin(UserMemory mm, long firstPage, long lastPage) {
        unpin(mm.mm(), firstPage, lastPage);
    }

    /**
     * Pins of [firstPage, lastPage] of a space: an mm key (user page numbers) or a
     * {@link MappedFile.Id} (page offsets in the file: memfd_pin_folios()). File pages are
     * counted per file, not per process: every process mapping the memfd sees the pins.
     */
    void pin(Object key, long firstPage, long lastPage) {
        byMm.computeIfAbsent(key, k -> new RangeCounts()).add(firstPage, lastPage, 1, null);
    }

    /** unpin of [firstPage, lastPage] of a space (mm key or file). */
    void unpin(Object key, long firstPage, long lastPage) {
        RangeCounts c = byMm.get(key);
        if (c == null) {
            throw new IllegalStateException("unpin of pages never pinned in " + key);
        }
        c.add(firstPage, lastPage, -1, null);
        if (c.isEmpty()) {
            byMm.remove(key);
        }
    }

    /** The pin count of page number page of a file. */
    public int fileCount(MappedFile.Id file, long page) {
        RangeCounts c = byMm.get(file);
        return c == null ? 0 : c.count(page);
    }

    /** Whether some file page is pinned (IOAS_MAP_FILE areas). */
    public boolean anyFilePinned() {
        for (Object k : byMm.keySet()) {
            if (k instanceof MappedFile.Id) {
                return true;
            }
        }
        return false;
    }

    /** The pin count of the user page holding va in mm. */
    public int count(UserMemory mm, long va) {
        RangeCounts c = byMm.get(mm.mm());
        return c == null ? 0 : c.count(Long.divideUnsigned(va, PAGE_SIZE));
    }

    /**
     * Visits the pages of [firstPage, lastPage] of mm as runs of one pin count, ascending
     * (unpinned runs with count 0).
     */
    public void forEachRun(UserMemory mm, long firstPage, long lastPage, RangeCounts.CountVisitor v) {
        RangeCounts c = byMm.get(mm.mm());
        if (c == null) {
            v.visit(firstPage, lastPage, 0);
            return;
        }
        c.forEachRun(firstPage, lastPage, v);
    }

    /** Whether no page of any process is pinned. */
    public boolean isEmpty() {
        return byMm.isEmpty();
    }

    /** A description of every pinned range per mm, for snapshots: "mm: first..last=count ...". */
    public Map<Object, String> describe() {
        Map<Object, String> out = new HashMap<>();
        byMm.forEach((k, c) -> out.put(k, c.toString()));
        return out;
    }
}
