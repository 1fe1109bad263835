package dev.iommufdsim.kernel.spi;

/**
 * struct iommu_resv_region: one reserved region of a device, as a driver's
 * get_resv_regions reports it.
 *
 * @param start  first IOVA of the region
 * @param length length in bytes (the kernel refuses 0)
 * @param prot   IOMMU_READ (1) | IOMMU_WRITE (2) | IOMMU_MMIO (8) ...; informational here
 * @param type   the region type
 * @param source where the region comes from, for people ("IORT RMR node 2", "RMRR 0", "SW_MSI")
 */
public record ResvRegion(long start, long length, int prot, ResvType type, String source) {
    public static final int IOMMU_READ = 1 << 0;
    public static final int IOMMU_WRITE = 1 << 1;
    public static final int IOMMU_NOEXEC = 1 << 3;
    public static final int IOMMU_MMIO = 1 << 4;

    /** The inclusive last IOVA, start + length - 1 (the kernel's "last"). */
    public long last() {
        return start + length - 1;
    }
}
