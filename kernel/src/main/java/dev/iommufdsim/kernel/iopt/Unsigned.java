package dev.iommufdsim.kernel.iopt;

/**
 * Unsigned 64-bit comparisons. Flipping the sign bit maps unsigned order onto signed order,
 * which the JIT turns into one add and a signed compare.
 */
final class Unsigned {
    static final long MAX = -1L;

    private Unsigned() {
    }

    static boolean lt(long a, long b) {
        return a + Long.MIN_VALUE < b + Long.MIN_VALUE;
    }

    static boolean le(long a, long b) {
        return a + Long.MIN_VALUE <= b + Long.MIN_VALUE;
    }

    static boolean gt(long a, long b) {
        return a + Long.MIN_VALUE > b + Long.MIN_VALUE;
    }

    static boolean ge(long a, long b) {
        return a + Long.MIN_VALUE >= b + Long.MIN_VALUE;
    }

    static long max(long a, long b) {
        return ge(a, b) ? a : b;
    }

    static long min(long a, long b) {
        return le(a, b) ? a : b;
    }

    /** Largest index i in [0, n) with a[i] <= key (unsigned), a sorted ascending; -1 if none. */
    static int floor(long[] a, int n, long key) {
        long k = key + Long.MIN_VALUE;
        int lo = 0;
        int hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] + Long.MIN_VALUE <= k) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
