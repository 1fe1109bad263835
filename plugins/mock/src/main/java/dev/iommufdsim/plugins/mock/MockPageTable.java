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

    /** One leaf entry: [iova, iova + 2^sizeLg2), made of items of 2^itemLg2 bytes. */
    private static final class Leaf {
        final long iova;
        final int sizeLg2;
        final int itemLg2;
        /** The dirty bit of each item, by index in the leaf (null: all clean). */
        BitSet dirty;

        Leaf(long iova, int sizeLg2) {
            this.iova = iova;
            this.sizeLg2 = sizeLg2;
            this.itemLg2 = GRANULE_LG2 + ITEMS_LG2 * ((sizeLg2 - GRANULE_LG2) / ITEMS_LG2);
        }

        long last() {
            return iova + (1L << sizeLg2) - 1;
        }

        int items() {
            return 1 << (sizeLg2 - itemLg2);
        }

        boolean isDirty() {
            return dirty != null && !dirty.isEmpty();
        }
    }

    /** Leaves by first IOVA. */
    private final TreeMap<Long, Leaf> leaves = new TreeMap<>();

    /** The number of leaf entries (for tests). */
    int leafCount() {
        return leaves.size();
    }

    /**
     * map_pages(): pgcount leaves of pgsize from iova. iommufd never maps over a mapping, so a
     * leaf already there is simply replaced.
     */
    void map(long iova, long pgsize, long pgcount) {
        int lg2 = Long.numberOfTrailingZeros(pgsize);
        for (long i = 0; i < pgcount; i++) {
            long at = iova + i * pgsize;
            leaves.put(at, new Leaf(at, lg2));
        }
    }

    /** unmap_pages(): every leaf that starts inside [iova, iova + size) goes, dirty bits with it. */
    void unmap(long iova, long size) {
        leaves.subMap(iova, true, iova + size - 1, true).clear();
    }

    private Leaf leafAt(long iova) {
        Map.Entry<Long, Leaf> e = leaves.floorEntry(iova);
        if (e == null || Long.compareUnsigned(iova, e.getValue().last()) > 0) {
            return null;
        }
        return e.getValue();
    }

    /** set_dirty() of the page table (the selftest's hook): the item holding iova becomes dirty. */
    void setDirty(long iova) {
        Leaf leaf = leafAt(iova);
        if (leaf == null) {
            throw fail(ENOENT, "mock: iova 0x%x is not mapped", iova);
        }
        if (leaf.dirty == null) {
            leaf.dirty = new BitSet(leaf.items());
        }
        leaf.dirty.set((int) ((iova - leaf.iova) >>> leaf.itemLg2));
    }

    /**
     * read_and_clear_dirty() (__read_and_clear_dirty and record_dirty): one visit per leaf in
     * [iova, iova + size), in IOVA order; a dirty leaf is recorded and, unless NO_CLEAR, all
     * its items made clean.
     */
    void readAndClearDirty(long iova, long size, long flags, DirtyBitmap dirty) {
        long last = iova + size - 1;
        Map.Entry<Long, Leaf> first = leaves.floorEntry(iova);
        long from = first != null && Long.compareUnsigned(iova, first.getValue().last()) <= 0 ? first.getKey() : iova;
        for (Leaf leaf : leaves.subMap(from, true, last, true).values()) {
            if (!leaf.isDirty()) {
                continue;
            }
            // the walk's position: where the range starts inside the first leaf, else the leaf's start
            long va = Long.compareUnsigned(iova, leaf.iova) > 0 ? iova : leaf.iova;
            long length;
            if (leaf.items() == 1) {
                length = 1L << leaf.itemLg2;
            } else {
                long index = (va - leaf.iova) >>> leaf.itemLg2;
                long endIndex = leaf.items() - 1; // log2_set_mod_max(): the last item
                if (Long.compareUnsigned(last, leaf.last()) < 0) {
                    endIndex = Math.min(endIndex, ((last - leaf.iova) >>> leaf.itemLg2) + 1); // pts->end_index
                }
                length = (endIndex - index) << leaf.itemLg2;
            }
            dirty.record(va, length);
            if ((flags & DirtyBitmap.IOMMU_DIRTY_NO_CLEAR) == 0) {
                leaf.dirty = null;
            }
        }
    }
}
