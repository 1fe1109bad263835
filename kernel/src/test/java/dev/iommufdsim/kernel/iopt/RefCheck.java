package dev.iommufdsim.kernel.iopt;

import java.math.BigInteger;

/**
 * The kernel's __alloc_iova_check_range written again with BigInteger and explicit mod 2^64
 * arithmetic, independent of {@link HoleFit}, as the oracle for the tests.
 */
final class RefCheck {
    static final BigInteger TWO64 = BigInteger.ONE.shiftLeft(64);
    static final BigInteger MASK = TWO64.subtract(BigInteger.ONE);

    private RefCheck() {
    }

    static BigInteger u(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    /** The aligned start, or -1 (NO_FIT) if the hole [start, last] is rejected. */
    static long check(long start, long last, long length, long align, long pageOffset) {
        BigInteger s = u(start);
        BigInteger sum = s.add(u(align)).subtract(BigInteger.ONE);
        if (sum.compareTo(MASK) > 0) {
            return -1L; // unsigned overflow
        }
        BigInteger alignMask = u(align).subtract(BigInteger.ONE).xor(MASK); // ~(align - 1)
        BigInteger aligned = sum.and(alignMask).or(u(pageOffset));
        BigInteger l = u(last);
        if (aligned.compareTo(l) >= 0) {
            return -1L;
        }
        BigInteger room = l.subtract(aligned);
        BigInteger need = u(length).subtract(BigInteger.ONE).and(MASK); // length - 1 mod 2^64
        if (room.compareTo(need) < 0) {
            return -1L;
        }
        return aligned.longValue();
    }
}
