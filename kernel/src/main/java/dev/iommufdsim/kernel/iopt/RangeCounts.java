package dev.iommufdsim.kernel.iopt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A count per index over indices 0 .. Long.MAX_VALUE - 1 (page numbers, page indices), stored as runs:
 * maximal ranges {@code [start, last]} of one non-zero count; every other index counts 0.
 * Adding to a range costs O(log n + runs it touches), so pinning a large mapping is one
 * operation, not one per page.
 *
 * <p>What it counts is the caller's business: the holders of each page index of an
 * {@code iopt_pages} (its domain areas and accesses), or the pins of each user page.
 */
public final class RangeCounts {
    /** A run: [start, last] (start is the map key) with count != 0. */
    private static final class Run {
        long last;
        int count;

        Run(long last, int count) {
            this.last = last;
            this.count = count;
        }
    }

    /** Receives one maximal range [start, last] whose count crossed zero. */
    @FunctionalInterface
    public interface RangeVisitor {
        void visit(long start, long last);
    }

    /** Receives one maximal run [start, last] of a constant count (0 for an uncounted gap). */
    @FunctionalInterface
    public interface CountVisitor {
        /** Returns false to stop. */
        boolean visit(long start, long last, int count);
    }

    private final TreeMap<Long, Run> runs = new TreeMap<>();

    public boolean isEmpty() {
        return runs.isEmpty();
    }

    /** The count of one index. */
    public int count(long index) {
        Map.Entry<Long, Run> e = runs.floorEntry(index);
        return e != null && e.getValue().last >= index ? e.getValue().count : 0;
    }

    /**
     * Adds delta (positive or negative) to every index of [start, last].
     *
     * @param crossed receives, ascending and merged, the ranges whose count went from 0 to
     *                non-zero (delta > 0) or from non-zero to 0 (delta < 0); may be null
     * @throws IllegalStateException when a count would drop below zero (a caller bug); nothing
     *                               changes then
     */
    public void add(long start, long last, int delta, RangeVisitor crossed) {
        if (start < 0 || last < start || last == Long.MAX_VALUE) {
            throw new IllegalArgumentException("bad range " + start + ".." + last);
        }
        if (delta == 0) {
            return;
        }
        if (delta < 0) {
            forEachRun(start, last, (s, l, c) -> {
                if (c + delta < 0) {
                    throw new IllegalStateException("count below zero at " + s + " (count " + c + ", adding " + delta + ")");
                }
                return true;
            });
        }
        split(start);
        split(last + 1);
        List<long[]> edges = new ArrayList<>();
        long cur = start;
        while (cur <= last) {
            Map.Entry<Long, Run> e = runs.ceilingEntry(cur);
            long next = e == null || e.getKey() > last ? last + 1 : e.getKey();
            if (next > cur) {
                // a gap [cur, next-1] counted 0: it becomes delta (> 0, checked above)
                runs.put(cur, new Run(next - 1, delta));
                addEdge(edges, cur, next - 1);
                cur = next;
                continue;
            }
            Run r = e.getValue();
            r.count += delta;
            if (r.count == 0) {
                runs.remove(e.getKey());
                addEdge(edges, e.getKey(), r.last);
            }
            cur = r.last + 1;
        }
        coalesce(start, last);
        if (crossed != null) {
            for (long[] x : edges) {
                crossed.visit(x[0], x[1]);
            }
        }
    }

    /**
     * Visits [start, last] as maximal runs of one count, ascending, gaps included with count 0
     * (adjacent runs may repeat a count when they were added separately).
     */
    public void forEachRun(long start, long last, CountVisitor v) {
        long cur = start;
        Map.Entry<Long, Run> e = runs.floorEntry(start);
        if (e == null || e.getValue().last < start) {
            e = runs.ceilingEntry(start);
        }
        while (cur <= last) {
            if (e == null || e.getKey() > last) {
                v.visit(cur, last, 0);
                return;
            }
            if (e.getKey() > cur) {
                if (!v.visit(cur, e.getKey() - 1, 0)) {
                    return;
                }
                cur = e.getKey();
            }
            long l = Math.min(e.getValue().last, last);
            if (!v.visit(cur, l, e.getValue().count)) {
                return;
            }
            cur = l + 1;
            e = runs.higherEntry(e.getKey());
        }
    }

    /** The number of stored runs (for tests and invariant checks). */
    public int runCount() {
        return runs.size();
    }

    /** Makes index at a run boundary: a run covering it is cut in two. */
    private void split(long at) {
        Map.Entry<Long, Run> e = runs.lowerEntry(at);
        if (e != null && e.getValue().last >= at) {
            Run r = e.getValue();
            runs.put(at, new Run(r.last, r.count));
            r.last = at - 1;
        }
    }

    /** Merges equal-count neighbours around and inside [start, last], keeping the map small. */
    private void coalesce(long start, long last) {
        Map.Entry<Long, Run> e = runs.floorEntry(start == 0 ? 0 : start - 1);
        if (e == null) {
            e = runs.ceilingEntry(start);
        }
        while (e != null && (e.getKey() <= last || e.getKey() == last + 1)) {
            Map.Entry<Long, Run> n = runs.higherEntry(e.getKey());
            if (n != null && n.getKey() == e.getValue().last + 1
                    && n.getValue().count == e.getValue().count) {
                e.getValue().last = n.getValue().last;
                runs.remove(n.getKey());
                continue;
            }
            e = n;
        }
    }

    private static void addEdge(List<long[]> edges, long s, long l) {
        if (!edges.isEmpty() && edges.get(edges.size() - 1)[1] + 1 == s) {
            edges.get(edges.size() - 1)[1] = l;
        } else {
            edges.add(new long[] {s, l});
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        runs.forEach((s, r) -> sb.append(sb.length() > 1 ? ", " : "").append(s).append("..").append(r.last).append('=').append(r.count));
        return sb.append('}').toString();
    }
}
