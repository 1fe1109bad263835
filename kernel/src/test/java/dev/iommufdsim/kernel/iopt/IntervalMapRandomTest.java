package dev.iommufdsim.kernel.iopt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random operation sequences (fixed seeds) on an {@link IntervalMap} and on the brute-force
 * {@link RefIntervalMap}; every answer must agree, and the tree's invariants must hold.
 */
class IntervalMapRandomTest {
    private static final long MAX = -1L;

    @ParameterizedTest(name = "seed {0}, window 2^{1}, {2} ops, phases of {3}")
    @CsvSource({
        "1, 12, 20000, 2500", // tiny windows: constant collisions, holes of a few addresses
        "2, 16, 20000, 2500",
        "3, 20, 40000, 15000", // grows to thousands: inner nodes split, then merge
        "4, 40, 8000, 2500", // sparse: big holes, big alignments
        "5, 14, 40000, 15000",
    })
    void agreesWithTheModel(long seed, int windowBits, int ops, int phase) {
        Gen g = new Gen(seed, windowBits);
        Random rnd = g.rnd();
        IntervalMap<Integer> m = new IntervalMap<>();
        RefIntervalMap<Integer> ref = new RefIntervalMap<>();
        // Phases bias towards growing, then shrinking, so nodes split and merge repeatedly.
        for (int op = 0; op < ops; op++) {
            boolean growing = (op / phase) % 2 == 0;
            int c = rnd.nextInt(100);
            String ctx = "seed " + seed + " op " + op;
            if (c < (growing ? 45 : 15)) {
                long[] iv = g.interval();
                if (growing && rnd.nextInt(8) != 0) {
                    iv[1] = iv[0] + rnd.nextInt(4); // small ones fill windows densely
                    iv[1] = Long.compareUnsigned(iv[1], iv[0]) < 0 ? MAX : iv[1];
                }
                assertEquals(ref.insert(iv[0], iv[1], op), m.insert(iv[0], iv[1], op), ctx);
            } else if (c < 60) {
                long s = existingOrRandom(ref, g);
                RefIntervalMap.E<Integer> e = ref.remove(s);
                assertEquals(e == null ? null : e.value(), m.remove(s), ctx);
            } else if (c < 68) {
                long[] iv = g.interval();
                assertEquals(!ref.intersecting(iv[0], iv[1]).isEmpty(), m.intersects(iv[0], iv[1]), ctx);
            } else if (c < 74) {
                long[] iv = g.interval();
                List<RefIntervalMap.E<Integer>> in = ref.intersecting(iv[0], iv[1]);
                Interval<Integer> got = m.firstIntersecting(iv[0], iv[1]);
                if (in.isEmpty()) {
                    assertNull(got, ctx);
                } else {
                    assertEquals(asInterval(in.get(0)), got, ctx);
                }
            } else if (c < 78) {
                long p = rnd.nextBoolean() ? g.addr() : existingOrRandom(ref, g) + rnd.nextInt(3) - 1;
                RefIntervalMap.E<Integer> e = ref.containing(p);
                assertEquals(e == null ? null : asInterval(e), m.containing(p), ctx);
            } else if (c < 82) {
                long[] iv = rnd.nextInt(10) == 0 ? new long[] {0, MAX} : g.interval();
                List<Interval<Integer>> want = new ArrayList<>();
                ref.intersecting(iv[0], iv[1]).forEach(e -> want.add(asInterval(e)));
                List<Interval<Integer>> got = new ArrayList<>();
                int n = m.forEachIntersecting(iv[0], iv[1], (s, l, v) -> got.add(new Interval<>(s, l, v)));
                assertEquals(want, got, ctx);
                assertEquals(want.size(), n, ctx);
                // the same through a cursor
                List<Interval<Integer>> viaCursor = new ArrayList<>();
                IntervalMap<Integer>.Cursor cur = m.cursor();
                for (boolean on = cur.seekFirstIntersecting(iv[0], iv[1]);
                        on && Long.compareUnsigned(cur.start(), iv[1]) <= 0; on = cur.next()) {
                    viaCursor.add(new Interval<>(cur.start(), cur.last(), cur.value()));
                }
                assertEquals(want, viaCursor, ctx);
            } else if (c < 94) {
                long[] range = range(g);
                long length = fitLength(ref, g, range);
                long align = g.align();
                long off = g.pageOffset(align);
                assertEquals(ref.findFirstFit(range[0], range[1], length, align, off),
                        m.findFirstFit(range[0], range[1], length, align, off),
                        () -> ctx + String.format(" fit [%x, %x] len %x align %x off %x", range[0], range[1], length, align, off));
            } else if (c < 98) {
                long[] range = range(g);
                long minSize = rnd.nextInt(3) == 0 ? 0 : g.length();
                List<long[]> want = ref.holes(range[0], range[1], minSize);
                List<long[]> got = new ArrayList<>();
                m.forEachHole(range[0], range[1], minSize, (s, l) -> got.add(new long[] {s, l}));
                assertEquals(want.size(), got.size(), ctx);
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(want.get(i), got.get(i), ctx);
                }
            } else if (c < 99) {
                m.checkInvariants();
                assertEquals(ref.map.size(), m.size(), ctx);
            } else if (!growing && rnd.nextInt(20) == 0) {
                m.clear();
                ref.map.clear();
            }
        }
        m.checkInvariants();
        List<Interval<Integer>> all = new ArrayList<>();
        m.forEach((s, l, v) -> all.add(new Interval<>(s, l, v)));
        List<Interval<Integer>> want = new ArrayList<>();
        ref.map.values().forEach(e -> want.add(asInterval(e)));
        assertEquals(want, all);
    }

    /** A search range: mostly from the generator, sometimes the whole space or an edge. */
    private static long[] range(Gen g) {
        Random rnd = g.rnd();
        switch (rnd.nextInt(8)) {
            case 0:
                return new long[] {0, MAX};
            case 1:
                return new long[] {g.addr(), MAX};
            case 2:
                return new long[] {0, g.addr()};
            case 3:
                return new long[] {g.addr(), g.addr()}; // may be empty (lo > hi)
            default:
                long a = g.addr();
                long b = g.addr();
                return Long.compareUnsigned(a, b) <= 0 ? new long[] {a, b} : new long[] {b, a};
        }
    }

    /** Lengths around the sizes of the holes present, so that searches must skip many holes. */
    private static long fitLength(RefIntervalMap<Integer> ref, Gen g, long[] range) {
        Random rnd = g.rnd();
        int c = rnd.nextInt(8);
        if (c < 3) {
            return g.length();
        }
        if (c < 6) {
            return 1 + rnd.nextInt(64);
        }
        List<long[]> holes = ref.holes(range[0], range[1], 0);
        if (holes.isEmpty()) {
            return 1 + rnd.nextInt(8);
        }
        long biggest = 0;
        for (long[] h : holes) {
            biggest = Unsigned.max(biggest, h[1] - h[0] + 1);
        }
        long len = biggest + rnd.nextInt(5) - 3; // about the biggest hole: only one or two can fit
        return len == 0 ? 1 : len;
    }

    private static long existingOrRandom(RefIntervalMap<Integer> ref, Gen g) {
        if (ref.map.isEmpty() || g.rnd().nextInt(4) == 0) {
            return g.addr();
        }
        Long k = ref.map.ceilingKey(g.addr());
        return k != null ? k : ref.map.firstKey();
    }

    private static Interval<Integer> asInterval(RefIntervalMap.E<Integer> e) {
        return new Interval<>(e.start(), e.last(), e.value());
    }
}
