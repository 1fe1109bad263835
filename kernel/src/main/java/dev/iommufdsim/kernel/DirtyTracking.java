package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DirtyBitmap;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.uapi.IommufdException;

/**
 * Dirty tracking of a paging HWPT over its IOAS, the dirty half of io_pagetable.c:
 * iopt_set_dirty_tracking() with iopt_clear_dirty_data(), and iopt_read_and_clear_dirty_data()
 * with iommufd_check_iova_range(), iommu_read_and_clear_dirty() and
 * __iommu_read_and_clear_dirty(). The IOPTEs and their dirty bits are the driver's
 * (IommuInstance.readAndClearDirty); the user's bitmap is an {@link IovaBitmap}.
 */
final class DirtyTracking {
    private DirtyTracking() {
    }

    /** A domain allocated without IOMMU_HWPT_ALLOC_DIRTY_TRACKING has no dirty_ops. */
    private static void requireDirtyOps(HwptPaging hwpt) {
        if (!hwpt.domain().dirtyTracking()) {
            throw fail(EOPNOTSUPP, "hwpt %d was allocated without IOMMU_HWPT_ALLOC_DIRTY_TRACKING: its domain has no dirty_ops", hwpt.id());
        }
    }

    /**
     * iopt_set_dirty_tracking(): before enabling, the dirty bits of every area are cleared so
     * the first bitmap starts clean (iopt_clear_dirty_data: a driver error there fails the
     * call before the driver's set_dirty_tracking).
     */
    static void setDirtyTracking(HwptPaging hwpt, boolean enable) {
        requireDirtyOps(hwpt);
        PagingDomain d = hwpt.domain();
        if (enable) {
            DirtyBitmap nothing = (iova, length) -> {
            };
            for (Area a : hwpt.ioas().iopt().areas()) {
                hwpt.owner.readAndClearDirty(d, a.iova(), a.length(), 0, nothing);
            }
        }
        hwpt.owner.setDirtyTracking(d, enable);
    }

    /**
     * iommufd_check_iova_range(): the range must not wrap, must be aligned to the IOAS's IOVA
     * alignment and to page_size. page_size need not be a power of two: its lowest set bit
     * gives the bitmap's granule (__ffs), and the alignment checks use page_size - 1.
     */
    static void checkIovaRange(IoPagetable iopt, long iova, long length, long pageSize) {
        long lastIova = iova + (length - 1);
        if (Long.compareUnsigned(lastIova, iova) < 0) {
            throw fail(EOVERFLOW, "iova 0x%x + length 0x%x - 1 overflows", iova, length);
        }
        long align = iopt.iovaAlignment();
        if ((iova & (align - 1)) != 0 || ((lastIova + 1) & (align - 1)) != 0) {
            throw fail(EINVAL, "range 0x%x-0x%x is not aligned to the IOAS's IOVA alignment 0x%x", iova, lastIova, align);
        }
        if (pageSize == 0) {
            throw fail(EINVAL, "page_size is 0");
        }
        if ((iova & (pageSize - 1)) != 0 || ((lastIova + 1) & (pageSize - 1)) != 0) {
            throw fail(EINVAL, "range 0x%x-0x%x is not aligned to page_size 0x%x", iova, lastIova, pageSize);
        }
    }

    /**
     * iopt_read_and_clear_dirty_data(): the range checks, then (iommu_read_and_clear_dirty) a
     * domain without dirty_ops is EOPNOTSUPP, then the driver reads every run of contiguous
     * areas from iova on. What it reports becomes bits of the user's bitmap. The walk's own
     * result is dropped (iova_bitmap_for_each's return value is ignored in 7.2), so a range
     * that is unmapped or ends in a hole still succeeds, with only the mapped prefix read.
     */
    static IovaBitmap readAndClearDirtyData(HwptPaging hwpt, long flags, long iova, long length, long pageSize, long data,
                                            IovaBitmap.Pinner pinner) {
        IoPagetable iopt = hwpt.ioas().iopt();
        checkIovaRange(iopt, iova, length, pageSize);
        requireDirtyOps(hwpt);
        IovaBitmap bitmap = new IovaBitmap(iova, length, pageSize, data, pinner);
        try {
            readAndClearContig(hwpt, flags, iova, iova + (length - 1), bitmap::set);
        } catch (IommufdException e) {
            // dropped by iommu_read_and_clear_dirty()
        }
        return bitmap;
    }

    /**
     * __iommu_read_and_clear_dirty(): the driver's read_and_clear_dirty over each area of the
     * run of contiguous areas that starts at iova (iopt_for_each_contig_area). EINVAL when the
     * run ends before lastIova.
     */
    private static void readAndClearContig(HwptPaging hwpt, long flags, long iova, long lastIova, DirtyBitmap dirty) {
        IoPagetable iopt = hwpt.ioas().iopt();
        long cur = iova;
        Area a = iopt.areaAt(cur);
        while (a != null) {
            long last = Long.compareUnsigned(lastIova, a.last()) < 0 ? lastIova : a.last();
            hwpt.owner.readAndClearDirty(hwpt.domain(), cur, last - cur + 1, flags, dirty);
            if (Long.compareUnsigned(lastIova, a.last()) <= 0) {
                return;
            }
            cur = a.last() + 1;
            a = iopt.areaAt(cur);
        }
        throw fail(EINVAL, "0x%x is not mapped: the range 0x%x-0x%x is not contiguously mapped", cur, iova, lastIova);
    }
}
