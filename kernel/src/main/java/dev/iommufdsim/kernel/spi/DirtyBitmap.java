package dev.iommufdsim.kernel.spi;

/**
 * struct iommu_dirty_bitmap (include/linux/iommu.h) as a driver's read_and_clear_dirty sees
 * it: where the driver reports the IOVA ranges its IOPTEs say were written. The kernel turns
 * each record into bits of the user's bitmap (iova_bitmap_set), or into nothing when it only
 * clears the dirty bits (iopt_clear_dirty_data, on enabling tracking).
 */
@FunctionalInterface
public interface DirtyBitmap {
    /** IOMMU_DIRTY_NO_CLEAR: read the dirty bits and leave them set (the uAPI's GET_DIRTY_BITMAP_NO_CLEAR). */
    long IOMMU_DIRTY_NO_CLEAR = 1;

    /**
     * iommu_dirty_bitmap_record(): [iova, iova + length) was written. The kernel takes the
     * range as given, also a length of 0 or a range past the one it asked for, as the kernel
     * does.
     */
    void record(long iova, long length);
}
