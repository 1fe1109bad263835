package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * struct iova_bitmap (drivers/iommu/iommufd/iova_bitmap.c): the user's dirty bitmap of
 * IOMMU_HWPT_GET_DIRTY_BITMAP, one bit per page_size of [iova, iova + length), as the kernel
 * writes it: it pins a window of the bitmap's pages (at most PAGE_SIZE / sizeof(struct page *)
 * of them, from the byte of the first bit it needs), sets bits in the pinned pages, and moves
 * the window when a range falls outside it. What it cannot pin is dropped without an error,
 * and a range longer than the bitmap sets bits past its end, up to the end of the last pinned
 * page, exactly as iova_bitmap_set() does. The bytes are u8 words (7.2's iova_bitmap).
 *
 * <p>The emulator holds no user bytes, so the result is what the kernel ORs into the user's
 * memory: {@link #writes()} (for a real process) or {@link #dirtyRanges()} (for people).
 */
public final class IovaBitmap {
    /** BITS_PER_PAGE. */
    private static final long BITS_PER_PAGE = PAGE_SIZE * 8;
    /** PAGE_SIZE / sizeof(struct page *): the most pages one window pins. */
    private static final long MAX_PINNED_PAGES = PAGE_SIZE / 8;
    /**
     * Window moves after which one iova_bitmap_set() gives up. The kernel's loop ends by
     * itself except for a zero-length range at the window's start (the mock's record_dirty()
     * gives one when a read starts on a contiguous entry's last item): last_bit wraps, the
     * whole window is set, and the "left" arithmetic lands on the same window again, forever.
     * The 7.2 oracle hangs there (native/examples/dirty-bitmap.c, "zero-length"); the emulator
     * returns with {@link #gaveUp()}.
     */
    private static final int MAX_WINDOW_MOVES = 1 << 16;

    /** pin_user_pages_fast() of the bitmap: whether every page of [va, va + length) can be pinned for writing. */
    @FunctionalInterface
    public interface Pinner {
        boolean canPin(long va, long length);
    }

    /** Bytes the kernel sets bits in: OR bits into the user's memory at va. */
    public record Write(long va, byte[] bits) {
    }

    private final long iova;
    private final long length;
    private final long pageSize;
    private final long data;
    /** mapped.pgshift = __ffs(page_size). */
    private final int pgshift;
    /** mapped_total_index: bytes of bitmap the IOVA range needs. */
    private final long mappedTotalIndex;
    private final Pinner pinner;
    private final Map<Long, Boolean> pinnable = new HashMap<>();

    /** mapped_base_index: the byte of the bitmap the window starts at. */
    private long mappedBaseIndex;
    /** struct iova_bitmap_map: the pinned window. */
    private long mappedIova;
    private long mappedLength;
    private long mappedPgoff;
    private long mappedNpages;
    private long mappedFirstPage;

    /** The bits set, per pinned user page (its address). */
    private final TreeMap<Long, byte[]> pages = new TreeMap<>();
    private boolean gaveUp;

    /**
     * iova_bitmap_alloc(): nothing pinned yet. The caller has checked what
     * iommufd_check_iova_range() checks (page_size is not 0).
     *
     * @param data the user address of the bitmap
     */
    IovaBitmap(long iova, long length, long pageSize, long data, Pinner pinner) {
        this.iova = iova;
        this.length = length;
        this.pageSize = pageSize;
        this.data = data;
        this.pinner = pinner;
        this.pgshift = Long.numberOfTrailingZeros(pageSize);
        this.mappedTotalIndex = offsetToIndex(length - 1) + 1;
        this.mappedIova = iova;
    }

    public long iova() {
        return iova;
    }

    public long length() {
        return length;
    }

    public long pageSize() {
        return pageSize;
    }

    /** The user address of the bitmap. */
    public long data() {
        return data;
    }

    /** Whether one iova_bitmap_set() hit the kernel's endless loop (see MAX_WINDOW_MOVES). */
    public boolean gaveUp() {
        return gaveUp;
    }

    /** iova_bitmap_offset_to_index(): the bitmap byte of a relative IOVA. */
    private long offsetToIndex(long offset) {
        return (offset >>> pgshift) >>> 3;
    }

    /** iova_bitmap_index_to_offset(): the relative IOVA of a bitmap byte. */
    private long indexToOffset(long index) {
        return (index * 8) << pgshift;
    }

    /** iova_bitmap_mapped_iova(). */
    private long baseIova() {
        return iova + indexToOffset(mappedBaseIndex);
    }

    /** iova_bitmap_get(): pin the window from mapped_base_index; false is the kernel's EFAULT. */
    private boolean get() {
        long npages = Long.divideUnsigned(mappedTotalIndex - mappedBaseIndex + PAGE_SIZE - 1, PAGE_SIZE);
        long addr = data + mappedBaseIndex;
        long pgoff = Long.remainderUnsigned(addr, PAGE_SIZE);
        npages += pgoff != 0 ? 1 : 0;
        if (Long.compareUnsigned(npages, MAX_PINNED_PAGES) > 0) {
            npages = MAX_PINNED_PAGES;
        }
        long first = addr - pgoff;
        long pinned = pinnedPrefix(first, npages);
        if (pinned == 0) {
            return false;
        }
        mappedNpages = pinned;
        mappedFirstPage = first;
        mappedIova = baseIova();
        mappedPgoff = pgoff;
        mappedLength = mappedLength();
        return true;
    }

    /** pin_user_pages_fast(): how many pages from first can be pinned, up to the first that cannot. */
    private long pinnedPrefix(long first, long npages) {
        if (pinner.canPin(first, npages * PAGE_SIZE)) {
            return npages;
        }
        long n = 0;
        while (n < npages && pinnable.computeIfAbsent(first + n * PAGE_SIZE, p -> pinner.canPin(p, PAGE_SIZE))) {
            n++;
        }
        return n;
    }

    /** iova_bitmap_mapped_remaining(): bitmap bytes the window covers. */
    private long mappedRemaining() {
        long bytes = mappedNpages * PAGE_SIZE - mappedPgoff;
        long remaining = mappedTotalIndex - mappedBaseIndex;
        return Long.compareUnsigned(remaining, bytes) < 0 ? remaining : bytes;
    }

    /** iova_bitmap_mapped_length(): the IOVA length the window covers, capped at the range's end. */
    private long mappedLength() {
        long maxIova = iova + length - 1;
        long start = baseIova();
        long remaining = indexToOffset(mappedRemaining());
        if (Long.compareUnsigned(start + remaining - 1, maxIova) > 0) {
            remaining -= (start + remaining - 1) - maxIova;
        }
        return remaining;
    }

    /** iova_bitmap_mapped_range(): [iova, iova + length - 1] lies in the window. */
    private boolean mappedRange(long start, long len) {
        return mappedNpages != 0 && Long.compareUnsigned(start, mappedIova) >= 0
                && Long.compareUnsigned(start + len - 1, mappedIova + mappedLength - 1) <= 0;
    }

    /** iova_bitmap_advance_to(): move the window to the byte of iova; false: out of range, or nothing pinned. */
    private boolean advanceTo(long to) {
        long index = offsetToIndex(to - iova);
        if (Long.compareUnsigned(index, mappedTotalIndex) >= 0) {
            return false;
        }
        mappedBaseIndex = index;
        mappedNpages = 0; // iova_bitmap_put()
        return get();
    }

    /**
     * iova_bitmap_set(): the bits of [start, start + len) in the bitmap, window by window.
     * Failures (an unpinnable page, a range past the bitmap) end the call silently.
     */
    void set(long start, long len) {
        int moves = 0;
        while (true) {
            if (!mappedRange(start, len) && !advanceTo(start)) {
                return;
            }
            long lastPageIdx = mappedNpages - 1;
            long curBit = ((start - mappedIova) >>> pgshift) + mappedPgoff * 8;
            long lastBit = ((start + len - 1 - mappedIova) >>> pgshift) + mappedPgoff * 8;
            boolean moved = false;
            do {
                long pageIdx = Long.divideUnsigned(curBit, BITS_PER_PAGE) & 0xffffffffL; // unsigned int page_idx
                long offset = Long.remainderUnsigned(curBit, BITS_PER_PAGE);
                long want = lastBit - curBit + 1;
                long nbits = Long.compareUnsigned(BITS_PER_PAGE - offset, want) < 0 ? BITS_PER_PAGE - offset : want;
                if (Long.compareUnsigned(pageIdx, lastPageIdx) > 0) {
                    long left = (lastBit - curBit + 1) << pgshift;
                    start += len - left;
                    len = left;
                    moved = true;
                    break;
                }
                setBits(mappedFirstPage + pageIdx * PAGE_SIZE, (int) offset, (int) nbits);
                curBit += nbits;
            } while (Long.compareUnsigned(curBit, lastBit) <= 0);
            if (!moved) {
                return;
            }
            if (++moves > MAX_WINDOW_MOVES) {
                gaveUp = true;
                return;
            }
        }
    }

    /** bitmap_set() on a pinned page. */
    private void setBits(long page, int offset, int nbits) {
        if (nbits == 0) {
            return;
        }
        byte[] b = pages.computeIfAbsent(page, p -> new byte[(int) PAGE_SIZE]);
        int bit = offset;
        int end = offset + nbits;
        for (; bit < end && (bit & 7) != 0; bit++) {
            b[bit >>> 3] |= (byte) (1 << (bit & 7));
        }
        if (end - bit >= 8) {
            java.util.Arrays.fill(b, bit >>> 3, end >>> 3, (byte) 0xff);
            bit = end & ~7;
        }
        for (; bit < end; bit++) {
            b[bit >>> 3] |= (byte) (1 << (bit & 7));
        }
    }

    /** The bytes to OR into the user's memory, one run per pinned page (from its first to its last byte with a bit). */
    public List<Write> writes() {
        List<Write> out = new ArrayList<>();
        for (Map.Entry<Long, byte[]> e : pages.entrySet()) {
            byte[] b = e.getValue();
            int lo = 0;
            int hi = b.length - 1;
            while (lo <= hi && b[lo] == 0) {
                lo++;
            }
            while (hi >= lo && b[hi] == 0) {
                hi--;
            }
            if (lo <= hi) {
                out.add(new Write(e.getKey() + lo, java.util.Arrays.copyOfRange(b, lo, hi + 1)));
            }
        }
        return out;
    }

    /**
     * The IOVA ranges whose bits were set, merged, in bitmap order: bit n stands for
     * [iova + n * 2^pgshift, + 2^pgshift). Bits set past the bitmap's end count too.
     */
    public List<IovaRange> dirtyRanges() {
        List<IovaRange> out = new ArrayList<>();
        long unit = 1L << pgshift;
        long[] run = null;
        for (Map.Entry<Long, byte[]> e : pages.entrySet()) {
            byte[] b = e.getValue();
            for (int i = 0; i < b.length; i++) {
                if (b[i] == 0) {
                    continue;
                }
                long firstBit = (e.getKey() + i - data) * 8;
                if (b[i] == (byte) 0xff && run != null && run[1] + 1 == iova + (firstBit << pgshift)) {
                    run[1] += 8 * unit; // a full byte continuing the run
                    continue;
                }
                for (int j = 0; j < 8; j++) {
                    if ((b[i] & (1 << j)) == 0) {
                        continue;
                    }
                    long start = iova + ((firstBit + j) << pgshift);
                    if (run != null && run[1] + 1 == start) {
                        run[1] = start + unit - 1;
                    } else {
                        if (run != null) {
                            out.add(new IovaRange(run[0], run[1]));
                        }
                        run = new long[] {start, start + unit - 1};
                    }
                }
            }
        }
        if (run != null) {
            out.add(new IovaRange(run[0], run[1]));
        }
        return out;
    }
}
