package dev.iommufdsim.kernel.spi;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leaf IOPTEs of one paging domain with their write-dirty bits, for drivers that keep
 * IOPTEs (domains with dirty tracking, see {@link IommuInstance#mapPages}). Modelled on the
 * kernel's generic page table library (drivers/iommu/generic_pt/iommu_pt.h: map_pages,
 * unmap_pages, read_and_clear_dirty with record_dirty, set_dirty), which VT-d's second stage
 * (fmt/vtdss.h) and the selftest's mock (fmt/amdv1.h as iommu_mock.c) use in 7.2; the SMMUv3
 * still uses io-pgtable-arm.c, whose writable leaves start dirty and whose dirty walk follows
 * a walk address, not the leaves ({@link Format#ioPgtableArm}).
 *
 * <p>A format has items of 2^(granule + itemsPerTable * L) bytes at level L (the sizes a table
 * entry of that level maps). A leaf of another power-of-two size is a contiguous entry: the
 * items of the level below it that it spans all carry it. Every item has its own dirty bit;
 * a leaf is dirty when any of its items is. VT-d and ARM leaves are always single items.
 *
 * <p>Not thread-safe; the kernel calls a domain's hooks one at a time.
 */
public final class IoPageTable {
    /**
     * The page-table format: its granule, table size, and which walk reads the dirty bits.
     *
     * @param granuleLg2 PT_GRANULE_LG2SZ: the smallest item
     * @param itemsLg2   log2 of the items of one table (PT_TABLEMEM_LG2SZ - 3)
     * @param armWalk    io-pgtable-arm.c's walk instead of generic_pt's
     */
    public record Format(int granuleLg2, int itemsLg2, boolean armWalk) {
        /** A generic_pt format (vtdss: 12, 9; the selftest mock: 11, 9). */
        public static Format genericPt(int granuleLg2, int itemsLg2) {
            return new Format(granuleLg2, itemsLg2, false);
        }

        /** io-pgtable-arm.c's LPAE format with a 4K, 16K or 64K granule (8-byte entries). */
        public static Format ioPgtableArm(int granuleLg2) {
            return new Format(granuleLg2, granuleLg2 - 3, true);
        }

        /** The item size of the level that holds a leaf of 2^sizeLg2 bytes. */
        int itemLg2(int sizeLg2) {
            return granuleLg2 + itemsLg2 * ((sizeLg2 - granuleLg2) / itemsLg2);
        }
    }

    /**
     * A run of equal leaf entries, as one map_pages call makes them: count leaves of
     * 2^sizeLg2 bytes from iova, each made of 2^(sizeLg2 - itemLg2) items of 2^itemLg2 bytes.
     */
    private static final class Run {
        final long iova;
        final long count;
        final int sizeLg2;
        final int itemLg2;
        final boolean writable;
        /** The dirty bit of every item of the run, by item number from iova. */
        final BitSet dirty = new BitSet();

        Run(long iova, int sizeLg2, int itemLg2, long count, boolean writable) {
            this.iova = iova;
            this.count = count;
            this.sizeLg2 = sizeLg2;
            this.itemLg2 = itemLg2;
            this.writable = writable;
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

    private final Format format;
    /** Runs by first IOVA. */
    private final TreeMap<Long, Run> runs = new TreeMap<>();

    public IoPageTable(Format format) {
        this.format = format;
    }

    public Format format() {
        return format;
    }

    /** The number of leaf entries. */
    public long leafCount() {
        long n = 0;
        for (Run r : runs.values()) {
            n += r.count;
        }
        return n;
    }

    /**
     * map_pages(): pgcount leaves of pgsize from iova, each a single item of its level or a
     * contiguous entry; writable when prot has IOMMU_WRITE. iommufd never maps over a mapping.
     * generic_pt's leaves start clean; io-pgtable-arm.c's writable leaves start dirty:
     * arm_lpae_prot_to_pte() with IO_PGTABLE_QUIRK_ARM_HD sets DBM without AP_RDONLY, which
     * iopte_writeable_dirty() reads as dirty until a read_and_clear_dirty makes it writable-clean.
     */
    public void map(long iova, long pgsize, long pgcount, int prot) {
        int sizeLg2 = Long.numberOfTrailingZeros(pgsize);
        boolean writable = (prot & ResvRegion.IOMMU_WRITE) != 0;
        Run run = new Run(iova, sizeLg2, format.itemLg2(sizeLg2), pgcount, writable);
        if (format.armWalk() && writable) {
            run.dirty.set(0, Math.toIntExact(pgcount * run.itemsPerLeaf()));
        }
        runs.put(iova, run);
    }

    /** unmap_pages(): every leaf that starts inside [iova, iova + size) goes, dirty bits with it. */
    public void unmap(long iova, long size) {
        runs.subMap(iova, true, iova + size - 1, true).clear();
    }

    private Run runAt(long iova) {
        Map.Entry<Long, Run> e = runs.floorEntry(iova);
        if (e == null || Long.compareUnsigned(iova, e.getValue().last()) > 0) {
            return null;
        }
        return e.getValue();
    }

    /** pt_iommu_ops.set_dirty (the selftest's hook): the item holding iova becomes dirty; ENOENT when unmapped. */
    public void setDirty(long iova) {
        Run run = runAt(iova);
        if (run == null) {
            throw fail(ENOENT, "iova 0x%x is not mapped", iova);
        }
        run.dirty.set(run.item(iova));
    }

    /**
     * The first address of [iova, iova + length) that no writable leaf maps, or -1 when a
     * device may write the whole range (length 1 or more, not wrapping).
     */
    public long firstUnwritable(long iova, long length) {
        long last = iova + length - 1;
        long at = iova;
        while (true) {
            Run run = runAt(at);
            if (run == null || !run.writable) {
                return at;
            }
            if (Long.compareUnsigned(run.last(), last) >= 0) {
                return -1;
            }
            at = run.last() + 1;
        }
    }

    /**
     * A device's DMA write of [iova, iova + length) with hardware dirty tracking on: the
     * hardware sets the dirty bit of every item it writes through (the selftest's set_dirty
     * on each). A range with an unmapped or read-only byte is a DMA fault (EFAULT) and
     * changes nothing.
     */
    public void writeDirty(long iova, long length) {
        long fault = firstUnwritable(iova, length);
        if (fault != -1) {
            throw fail(EFAULT, "iova 0x%x is %s", fault, runAt(fault) == null ? "not mapped" : "mapped read-only");
        }
        long last = iova + length - 1;
        long at = iova;
        while (true) {
            Run run = runAt(at);
            long runEnd = Long.compareUnsigned(run.last(), last) < 0 ? run.last() : last;
            run.dirty.set(run.item(at), run.item(runEnd) + 1);
            if (runEnd == last) {
                return;
            }
            at = runEnd + 1;
        }
    }

    /**
     * read_and_clear_dirty(): one visit per leaf in [iova, iova + size), in IOVA order; a leaf
     * with a dirty item is recorded and, unless {@link DirtyBitmap#IOMMU_DIRTY_NO_CLEAR}, all
     * its items made clean. Only dirty items are looked at. Where a leaf is reported is the
     * format's walk's business (recordGenericPt; io-pgtable-arm: readAndClearDirtyArm).
     */
    public void readAndClearDirty(long iova, long size, long flags, DirtyBitmap dirty) {
        if (format.armWalk()) {
            readAndClearDirtyArm(iova, size, flags, dirty);
            return;
        }
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
                recordGenericPt(leafIova, run, iova, last, dirty);
                int next = (leaf + 1) * perLeaf;
                if ((flags & DirtyBitmap.IOMMU_DIRTY_NO_CLEAR) == 0) {
                    run.dirty.clear(leaf * perLeaf, next);
                }
                i = next;
            }
        }
    }

    /**
     * arm_lpae_read_and_clear_dirty(): __arm_lpae_iopte_walk() from walk address iova while it
     * is below iova + size; io_pgtable_visit() visits the entry that holds the address and a
     * leaf advances it by the leaf's size, so the address keeps the offset it has in the
     * first leaf, and where leaf sizes change a later leaf may be stepped over. visit_dirty()
     * records a dirty leaf at the walk address with its whole size and, unless
     * IOMMU_DIRTY_NO_CLEAR, makes it writable-clean. An entry that is neither leaf nor table
     * ends the walk: EINVAL, with what was recorded before it kept.
     */
    private void readAndClearDirtyArm(long iova, long size, long flags, DirtyBitmap dirty) {
        long last = iova + size - 1;
        long at = iova;
        while (Long.compareUnsigned(at, last) <= 0) {
            Run run = runAt(at);
            if (run == null) {
                throw fail(EINVAL, "iova 0x%x is not mapped (io_pgtable_visit: neither leaf nor table)", at);
            }
            int perLeaf = run.itemsPerLeaf();
            int first = run.item(at) / perLeaf * perLeaf;
            int set = run.dirty.nextSetBit(first);
            if (set >= 0 && set < first + perLeaf) {
                dirty.record(at, 1L << run.sizeLg2);
                if ((flags & DirtyBitmap.IOMMU_DIRTY_NO_CLEAR) == 0) {
                    run.dirty.clear(first, first + perLeaf);
                }
            }
            long next = at + (1L << run.sizeLg2);
            if (Long.compareUnsigned(next, at) < 0) {
                return; // past the top of the address space
            }
            at = next;
        }
    }

    /**
     * record_dirty() of generic_pt for one dirty leaf, exactly as 7.2 has it. The walk is at the
     * range's start inside the first leaf, else at the leaf's start; a single item is reported
     * whole from there (even past the end of the range read), a contiguous entry from the
     * walk's item to its last item, exclusive (log2_set_mod_max() is the last index, not one
     * past it), cut at the range's end. So the mock's dirty 4 KiB page (two 2 KiB items)
     * reports its first 2 KiB; the kernel oracle confirms it (native/examples/dirty-bitmap.c).
     */
    private static void recordGenericPt(long leafIova, Run run, long iova, long last, DirtyBitmap dirty) {
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
