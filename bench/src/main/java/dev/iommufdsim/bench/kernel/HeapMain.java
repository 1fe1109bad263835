package dev.iommufdsim.bench.kernel;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.ref.Reference;
import java.util.SplittableRandom;

/**
 * The heap of {@code n} live areas: maps {@code n} 4 KiB areas (default 1M) at distinct random
 * pages through the kernel API ({@code IommufdCtx#ioasMap} with FIXED_IOVA, an IOAS with no
 * domain) and prints one line of {@code key=value} figures:
 * <ul>
 * <li>{@code used_after_gc}: the heap in use after a full GC with the areas live (the
 *     retained size of the whole process heap), and {@code baseline}: the same before mapping;
 * <li>{@code per_area}: (used_after_gc - baseline) / n, in bytes;
 * <li>{@code peak_pools}: the sum of the heap pools' peak usage (an upper bound of the peak);
 * <li>{@code max_heap}: the -Xmx it ran with.
 * </ul>
 * It exits 0 when all {@code n} areas were mapped; an OutOfMemoryError ends it with another
 * code, which is how {@code iommufd-sim bench} finds the smallest -Xmx that holds 1M areas.
 * Random pages are drawn on the fly (a rare collision is answered EEXIST and drawn again), so
 * no precomputed array adds to the figure.
 */
public final class HeapMain {
    private HeapMain() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();

        IommufdCtx ctx = new Machine(KernelProfile.MAINLINE).open();
        int ioas = ctx.ioasAlloc(0);
        long baseline = usedAfterGc(mem);

        SplittableRandom rnd = new SplittableRandom(42);
        long pages = 1L << (40 - 12);
        int collisions = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; ) {
            long iova = KernelMapBench.BASE + (rnd.nextLong(pages) << 12);
            try {
                ctx.ioasMap(ioas, KernelMapBench.RW_FIXED, KernelMapBench.USER_VA, 4096, iova, 0);
                i++;
            } catch (IommufdException e) {
                collisions++;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long used = usedAfterGc(mem);
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf("areas=%d used_after_gc=%d baseline=%d per_area=%.1f peak_pools=%d max_heap=%d map_seconds=%.2f collisions=%d%n",
                n, used, baseline, (used - baseline) / (double) n, peak, Runtime.getRuntime().maxMemory(), seconds, collisions);
        Reference.reachabilityFence(ctx);
    }

    private static long usedAfterGc(MemoryMXBean mem) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return mem.getHeapMemoryUsage().getUsed();
    }
}
