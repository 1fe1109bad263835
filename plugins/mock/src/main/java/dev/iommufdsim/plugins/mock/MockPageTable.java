package dev.iommufdsim.plugins.mock;

import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DirtyBitmap;
import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leaf IOPTEs of a mock paging domain with their dirty bits: the generic page table in
 * the AMD IOMMU v1 format with the selftest's 2 KiB granule (generic_pt/fmt/amdv1.h built
 * as iommu_mock.c) and the walks of generic_pt/iommu_pt.h that touch dirty bits.
 *
 * <p>Level L holds items of 2^(11 + 9 L) bytes (2K, 1M, 512M, ...). A leaf of another
 * power-of-two size is a contiguous entry: the 2^n items of the level below it that it spans
 * all carry it (a 4 KiB page is two 2 KiB items). Every item has its own dirty bit
 * (AMDV1PT_FMT_D); a contiguous entry is dirty when any of its items is.
 *
 * <p>Reading reproduces record_dirty() of 7.2 exactly, including what it reports for a
 * contiguous entry: from the item the walk is at to the entry's last item, exclusive
 * (log2_set_mod_max() is the last index, not one past it). So a dirty 4 KiB page reports its
 * first 2 KiB, a dirty 2 MiB page (two 1 MiB items) its first 1 MiB, and a walk that starts
 * on an entry's last item reports a zero-length range; a single item reports its whole size
 * from where the walk is, even past the end of the range read. The kernel oracle confirms
 * these (native/examples/dirty-bitmap.c).
 */
final class MockPageTable {
    /** PT_GRANULE_LG2SZ of the mock format: 2 KiB. */
    static final int GRANULE_LG2 = 11;
    /** PT_TABLEMEM_LG2SZ - ilog2(sizeof(u64)): 512 items per table. */
    static final int ITEMS_LG2 = 9;

    /**
     * A run of equal leaf entries, as one map_pages call makes them: count leaves of
     * 2^sizeLg2 bytes from iova, each made of 2^(sizeLg2 - itemLg2) items of 2^itemLg2 bytes.
     */
    private static final class Run {
        final long iova;
        final long count;
        final int sizeLg2;
        final int itemLg2;
        /** The dirty bit of every item of the run, by item number from iova. */
        final BitSet dirty = new BitSet();

        Run(long iova, int sizeLg2, long count) {
            this.iova = iova;
            this.count = count;
            this.sizeLg2 = sizeLg2;
            this.itemLg2 = GRANULE_LG2 + ITEMS_LG2 * ((sizeLg2 - GRANULE_LG2) / ITEMS_LG2);
        }

        long last() {
            return iova + (count << sizeLg2) - 1;
        }

        /** Items per leaf: 1, or the 2^n items of a contiguous entry. */
        int itemsPerLeaf() {
            return 1 << (sizeLg2 - itemLg2);
        }

        int item(long at) {
            return Math.toIntExact((at - iova) >>> itemLg2);
        }
    }

    /** Runs by first IOVA. */
    private final TreeMap<Long, Run> runs = new TreeMap<>();

    /** The number of leaf entries (for tests). */
    long leafCount() {
        long n = 0;
        for (Run r : runs.values()) {
            n += r.count;
        }
        return n;
    }

    /**
     * map_pages(): pgcount leaves of pgsize from iova, each a single item of its level or a
     * contiguous entry. iommufd never maps over a mapping.
     */
    void map(long iova, long pgsize, long pgcount) {
        runs.put(iova, new Run(iova, Long.numberOfTrailingZeros(pgsize), pgcount));
    }

    /** unmap_pages(): every leaf that starts inside [iova, iova + size) goes, dirty bits with it. */
    void unmap(long iova, long size) {
        runs.subMap(iova, true, iova + size - 1, true).clear();
    }

    private Run runAt(long iova) {
        Map.Entry<Long, Run> e = runs.floorEntry(iova);
        if (e == null || Long.compareUnsigned(iova, e.getValue().last()) > 0) {
            return null;
        }
        return e.getValue();
    }

    /** set_dirty() of the page table (the selftest's hook): the item holding iova becomes dirty. */
    void setDirty(long iova) {
        Run run = runAt(iova);
        if (run == null) {
            throw fail(ENOENT, "mock: iova 0x%x is not mapped", iova);
        }
        run.dirty.set(run.item(iova));
    }

    /**
     * read_and_clear_dirty() (__read_and_clear_dirty and record_dirty): one visit per leaf in
     * [iova, iova + size), in IOVA order; a leaf with a dirty item is recorded and, unless
     * NO_CLEAR, all its items made clean. Only dirty items are looked at.
     */
    void readAndClearDirty(long iova, long size, long flags, DirtyBitmap dirty) {
        long last = iova + size - 1;
        Run first = runAt(iova);
        long from = first != null ? first.iova : iova;
        for (Run run : runs.subMap(from, true, last, true).values()) {
            int perLeaf = run.itemsPerLeaf();
            int lo = Long.compareUnsigned(iova, run.iova) > 0 ? run.item(iova) / perLeaf * perLeaf : 0;
            // the last item of the leaf holding last: the walk looks at a whole leaf's dirty bits
            long hiItem = Long.compareUnsigned(last, run.last()) < 0 ? (run.item(last) / perLeaf + 1) * perLeaf - 1
                    : run.count * perLeaf - 1;
            for (int i = run.dirty.nextSetBit(lo); i >= 0 && i <= hiItem; i = run.dirty.nextSetBit(i)) {
                int leaf = i / perLeaf;
                long leafIova = run.iova + ((long) leaf << run.sizeLg2);
                recordLeaf(leafIova, run, iova, last, dirty);
                int next = (leaf + 1) * perLeaf;
                if ((flags & DirtyBitmap.IOMMU_DIRTY_NO_CLEAR) == 0) {
                    run.dirty.clear(leaf * perLeaf, next);
                }
                i = next;
            }
        }
    }

    /**
     * record_dirty() for one dirty leaf. The walk is at the range's start inside the first leaf,
     * else at the leaf's start; a single item is reported whole from there, a contiguous entry
     * from the walk's item to its last item, exclusive, cut at the range's end.
     */
    private static void recordLeaf(long leafIova, Run run, long iova, long last, DirtyBitmap dirty) {
        long va = Long.compareUnsigned(iova, leafIova) > 0 ? iova : leafIova;
        int perLeaf = run.itemsPerLeaf();
        long length;
        if (perLeaf == 1) {
            length = 1L << run.itemLg2;
        } else {
            long index = (va - leafIova) >>> run.itemLg2;
            long endIndex = perLeaf - 1; // log2_set_mod_max(): the last item
            long leafLast = leafIova + (1L << run.sizeLg2) - 1;
            if (Long.compareUnsigned(last, leafLast) < 0) {
                endIndex = Math.min(endIndex, ((last - leafIova) >>> run.itemLg2) + 1); // pts->end_index
            }
            length = (endIndex - index) << run.itemLg2;
        }
        dirty.record(va, length);
    }
}
