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

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
