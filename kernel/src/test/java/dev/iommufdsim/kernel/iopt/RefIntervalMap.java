package dev.iommufdsim.kernel.iopt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Brute-force model of {@link IntervalMap}: a TreeMap in unsigned order, scanned linearly. */
final class RefIntervalMap<V> {
    record E<V>(long start, long last, V value) {
    }

    final TreeMap<Long, E<V>> map = new TreeMap<>(Long::compareUnsigned);

    static boolean overlap(long s1, long l1, long s2, long l2) {
        return Long.compareUnsigned(s1, l2) <= 0 && Long.compareUnsigned(s2, l1) <= 0;
    }

    /** Intervals intersecting [s, l], ascending: the floor of s if it reaches s, then every start in [s, l]. */
    List<E<V>> intersecting(long s, long l) {
        List<E<V>> out = new ArrayList<>();
        Map.Entry<Long, E<V>> floor = map.floorEntry(s);
        if (floor != null && overlap(floor.getValue().start, floor.getValue().last, s, l)) {
            out.add(floor.getValue());
        }
        for (E<V> e : map.subMap(s, false, l, true).values()) {
            out.add(e);
        }
        return out;
    }

    boolean insert(long s, long l, V v) {
        if (!intersecting(s, l).isEmpty()) {
            return false;
        }
        map.put(s, new E<>(s, l, v));
        return true;
    }

    E<V> remove(long s) {
        return map.remove(s);
    }

    E<V> containing(long p) {
        List<E<V>> in = intersecting(p, p);
        return in.isEmpty() ? null : in.get(0);
    }

    /** Holes of [lo, hi] with at least minSize addresses (0 and 1 mean all), by walking everything. */
    List<long[]> holes(long lo, long hi, long minSize) {
        List<long[]> out = new ArrayList<>();
        if (Long.compareUnsigned(lo, hi) > 0) {
            return out;
        }
        long need = minSize == 0 ? 0 : minSize - 1;
        long cur = lo; // lowest address not yet known covered
        boolean done = false;
        Long from = map.floorKey(lo);
        for (E<V> e : (from == null ? map : map.tailMap(from, true)).values()) {
            if (Long.compareUnsigned(e.last, cur) < 0) {
                continue;
            }
            if (Long.compareUnsigned(e.start, hi) > 0) {
                break;
            }
            if (Long.compareUnsigned(e.start, cur) > 0) {
                long l = e.start - 1;
                if (Long.compareUnsigned(l - cur, need) >= 0) {
                    out.add(new long[] {cur, l});
                }
            }
            if (Long.compareUnsigned(e.last, hi) >= 0) {
                done = true;
                break;
            }
            cur = e.last + 1;
        }
        if (!done && Long.compareUnsigned(hi - cur, need) >= 0) {
            out.add(new long[] {cur, hi});
        }
        return out;
    }

    long findFirstFit(long lo, long hi, long length, long align, long pageOffset) {
        for (long[] h : holes(lo, hi, 1)) {
            // aligned >= h[0], so l - aligned <= l - h[0]: a shorter hole fails the kernel's
            // own length test; skipping it only saves the slow oracle.
            if (Long.compareUnsigned(h[1] - h[0], length - 1) < 0) {
                continue;
            }
            long r = RefCheck.check(h[0], h[1], length, align, pageOffset);
            if (r != -1L) {
                return r;
            }
        }
        return -1L;
    }
}
