package dev.iommufdsim.bench.iopt;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.iommufdsim.kernel.iopt.IntervalMap;

/**
 * One MAP + UNMAP pair on an IOAS holding {@code n} live areas, as io_pagetable does it:
 * test the new range for an intersection, insert the area, later remove it by its start.
 * Areas are 4 KiB at distinct random pages of a 2^40-byte space; each operation uses a fresh
 * precomputed free page (and precomputed boxed key and value, so the TreeMap baseline pays
 * for its tree and not for boxing).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class AreaMapBench {
    /** 2^40 bytes of IOVA space = 2^28 pages. */
    private static final int PAGE_BITS = 40 - Pages.PAGE_SHIFT;
    /** Precomputed operations, cycled; a power of two. */
    private static final int OPS = 1 << 20;

    @Param({"1000", "100000", "1000000"})
    public int n;

    @Param({"IntervalMap", "TreeMap"})
    public String impl;

    private AreaIndex index;
    private long[] opStart;
    private Long[] opKey;
    private long[][] opArea;
    private int next;

    /** The two implementations behind one small interface; each fork loads only one, so calls stay monomorphic. */
    interface AreaIndex {
        /** Check, insert, remove; false if the range was not free. */
        boolean mapUnmap(long start, long last, Long key, long[] area);
    }

    static final class IntervalMapIndex implements AreaIndex {
        final IntervalMap<long[]> map = new IntervalMap<>();

        @Override
        public boolean mapUnmap(long start, long last, Long key, long[] area) {
            if (map.intersects(start, last)) {
                return false;
            }
            map.insert(start, last, area);
            return map.remove(start) == area;
        }
    }

    /** The baseline: a TreeMap keyed by start, the value holding the last address. */
    static final class TreeMapIndex implements AreaIndex {
        final TreeMap<Long, long[]> map = new TreeMap<>();

        @Override
        public boolean mapUnmap(long start, long last, Long key, long[] area) {
            Map.Entry<Long, long[]> floor = map.floorEntry(key);
            if (floor != null && floor.getValue()[0] >= start) {
                return false;
            }
            Map.Entry<Long, long[]> ceiling = map.ceilingEntry(key);
            if (ceiling != null && ceiling.getKey() <= last) {
                return false;
            }
            map.put(key, area);
            return map.remove(key) == area;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(42);
        long[] live = Pages.distinctSorted(rnd, n, PAGE_BITS);
        long[] free = Pages.freeRandom(rnd, OPS, PAGE_BITS, live);
        Pages.shuffle(rnd, live); // insert the live areas in random order, as a real IOAS fills
        switch (impl) {
            case "IntervalMap" -> {
                IntervalMapIndex idx = new IntervalMapIndex();
                for (long p : live) {
                    long s = p << Pages.PAGE_SHIFT;
                    idx.map.insert(s, s + Pages.PAGE_SIZE - 1, new long[] {s + Pages.PAGE_SIZE - 1});
                }
                index = idx;
            }
            case "TreeMap" -> {
                TreeMapIndex idx = new TreeMapIndex();
                for (long p : live) {
                    long s = p << Pages.PAGE_SHIFT;
                    idx.map.put(s, new long[] {s + Pages.PAGE_SIZE - 1});
                }
                index = idx;
            }
            default -> throw new IllegalArgumentException(impl);
        }
        opStart = new long[OPS];
        opKey = new Long[OPS];
        opArea = new long[OPS][];
        for (int i = 0; i < OPS; i++) {
            long s = free[i] << Pages.PAGE_SHIFT;
            opStart[i] = s;
            opKey[i] = s;
            opArea[i] = new long[] {s + Pages.PAGE_SIZE - 1};
        }
        next = 0;
    }

    /** One MAP (check + insert) and UNMAP (remove) pair. */
    @Benchmark
    public boolean mapUnmap() {
        int i = next++ & (OPS - 1);
        long s = opStart[i];
        return index.mapUnmap(s, s + Pages.PAGE_SIZE - 1, opKey[i], opArea[i]);
    }
}
