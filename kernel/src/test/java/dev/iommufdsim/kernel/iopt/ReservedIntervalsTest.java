package dev.iommufdsim.kernel.iopt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReservedIntervalsTest {
    private static final long MAX = -1L;

    /** Distinct owners that are equal(): removal must go by identity. */
    private static final class Owner {
        final String name;

        Owner(String name) {
            this.name = name;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Owner other && other.name.equals(name);
        }

        @Override
        public int hashCode() {
            return name.hashCode();
        }

        @Override
        public String toString() {
            return name + "@" + Integer.toHexString(System.identityHashCode(this));
        }
    }

    @Test
    void overlapsAndOwners() {
        ReservedIntervals<Owner> r = new ReservedIntervals<>();
        Owner a = new Owner("dev");
        Owner b = new Owner("dev"); // equal to a, not the same
        r.add(0x1000, 0x1fff, a);
        r.add(0x1000, 0x1fff, b);
        r.add(0x1800, 0x2fff, a);
        r.add(MAX - 0xfff, MAX, b);
        assertEquals(4, r.size());
        assertTrue(r.intersects(0x2fff, 0x3000));
        assertFalse(r.intersects(0x3000, MAX - 0x1000));
        Interval<Owner> first = r.firstIntersecting(0x1900, 0x1900);
        assertEquals(0x1000, first.start());
        assertSame(a, first.value()); // ties: earliest added
        assertEquals(2, r.removeOwner(a));
        assertEquals(0, r.removeOwner(a));
        assertTrue(r.hasOwner(b));
        assertFalse(r.hasOwner(a));
        assertSame(b, r.firstIntersecting(0, MAX).value());
        assertFalse(r.intersects(0x2000, 0x2fff));
        assertFalse(r.removeOne(0x1000, 0x1ffe, b));
        assertTrue(r.removeOne(0x1000, 0x1fff, b));
        assertEquals(1, r.size());
        r.checkInvariants();
        assertThrows(IllegalArgumentException.class, () -> r.add(2, 1, a));
        assertThrows(NullPointerException.class, () -> r.add(1, 2, null));
    }

    @Test
    void holesOfTheUnion() {
        ReservedIntervals<String> r = new ReservedIntervals<>();
        r.add(10, 20, "a");
        r.add(15, 30, "b");
        r.add(12, 13, "c");
        r.add(40, 40, "d");
        r.add(MAX - 1, MAX, "e");
        assertEquals(List.of("[0, 9]", "[31, 39]", "[41, 18446744073709551613]"), holes(r, 0, MAX));
        assertEquals(List.of("[31, 39]"), holes(r, 11, 40));
        assertEquals(List.of(), holes(r, 10, 30));
        assertEquals(List.of("[31, 31]"), holes(r, 31, 31));
        assertEquals(List.of(), holes(r, 50, 49));
        assertEquals(List.of("[0, 18446744073709551615]"), holes(new ReservedIntervals<String>(), 0, MAX));
        List<String> stopped = new ArrayList<>();
        r.forEachHole(0, MAX, (s, l) -> stopped.add(s + "") && false);
        assertEquals(List.of("0"), stopped);
        assertThrows(ConcurrentModificationException.class, () -> r.forEachHole(0, MAX, (s, l) -> {
            r.add(s, s, "x");
            return true;
        }));
    }

    private static List<String> holes(ReservedIntervals<String> r, long lo, long hi) {
        List<String> out = new ArrayList<>();
        r.forEachHole(lo, hi, (s, l) -> out.add("[" + Long.toUnsignedString(s) + ", " + Long.toUnsignedString(l) + "]"));
        return out;
    }

    // ----------------------------------------------------------------------------- model

    private record E(long start, long last, Owner owner, long seq) {
    }

    private static final Comparator<E> ORDER = (x, y) -> {
        int c = Long.compareUnsigned(x.start, y.start);
        if (c == 0) {
            c = Long.compareUnsigned(x.last, y.last);
        }
        return c != 0 ? c : Long.compare(x.seq, y.seq);
    };

    private static List<E> sorted(List<E> model) {
        List<E> s = new ArrayList<>(model);
        s.sort(ORDER);
        return s;
    }

    private static List<long[]> modelHoles(List<E> model, long lo, long hi) {
        List<long[]> out = new ArrayList<>();
        if (Long.compareUnsigned(lo, hi) > 0) {
            return out;
        }
        // Walk address by address would be too slow; walk the sorted intervals instead.
        long cur = lo;
        for (E e : sorted(model)) {
            if (Long.compareUnsigned(e.last, cur) < 0) {
                continue;
            }
            if (Long.compareUnsigned(e.start, hi) > 0) {
                break;
            }
            if (Long.compareUnsigned(e.start, cur) > 0) {
                out.add(new long[] {cur, e.start - 1});
            }
            if (Long.compareUnsigned(e.last, hi) >= 0) {
                return out;
            }
            cur = e.last + 1;
        }
        out.add(new long[] {cur, hi});
        return out;
    }

    @ParameterizedTest(name = "seed {0}, window 2^{1}")
    @CsvSource({"11, 8", "12, 12", "13, 20", "14, 40"})
    void agreesWithTheModel(long seed, int windowBits) {
        Gen g = new Gen(seed, windowBits);
        Random rnd = g.rnd();
        Owner[] owners = {new Owner("a"), new Owner("a"), new Owner("b"), new Owner("c"), new Owner("d")};
        ReservedIntervals<Owner> r = new ReservedIntervals<>();
        List<E> model = new ArrayList<>();
        long seq = 0;
        for (int op = 0; op < 6000; op++) {
            String ctx = "seed " + seed + " op " + op;
            int c = rnd.nextInt(100);
            if (c < 35 || model.size() < 3) {
                long[] iv = g.interval();
                Owner o = owners[rnd.nextInt(owners.length)];
                r.add(iv[0], iv[1], o);
                model.add(new E(iv[0], iv[1], o, seq++));
                if (rnd.nextInt(10) == 0) { // the same interval again, same or other owner
                    Owner o2 = owners[rnd.nextInt(owners.length)];
                    r.add(iv[0], iv[1], o2);
                    model.add(new E(iv[0], iv[1], o2, seq++));
                }
            } else if (c < 40) {
                Owner o = owners[rnd.nextInt(owners.length)];
                int want = (int) model.stream().filter(e -> e.owner == o).count();
                model.removeIf(e -> e.owner == o);
                assertEquals(want, r.removeOwner(o), ctx);
            } else if (c < 55) {
                // undo: usually an existing (interval, owner) pair, sometimes a wrong owner
                E e = model.get(rnd.nextInt(model.size()));
                Owner o = rnd.nextInt(4) == 0 ? owners[rnd.nextInt(owners.length)] : e.owner;
                E victim = null;
                for (E x : model) {
                    if (x.start == e.start && x.last == e.last && x.owner == o && (victim == null || x.seq > victim.seq)) {
                        victim = x;
                    }
                }
                assertEquals(victim != null, r.removeOne(e.start, e.last, o), ctx);
                model.remove(victim);
            } else if (c < 75) {
                long[] iv = rnd.nextInt(10) == 0 ? new long[] {g.addr(), g.addr()} : g.interval();
                if (Long.compareUnsigned(iv[0], iv[1]) > 0) {
                    iv = new long[] {iv[1], iv[0]};
                }
                long s = iv[0];
                long l = iv[1];
                List<E> hit = sorted(model).stream().filter(e -> RefIntervalMap.overlap(e.start, e.last, s, l)).toList();
                assertEquals(!hit.isEmpty(), r.intersects(s, l), ctx);
                Interval<Owner> first = r.firstIntersecting(s, l);
                if (hit.isEmpty()) {
                    assertNull(first, ctx);
                } else {
                    assertEquals(hit.get(0).start, first.start(), ctx);
                    assertEquals(hit.get(0).last, first.last(), ctx);
                    assertSame(hit.get(0).owner, first.value(), ctx);
                }
                List<String> got = new ArrayList<>();
                r.forEachIntersecting(s, l, (a, b, o) -> got.add(a + ":" + b + ":" + System.identityHashCode(o)));
                List<String> want = hit.stream().map(e -> e.start + ":" + e.last + ":" + System.identityHashCode(e.owner)).toList();
                assertEquals(want, got, ctx);
            } else if (c < 92) {
                long a = rnd.nextInt(6) == 0 ? 0 : g.addr();
                long b = rnd.nextInt(6) == 0 ? MAX : g.addr();
                if (rnd.nextInt(8) != 0 && Long.compareUnsigned(a, b) > 0) {
                    long t = a;
                    a = b;
                    b = t;
                }
                List<long[]> want = modelHoles(model, a, b);
                List<long[]> got = new ArrayList<>();
                r.forEachHole(a, b, (s, l) -> got.add(new long[] {s, l}));
                assertEquals(want.size(), got.size(), ctx);
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(want.get(i), got.get(i), ctx);
                }
            } else if (c < 97) {
                List<String> got = new ArrayList<>();
                r.forEach((a, b, o) -> got.add(a + ":" + b + ":" + System.identityHashCode(o)));
                List<String> want = sorted(model).stream().map(e -> e.start + ":" + e.last + ":" + System.identityHashCode(e.owner)).toList();
                assertEquals(want, got, ctx);
                r.checkInvariants();
            } else if (c < 98 && rnd.nextInt(10) == 0) {
                r.clear();
                model.clear();
            }
            assertEquals(model.size(), r.size(), ctx);
        }
        r.checkInvariants();
    }
}
