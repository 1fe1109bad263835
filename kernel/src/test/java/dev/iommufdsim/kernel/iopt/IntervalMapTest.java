package dev.iommufdsim.kernel.iopt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.NoSuchElementException;

import org.junit.jupiter.api.Test;

/** Hand-written cases; {@link IntervalMapRandomTest} compares against a model. */
class IntervalMapTest {
    private static final long MAX = -1L;
    private static final long SIGN = Long.MIN_VALUE; // 2^63

    @Test
    void insertRejectsOverlapAndAcceptsTouching() {
        IntervalMap<String> m = new IntervalMap<>();
        assertTrue(m.insert(0x1000, 0x1fff, "a"));
        assertFalse(m.insert(0x1fff, 0x2fff, "b"));
        assertFalse(m.insert(0x0, 0x1000, "b"));
        assertFalse(m.insert(0x1800, 0x1800, "b"));
        assertFalse(m.insert(0x0, MAX, "b"));
        assertTrue(m.insert(0x2000, 0x2fff, "c"));
        assertTrue(m.insert(0x0, 0xfff, "d"));
        assertEquals(3, m.size());
        assertEquals("a", m.get(0x1000));
        assertNull(m.get(0x1001));
        assertEquals("a", m.remove(0x1000));
        assertNull(m.remove(0x1000));
        assertEquals(2, m.size());
        m.checkInvariants();
        assertThrows(IllegalArgumentException.class, () -> m.insert(2, 1, "x"));
        assertThrows(IllegalArgumentException.class, () -> m.intersects(MAX, 0));
    }

    @Test
    void unsignedEdges() {
        IntervalMap<String> m = new IntervalMap<>();
        assertTrue(m.insert(MAX, MAX, "top"));
        assertTrue(m.insert(0, 0, "bottom"));
        assertTrue(m.insert(SIGN - 1, SIGN, "sign")); // straddles 2^63
        assertTrue(m.intersects(SIGN, SIGN));
        assertTrue(m.intersects(SIGN - 2, SIGN - 1));
        assertFalse(m.intersects(1, SIGN - 2));
        assertFalse(m.intersects(SIGN + 1, MAX - 1));
        assertTrue(m.intersects(0, MAX));
        assertEquals("top", m.containing(MAX).value());
        assertEquals("sign", m.containing(SIGN).value());
        assertNull(m.containing(SIGN + 1));
        assertEquals("sign", m.firstIntersecting(1, MAX).value());
        assertEquals("top", m.firstIntersecting(SIGN + 1, MAX).value());
        assertEquals("bottom", m.first().value());
        assertEquals("top", m.last().value());
        List<String> order = new ArrayList<>();
        m.forEach((s, l, v) -> order.add(v));
        assertEquals(List.of("bottom", "sign", "top"), order);
        m.checkInvariants();

        IntervalMap<String> whole = new IntervalMap<>();
        assertTrue(whole.insert(0, MAX, "all"));
        assertFalse(whole.insert(MAX, MAX, "x"));
        assertEquals(IntervalMap.NO_FIT, whole.findFirstFit(0, MAX, 1, 1, 0));
        List<long[]> holes = new ArrayList<>();
        whole.forEachHole(0, MAX, 0, (s, l) -> holes.add(new long[] {s, l}));
        assertTrue(holes.isEmpty());
    }

    @Test
    void holesOfAnEmptyMapAndAtTheTop() {
        IntervalMap<String> m = new IntervalMap<>();
        List<long[]> holes = new ArrayList<>();
        m.forEachHole(0, MAX, 0, (s, l) -> holes.add(new long[] {s, l}));
        assertEquals(1, holes.size());
        assertEquals(0, holes.get(0)[0]);
        assertEquals(MAX, holes.get(0)[1]);
        assertEquals(0x1000, m.findFirstFit(0x1000, MAX - 0x1000, 0x1000, 0x1000, 0));
        // lo > hi: nothing
        holes.clear();
        m.forEachHole(5, 4, 0, (s, l) -> holes.add(new long[] {s, l}));
        assertTrue(holes.isEmpty());

        m.insert(0, MAX - 0x1000, "low");
        // only [2^64-0x1000, 2^64-1] free: aligning its start by 0x1000 is fine ...
        assertEquals(MAX - 0xfff, m.findFirstFit(0, MAX, 0x1000, 0x1000, 0));
        // ... but by 0x2000 the add overflows and the hole is rejected
        assertEquals(IntervalMap.NO_FIT, m.findFirstFit(0, MAX, 0x1000, 0x2000, 0));
    }

    @Test
    void findFirstFitSkipsHolesThatFailAlignment() {
        IntervalMap<String> m = new IntervalMap<>();
        // holes of 0x1000 at 0x1800 (misaligned) and 0x5000 (aligned)
        m.insert(0, 0x17ff, "a");
        m.insert(0x2800, 0x4fff, "b");
        m.insert(0x6000, 0x6fff, "c");
        assertEquals(0x5000, m.findFirstFit(0, 0xffff, 0x1000, 0x1000, 0));
        assertEquals(0x1800, m.findFirstFit(0, 0xffff, 0x1000, 0x800, 0));
        // the tail hole [0x7000, hi]
        assertEquals(0x7000, m.findFirstFit(0, 0xffff, 0x2000, 0x1000, 0));
        assertEquals(IntervalMap.NO_FIT, m.findFirstFit(0, 0x8ffe, 0x2000, 0x1000, 0));
        // clipping to lo: the hole [0x5000, 0x5fff] seen from lo 0x5001 is too small
        assertEquals(0x7000, m.findFirstFit(0x5001, 0xffff, 0x1000, 0x1000, 0));
    }

    @Test
    void cursorWalksSeeksAndRemovesWhileIterating() {
        IntervalMap<Integer> m = new IntervalMap<>();
        for (int i = 0; i < 1000; i++) {
            assertTrue(m.insert(i * 0x10L, i * 0x10L + 7, i));
        }
        IntervalMap<Integer>.Cursor c = m.cursor();
        assertFalse(c.isValid());
        assertThrows(NoSuchElementException.class, c::start);
        assertTrue(c.seekFirstIntersecting(0x105, 0x2000));
        assertEquals(0x100, c.start());
        assertEquals(16, c.value());
        // remove every interval intersecting [0x105, 0x2000] through the cursor
        int removed = 0;
        boolean on = true;
        while (on && Long.compareUnsigned(c.start(), 0x2000) <= 0) {
            c.remove();
            assertFalse(c.isValid());
            removed++;
            on = c.next();
        }
        assertEquals(0x200 - 0x10 + 1, removed);
        assertEquals(1000 - removed, m.size());
        assertFalse(m.intersects(0x105, 0x2000));
        assertTrue(m.intersects(0x2001, 0x2010));
        m.checkInvariants();

        assertTrue(c.first());
        int n = 1;
        while (c.next()) {
            n++;
        }
        assertEquals(m.size(), n);
        assertFalse(c.isValid());
        assertTrue(c.seekCeiling(0x2001));
        assertEquals(0x2010, c.start());
        assertTrue(c.seekContaining(0x2017));
        assertFalse(c.seekContaining(0x2018));
    }

    @Test
    void cursorSurvivesOutsideModification() {
        IntervalMap<Integer> m = new IntervalMap<>();
        for (int i = 0; i < 300; i++) {
            m.insert(i * 2L, i * 2L, i);
        }
        IntervalMap<Integer>.Cursor c = m.cursor();
        assertTrue(c.seekCeiling(100));
        for (int i = 0; i < 100; i++) {
            m.remove(102 + 2L * i); // drop the next 100 under the cursor's feet
        }
        assertTrue(c.next());
        assertEquals(302, c.start());
    }

    @Test
    void visitorsStopAndDetectModification() {
        IntervalMap<Integer> m = new IntervalMap<>();
        for (int i = 0; i < 100; i++) {
            m.insert(i * 10L, i * 10L + 4, i);
        }
        int[] seen = {0};
        assertEquals(3, m.forEachIntersecting(13, 1000, (s, l, v) -> ++seen[0] < 3));
        assertEquals(11, m.forEachIntersecting(4, 104, (s, l, v) -> true)); // 0..100
        assertThrows(ConcurrentModificationException.class, () -> m.forEach((s, l, v) -> m.remove(s) == null));
        assertThrows(ConcurrentModificationException.class, () -> m.forEachHole(0, 1000, 0, (s, l) -> m.insert(s, s, 0)));
    }

    @Test
    void nullValuesAreAllowed() {
        IntervalMap<Object> m = new IntervalMap<>();
        assertTrue(m.insert(1, 2, null));
        assertTrue(m.containsStart(1));
        assertFalse(m.containsStart(2));
        assertNull(m.remove(1));
        assertFalse(m.containsStart(1));
        assertTrue(m.isEmpty());
    }

    @Test
    void denseFillAndDrainKeepsTheTreeValid() {
        IntervalMap<Long> m = new IntervalMap<>();
        int n = 300_000; // enough for three inner levels
        for (long i = 0; i < n; i++) {
            assertTrue(m.insert(i << 12, (i << 12) + 0xfff, i));
        }
        m.checkInvariants();
        assertTrue(m.depth() >= 3);
        assertEquals((long) n << 12, m.findFirstFit(0, 1L << 50, 0x1000, 0x1000, 0));
        // open a single aligned hole in the middle: it must be found
        m.remove(123_456L << 12);
        assertEquals(123_456L << 12, m.findFirstFit(0, 1L << 50, 0x1000, 0x1000, 0));
        assertEquals((long) n << 12, m.findFirstFit(0, 1L << 50, 0x2000, 0x1000, 0));
        m.checkInvariants();
        // drain from both ends and the middle
        for (long i = 0; i < n; i++) {
            long k = (i % 3 == 0) ? i / 3 : (i % 3 == 1) ? n - 1 - i / 3 : n / 2 + ((i / 3) % 2 == 0 ? i / 6 : -(i / 6) - 1);
            m.remove(k << 12);
        }
        // anything left is removed by a full walk
        List<Long> left = new ArrayList<>();
        m.forEach((s, l, v) -> left.add(s));
        for (long s : left) {
            m.remove(s);
        }
        m.checkInvariants();
        assertEquals(0, m.size());
        assertEquals(1, m.depth());
    }
}
