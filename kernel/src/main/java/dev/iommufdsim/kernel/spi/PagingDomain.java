package dev.iommufdsim.kernel.spi;

/**
 * A paging domain as a driver allocated it (struct iommu_domain of type UNMANAGED): its
 * geometry and page sizes, which iopt_table_add_domain turns into reserved ranges and the
 * IOAS alignment.
 *
 * @param apertureStart   domain->geometry.aperture_start
 * @param apertureEnd     domain->geometry.aperture_end (inclusive)
 * @param pgsizeBitmap    domain->pgsize_bitmap; its lowest bit is the smallest page size
 * @param dirtyTracking   the domain has dirty_ops (allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
 * @param driverState     whatever the driver wants to keep with the domain (opaque to the kernel)
 */
public record PagingDomain(long apertureStart, long apertureEnd, long pgsizeBitmap,
                           boolean dirtyTracking, Object driverState) implements IommuDomain {
    /** The smallest page size, 1UL << __ffs(pgsize_bitmap). */
    public long minPageSize() {
        return Long.lowestOneBit(pgsizeBitmap);
    }
}
