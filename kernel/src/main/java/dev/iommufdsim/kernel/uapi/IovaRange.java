package dev.iommufdsim.kernel.uapi;

/** struct iommu_iova_range: a closed range [start, last] of unsigned 64-bit IOVAs. */
public record IovaRange(long start, long last) {
    @Override
    public String toString() {
        return String.format("0x%x..0x%x", start, last);
    }
}
