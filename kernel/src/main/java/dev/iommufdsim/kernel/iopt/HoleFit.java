package dev.iommufdsim.kernel.iopt;

/**
 * The alignment test of automatic IOVA allocation, {@code __alloc_iova_check_range()} of
 * drivers/iommu/iommufd/io_pagetable.c, with its exact unsigned arithmetic (quirks included:
 * the aligned start must be strictly below the hole's last address even for a length of 1).
 * {@link IntervalMap#findFirstFit} applies it to every candidate hole; it is public so the
 * io_pagetable logic can apply the same test to holes it assembles itself (for example holes
 * of the union of the areas and the reserved ranges).
 */
public final class HoleFit {
    /** Returned when a hole cannot hold the request; never a real answer, see {@link IntervalMap#NO_FIT}. */
    public static final long NO_FIT = -1L;

    private HoleFit() {
    }

    /**
     * Applies {@code __alloc_iova_check_range} to the hole {@code [start, last]}:
     * {@code aligned = start + (align - 1)} (the hole is rejected if this unsigned add
     * overflows), {@code aligned &= ~(align - 1)}, {@code aligned |= pageOffset}; the hole is
     * rejected if {@code aligned >= last} or {@code last - aligned < length - 1} (unsigned).
     *
     * @param start      first address of the hole
     * @param last       last address of the hole, inclusive
     * @param length     requested length in bytes, {@code >= 1}
     * @param align      requested alignment, a power of two {@code >= 1}
     * @param pageOffset low bits OR-ed into the aligned start (the offset of the user address
     *                   inside its page)
     * @return the aligned start, or {@link #NO_FIT} if the hole is rejected
     */
    public static long check(long start, long last, long length, long align, long pageOffset) {
        long aligned = start + (align - 1);
        if (Long.compareUnsigned(aligned, start) < 0) {
            return NO_FIT; // check_add_overflow
        }
        aligned &= ~(align - 1);
        aligned |= pageOffset;
        if (Long.compareUnsigned(aligned, last) >= 0 || Long.compareUnsigned(last - aligned, length - 1) < 0) {
            return NO_FIT;
        }
        return aligned;
    }

    /**
     * The smallest hole, in addresses, that {@link #check} can accept for {@code length}: a
     * smaller hole is rejected whatever its alignment, which is what lets the trees prune.
     * It is {@code max(length, 2)}, because the aligned start must lie strictly below the last
     * address.
     */
    static long minHoleSize(long length) {
        return Long.compareUnsigned(length, 2) < 0 ? 2 : length;
    }

    /** Throws unless {@code align} is a power of two and {@code length} is not 0. */
    static void checkRequest(long length, long align) {
        if (length == 0) {
            throw new IllegalArgumentException("length is 0");
        }
        if (align == 0 || (align & (align - 1)) != 0) {
            throw new IllegalArgumentException("align 0x" + Long.toHexString(align) + " is not a power of two");
        }
    }
}
