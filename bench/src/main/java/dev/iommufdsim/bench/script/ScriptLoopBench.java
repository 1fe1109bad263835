package dev.iommufdsim.bench.script;

import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_WRITEABLE;

import dev.iommufdsim.dsl.Script;
import dev.iommufdsim.dsl.ScriptParser;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.repl.builtins.UapiBuiltins;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.Engine;
import dev.iommufdsim.repl.interp.EvalResult;
import java.util.List;
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
 * The budget: a script loop of {@code n} {@code ioas_map} + {@code ioas_unmap} pairs
 * must run within 3x of the same loop written against the kernel's Java API. Both loops map
 * one 4 KiB page at a fixed IOVA into an IOAS with no domain and unmap it again, so the IOAS
 * is empty between iterations and every invocation does the same work.
 *
 * <p>{@link #script} parses the loop once (in setup) and runs it through the engine in the
 * measured method, which includes resolving it (once per run, not per iteration) and every
 * statement step; {@link #java} is the baseline. A score is the time of one whole loop of
 * {@code n} pairs (divide by {@code n} for one pair); the ratio of the two scores is the
 * figure the budget is about.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class ScriptLoopBench {
    /** Above the kernel's default allowed range start and 4 KiB aligned. */
    static final long BASE = 0x100000000L;
    static final long PAGE = 4096;
    static final int RW_FIXED = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

    /** Map + unmap pairs per invocation. */
    @Param({"100000"})
    public int n;

    private Engine engine;
    private Script loop;
    private IommufdCtx ctx;
    private int ioas;

    @Setup(Level.Trial)
    public void setUp() {
        Sim sim = Sim.create(PluginHost.load(List.of()), KernelProfile.MAINLINE);
        engine = sim.engine();
        EvalResult r = engine.eval("ioas = ioas_alloc()", "setup");
        if (r.status() != EvalResult.Status.OK) {
            throw new IllegalStateException("setup failed: " + r);
        }
        loop = ScriptParser.parse(String.join("\n",
                "for i in 0.." + (n - 1) + " {",
                "  iova = ioas_map(ioas, 4K, iova: " + BASE + " + i * 4K)",
                "  ioas_unmap(ioas, iova, 4K)",
                "}",
                ""), "loop");

        ctx = new Machine(KernelProfile.MAINLINE).open();
        ioas = ctx.ioasAlloc(0);
    }

    @Benchmark
    public long script() {
        EvalResult r = engine.run(loop);
        if (r.status() != EvalResult.Status.OK) {
            throw new IllegalStateException("the loop failed: " + r);
        }
        return engine.steps();
    }

    @Benchmark
    public long java() {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            long iova = ctx.ioasMap(ioas, RW_FIXED, UapiBuiltins.DEFAULT_USER_VA, PAGE, BASE + i * PAGE, 0);
            sum += ctx.ioasUnmap(ioas, iova, PAGE);
        }
        return sum;
    }
}
