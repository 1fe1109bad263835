package dev.iommufdsim.kernel.iopt;

import java.util.Random;

/**
 * Random addresses and intervals for the tests, concentrated in a few small windows so that
 * intervals collide often, and placed at the unsigned edges: 0, the sign bit (2^63) and 2^64-1.
 */
final class Gen {
    static final long MAX = -1L;
    private static final long[] BASES = {
        0L, // from 0 up
        0x7fff_ffff_fff0_0000L, // straddles 2^63, where signed and unsigned order differ
        0xffff_ffff_fff0_0000L, // up to 2^64 - 1
        0x0000_1234_5600_0000L, // somewhere ordinary
    };
    private final Random rnd;
    private final int windowBits;

    /** Addresses within 2^windowBits of each base. */
    Gen(long seed, int windowBits) {
        this.rnd = new Random(seed);
        this.windowBits = windowBits;
    }

    Random rnd() {
        return rnd;
    }

    long addr() {
        int r = rnd.nextInt(BASES.length);
        long off = rnd.nextLong() >>> (64 - windowBits);
        if (r == 2) {
            return MAX - off; // hit the very top often
        }
        return BASES[r] + off;
    }

    /** A length: mostly small, sometimes a page or larger. */
    long length() {
        int c = rnd.nextInt(10);
        if (c < 6) {
            return 1 + rnd.nextInt(16);
        }
        if (c < 9) {
            return 1 + rnd.nextInt(1 << Math.max(1, windowBits - 6));
        }
        return 1 + (rnd.nextLong() >>> (64 - windowBits));
    }

    /** A random interval [start, last], clamped at 2^64 - 1. */
    long[] interval() {
        long s = addr();
        long l = s + length() - 1;
        if (Long.compareUnsigned(l, s) < 0) {
            l = MAX;
        }
        return new long[] {s, l};
    }

    /** A power-of-two alignment, biased to small ones, sometimes huge. */
    long align() {
        int c = rnd.nextInt(10);
        if (c < 7) {
            return 1L << rnd.nextInt(13);
        }
        return 1L << rnd.nextInt(64);
    }

    /** A page offset: mostly 0 or below the alignment, occasionally arbitrary bits. */
    long pageOffset(long align) {
        int c = rnd.nextInt(10);
        if (c < 5) {
            return 0;
        }
        if (c < 9) {
            return align == 1 ? 0 : (rnd.nextLong() & (align - 1));
        }
        return rnd.nextLong() >>> rnd.nextInt(64);
    }
}
