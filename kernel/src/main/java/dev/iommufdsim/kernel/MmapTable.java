package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOSPC;
import static dev.iommufdsim.kernel.uapi.Errno.ENXIO;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * ictx->mt_mmap (main.c, driver.c): the regions drivers offer for mmap() on the iommufd, keyed
 * by their offset, and the live mappings of them (each holds a reference on the region's owner,
 * so DESTROY of the owner is EBUSY while mapped).
 */
public final class MmapTable {
    /** struct iommufd_mmap. */
    record Immap(IommufdObject owner, long start, long length, byte[] contents) {
    }

    /** A vma mapping a region (iommufd_vma_ops); dropped once by {@link IommufdCtx#munmap}. */
    public static final class Vma {
        final Immap immap;
        boolean closed;

        Vma(Immap immap) {
            this.immap = immap;
        }

        /** The bytes the mapping shows: the region's contents, zero-filled to its length. */
        public byte[] contents() {
            return Arrays.copyOf(immap.contents, (int) immap.length);
        }

        public long length() {
            return immap.length;
        }
    }

    private final TreeMap<Long, Immap> regions = new TreeMap<>(Long::compareUnsigned);
    private final List<Vma> live = new ArrayList<>();

    /** _iommufd_alloc_mmap(): mtree_alloc_range() of the first free range from PAGE_SIZE. */
    long alloc(IommufdObject owner, byte[] contents, long length) {
        if (length == 0 || Long.remainderUnsigned(length, PAGE_SIZE) != 0 || length > Integer.MAX_VALUE) {
            throw fail(EINVAL, "mmap region length 0x%x is not a non-zero multiple of PAGE_SIZE", length);
        }
        long start = PAGE_SIZE;
        for (Map.Entry<Long, Immap> e : regions.entrySet()) {
            if (Long.compareUnsigned(e.getKey() - start, length) >= 0 && Long.compareUnsigned(e.getKey(), start) >= 0) {
                break;
            }
            start = Math.max(start, e.getKey() + e.getValue().length);
        }
        if (Long.compareUnsigned(start + length - 1, start) < 0) {
            throw fail(ENOSPC, "no free mmap range of 0x%x bytes", length);
        }
        regions.put(start, new Immap(owner, start, length, contents.clone()));
        return start;
    }

    /** iommufd_viommu_destroy_mmap() of every region of owner. */
    void removeOwner(IommufdObject owner) {
        regions.values().removeIf(m -> m.owner == owner);
    }

    /**
     * iommufd_fops_mmap(): EINVAL unless MAP_SHARED, EPERM with PROT_EXEC, ENXIO unless offset
     * and length are exactly a region's; the new mapping holds the owner.
     */
    Vma map(long offset, long length, boolean shared, boolean exec) {
        if (Long.remainderUnsigned(length, PAGE_SIZE) != 0) {
            throw fail(EINVAL, "mmap length 0x%x is not page aligned", length);
        }
        if (!shared) {
            throw fail(EINVAL, "iommufd regions are mapped MAP_SHARED only");
        }
        if (exec) {
            throw fail(EPERM, "iommufd regions cannot be mapped PROT_EXEC");
        }
        Map.Entry<Long, Immap> e = regions.floorEntry(offset);
        Immap m = e == null || Long.compareUnsigned(offset - e.getKey(), e.getValue().length) >= 0 ? null : e.getValue();
        if (m == null) {
            throw fail(ENXIO, "no mmap region at offset 0x%x", offset);
        }
        if (m.start != offset || m.length != length) {
            throw fail(ENXIO, "offset 0x%x length 0x%x is not exactly the region [0x%x, +0x%x)", offset, length, m.start, m.length);
        }
        m.owner.get();
        Vma v = new Vma(m);
        live.add(v);
        return v;
    }

    /** iommufd_fops_vma_close(): the mapping's reference on the owner goes. */
    void unmap(Vma v) {
        if (!v.closed) {
            v.closed = true;
            live.remove(v);
            v.immap.owner.put();
        }
    }

    /** The process's mappings go before its objects (exit_mmap before the last fput). */
    void closeAll() {
        for (Vma v : List.copyOf(live)) {
            unmap(v);
        }
    }
}
