package dev.iommufdsim.bench.iopt;

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
 * Automatic IOVA allocation with {@code n} areas packed at the bottom of the space and free
 * space above: {@link IntervalMap#findFirstFit} of 4 KiB aligned to 4 KiB must skip every
 * subtree (their gaps are too small) and find the space after the last area. Layout
 * {@code dense}: areas touch; {@code smallGaps}: 4 KiB areas every 6 KiB, so each of the n
 * holes exists but is 2 KiB, too small — the case that a scan of every hole would pay for.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class FirstFitBench {
    /** Callers keep the search below the last page (see IntervalMap.NO_FIT). */
    private static final long HI = -1L - Pages.PAGE_SIZE;

    @Param({"1000000"})
    public int n;

    @Param({"dense", "smallGaps"})
    public String layout;

    private IntervalMap<Object> map;
    private long expected;

    @Setup(Level.Trial)
    public void setUp() {
        long stride = switch (layout) {
            case "dense" -> Pages.PAGE_SIZE;
            case "smallGaps" -> Pages.PAGE_SIZE + Pages.PAGE_SIZE / 2;
            default -> throw new IllegalArgumentException(layout);
        };
        map = new IntervalMap<>();
        Object area = new Object();
        for (long i = 0; i < n; i++) {
            map.insert(i * stride, i * stride + Pages.PAGE_SIZE - 1, area);
        }
        long end = (n - 1) * stride + Pages.PAGE_SIZE; // first free byte after the last area
        expected = (end + Pages.PAGE_SIZE - 1) & -Pages.PAGE_SIZE;
        long got = map.findFirstFit(0, HI, Pages.PAGE_SIZE, Pages.PAGE_SIZE, 0);
        if (got != expected) {
            throw new IllegalStateException("findFirstFit gave 0x" + Long.toHexString(got) + ", expected 0x" + Long.toHexString(expected));
        }
    }

    /** One allocation search; nothing is inserted, so each call does the same work. */
    @Benchmark
    public long findFirstFit() {
        return map.findFirstFit(0, HI, Pages.PAGE_SIZE, Pages.PAGE_SIZE, 0);
    }
}
