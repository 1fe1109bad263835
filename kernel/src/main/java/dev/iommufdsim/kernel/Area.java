package dev.iommufdsim.kernel;

/**
 * struct iopt_area: one mapping [iova, last] of an IOAS onto a slice of {@link Pages}.
 *
 * @param iova      first IOVA
 * @param last      last IOVA, inclusive
 * @param iommuProt IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE as conv_iommu_prot() builds it
 * @param pages     the user memory
 * @param startByte offset of the first byte from pages.uptr (so page_offset = startByte % PAGE_SIZE)
 */
public record Area(long iova, long last, int iommuProt, Pages pages, long startByte) {
    public static final int IOMMU_READ = 1 << 0;
    public static final int IOMMU_WRITE = 1 << 1;
    public static final int IOMMU_CACHE = 1 << 2;

    public long length() {
        return last - iova + 1;
    }

    /** area->page_offset. */
    public long pageOffset() {
        return startByte % dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
    }

    /** The user VA behind an IOVA of this area. */
    public long userVa(long iovaInArea) {
        return pages.uptr() + startByte + (iovaInArea - iova);
    }

    /** iopt_area_start_byte(area, iova): the byte offset in pages of an IOVA of this area. */
    long startByteAt(long iovaInArea) {
        return startByte + (iovaInArea - iova);
    }

    /** iopt_area_index(): the page index of its first byte in the pages. */
    public long index() {
        return startByte / dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
    }

    /** iopt_area_last_index(): the page index of its last byte. */
    public long lastIndex() {
        return (startByte + length() - 1) / dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
    }

    /** iopt_area_iova_to_index(). */
    long iovaToIndex(long iovaInArea) {
        return startByteAt(iovaInArea) / dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
    }
}
