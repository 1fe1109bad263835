package dev.iommufdsim.kernel.iopt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HoleFitTest {
    private static final long MAX = -1L;

    @Test
    void alignsUpAndOrsThePageOffset() {
        assertEquals(0x2000, HoleFit.check(0x1001, 0x3fff, 0x1000, 0x1000, 0));
        assertEquals(0x2123, HoleFit.check(0x1001, 0x3fff, 0x1000, 0x1000, 0x123));
        assertEquals(0x1000, HoleFit.check(0x1000, 0x1fff, 0x1000, 0x1000, 0));
    }

    @Test
    void rejectsWhatTheKernelRejects() {
        // one byte too short
        assertEquals(-1L, HoleFit.check(0x1000, 0x1ffe, 0x1000, 0x1000, 0));
        // aligned start must be strictly below last, even for length 1
        assertEquals(-1L, HoleFit.check(0x5, 0x5, 1, 1, 0));
        assertEquals(0x5, HoleFit.check(0x5, 0x6, 1, 1, 0));
        // start + align - 1 overflows
        assertEquals(-1L, HoleFit.check(MAX - 0xffe, MAX, 1, 0x1000, 0));
        // a page offset beyond the alignment pushes past the end
        assertEquals(-1L, HoleFit.check(0x0, 0xfff, 0x10, 0x10, 0x1000));
    }

    @Test
    void agreesWithTheBigIntegerOracle() {
        Gen g = new Gen(7, 20);
        for (int i = 0; i < 60_000; i++) {
            long[] h = g.interval();
            if (g.rnd().nextInt(8) == 0) {
                h[1] = MAX;
            }
            long rawLength = g.rnd().nextInt(4) == 0 ? g.rnd().nextLong() : g.length();
            long length = rawLength == 0 ? 1 : rawLength;
            long align = g.align();
            long off = g.pageOffset(align);
            assertEquals(RefCheck.check(h[0], h[1], length, align, off), HoleFit.check(h[0], h[1], length, align, off),
                    () -> String.format("hole [%x, %x] len %x align %x off %x", h[0], h[1], length, align, off));
        }
    }

    @Test
    void validatesTheRequest() {
        IntervalMap<Object> m = new IntervalMap<>();
        assertThrows(IllegalArgumentException.class, () -> m.findFirstFit(0, 100, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> m.findFirstFit(0, 100, 1, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> m.findFirstFit(0, 100, 1, 0, 0));
    }
}
