package dev.iommufdsim.bench.iopt;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random page-aligned layouts for the benchmarks, computed once per trial so no RNG is measured.
 * Public for the kernel-level benchmarks ({@code dev.iommufdsim.bench.kernel}).
 */
public final class Pages {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;

    private Pages() {
    }

    /** {@code count} distinct random page numbers below {@code 2^pageBits}, sorted. */
    public static long[] distinctSorted(SplittableRandom rnd, int count, int pageBits) {
        if (count > (1L << pageBits) / 2) {
            throw new IllegalArgumentException("space too small for " + count + " distinct pages");
        }
        long[] pages = new long[count];
        int n = 0;
        while (n < count) {
            for (int i = n; i < count; i++) {
                pages[i] = rnd.nextLong(1L << pageBits);
            }
            Arrays.sort(pages);
            n = dedup(pages);
        }
        return pages;
    }

    /** Removes duplicates from the sorted array in place, returns the number of distinct values kept at its head. */
    private static int dedup(long[] sorted) {
        int n = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (n == 0 || sorted[i] != sorted[n - 1]) {
                sorted[n++] = sorted[i];
            }
        }
        return n;
    }

    /** {@code count} random page numbers below {@code 2^pageBits} that are not in {@code taken} (sorted), in random order. */
    public static long[] freeRandom(SplittableRandom rnd, int count, int pageBits, long[] taken) {
        long[] out = new long[count];
        for (int i = 0; i < count; ) {
            long p = rnd.nextLong(1L << pageBits);
            if (Arrays.binarySearch(taken, p) < 0) {
                out[i++] = p;
            }
        }
        return out;
    }

    /** Fisher-Yates shuffle, so that live areas are inserted in random order. */
    public static void shuffle(SplittableRandom rnd, long[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
