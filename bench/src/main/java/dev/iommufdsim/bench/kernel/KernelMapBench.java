package dev.iommufdsim.bench.kernel;

import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_WRITEABLE;

import dev.iommufdsim.bench.iopt.Pages;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import java.util.SplittableRandom;
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

/**
 * One IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP pair through the kernel API
 * ({@link IommufdCtx#ioasMap} with FIXED_IOVA, then {@link IommufdCtx#ioasUnmap}) on an IOAS
 * with no domain that holds {@code n} live 4 KiB areas: every check of the ioctls, the pages
 * object, the io_pagetable's intersection test, insert and remove, as a VMM's call costs.
 * This is {@link dev.iommufdsim.bench.iopt.AreaMapBench}'s pair one layer up.
 *
 * <p>The live areas sit at distinct random pages of a 2^40-byte window above {@link #BASE},
 * mapped in random order in setup; each operation maps one page at the next of a cycle of
 * precomputed random free pages and unmaps it again, so the IOAS holds {@code n} areas
 * between operations and no random number is drawn in the measured method. A score is ns per
 * pair; 1e9 / score is pairs per second.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class KernelMapBench {
    /** Above the kernel's default allowed range start and 4 KiB aligned. */
    static final long BASE = 0x100000000L;
    /** Any user address: the emulated process has everything mapped. */
    static final long USER_VA = 0x400000000000L;
    static final int RW_FIXED = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    /** 2^40 bytes of IOVA space = 2^28 pages. */
    private static final int PAGE_BITS = 40 - Pages.PAGE_SHIFT;
    /** Precomputed operations, cycled; a power of two. */
    private static final int OPS = 1 << 20;

    @Param({"1000", "100000", "1000000"})
    public int n;

    private IommufdCtx ctx;
    private int ioas;
    private long[] opIova;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(42);
        long[] live = Pages.distinctSorted(rnd, n, PAGE_BITS);
        long[] free = Pages.freeRandom(rnd, OPS, PAGE_BITS, live);
        Pages.shuffle(rnd, live); // map the live areas in random order, as a real IOAS fills
        ctx = new Machine(KernelProfile.MAINLINE).open();
        ioas = ctx.ioasAlloc(0);
        for (long p : live) {
            ctx.ioasMap(ioas, RW_FIXED, USER_VA, Pages.PAGE_SIZE, BASE + (p << Pages.PAGE_SHIFT), 0);
        }
        opIova = new long[OPS];
        for (int i = 0; i < OPS; i++) {
            opIova[i] = BASE + (free[i] << Pages.PAGE_SHIFT);
        }
        next = 0;
    }

    /** IOAS_MAP at a free page with FIXED_IOVA, then IOAS_UNMAP of it. */
    @Benchmark
    public long mapUnmap() {
        long iova = opIova[next++ & (OPS - 1)];
        ctx.ioasMap(ioas, RW_FIXED, USER_VA, Pages.PAGE_SIZE, iova, 0);
        return ctx.ioasUnmap(ioas, iova, Pages.PAGE_SIZE);
    }
}
