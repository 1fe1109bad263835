package dev.iommufdsim.repl.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EvalResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fuzzer's scripts say what its Java calls did: generated sequences, printed as scripts
 * (failed calls as `expect ... fails ERRNO`), run through the engine with every call giving
 * the same outcome, so a printed reproduction reproduces.
 */
class ScriptRoundTripTest {
    @Test
    void printedSequencesRunTheSameThroughTheLanguage() {
        OpFuzzer fuzzer = new OpFuzzer(FuzzPlugins.host());
        long calls = 0;
        for (long s = 1; s <= 25; s++) {
            final long seed = s;
            OpFuzzer.Run run = fuzzer.generate(seed, 150, new OpFuzzer.Stats());
            List<Op> ops = run.finding() == null ? run.ops() : run.ops().subList(0, run.finding().index());
            String script = run.world().script(ops, "round trip of seed " + seed);
            Sim sim = Sim.create(FuzzPlugins.host(), KernelProfile.MAINLINE);
            EvalResult r = sim.engine().eval(script, "seed" + seed + ".sim");
            assertEquals(EvalResult.Status.OK, r.status(), () -> "seed " + seed + ": " + r.diagnostics() + " " + r.error() + "\n" + script);
            assertEquals(0, r.failed(), () -> "seed " + seed + ": an expectation failed\n" + script);
            calls += ops.stream().filter(o -> !o.skipped).count();
        }
        assertTrue(calls > 1000);
        System.out.println("fuzz round trip: " + calls + " calls printed as scripts ran with the same outcomes");
    }
}
