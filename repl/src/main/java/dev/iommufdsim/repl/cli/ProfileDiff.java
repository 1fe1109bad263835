package dev.iommufdsim.repl.cli;

import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.host.Limits;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EngineListener;
import dev.iommufdsim.repl.interp.EvalResult;
import dev.iommufdsim.repl.interp.Expectation;
import dev.iommufdsim.repl.interp.RuntimeError;
import dev.iommufdsim.repl.interp.Values;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * `iommufd-sim diff FILE`: runs one script under several kernel-behaviour profiles and prints,
 * side by side, every statement whose outcome differs — its value, its expectation, the
 * errno that stopped it, or that it never ran. Outcomes are what the engine reports: top-level
 * expression values, `show`, `expect`, and errors.
 */
final class ProfileDiff {
    private ProfileDiff() {
    }

    /** Outcomes of one run, per line of the script, in order. */
    static Map<Integer, String> outcomes(Sim sim, Path file) {
        Map<Integer, String> out = new TreeMap<>();
        String name = file.toString();
        sim.engine().setListener(new EngineListener() {
            private void add(SourcePos pos, String what) {
                if (pos.file().equals(name)) {
                    out.merge(pos.line(), what, (a, b) -> a + "; " + b);
                }
            }

            @Override
            public void result(Object value, SourcePos pos) {
                add(pos, Values.repr(value));
            }

            @Override
            public void show(Object value, SourcePos pos) {
                add(pos, Values.repr(value));
            }

            @Override
            public void expectation(Expectation e) {
                add(e.pos(), e.passed() ? "ok (" + e.message() + ")" : "FAILED: " + e.message());
            }

            @Override
            public void runtimeError(RuntimeError error) {
                add(error.pos(), error.errno() != null ? error.errno() + ": " + error.reason() : "error: " + error.getMessage());
            }
        });
        EvalResult r = sim.runFile(file);
        if (!r.diagnostics().isEmpty()) {
            out.put(0, "load error: " + r.diagnostics().get(0));
        }
        return out;
    }

    static int run(PrintStream out, PluginHost plugins, Path file, List<KernelProfile> profiles, Limits limits)
            throws java.io.IOException {
        List<String> lines = Files.readAllLines(file);
        Map<KernelProfile, Map<Integer, String>> all = new LinkedHashMap<>();
        TreeSet<Integer> keys = new TreeSet<>();
        for (KernelProfile p : profiles) {
            Map<Integer, String> o = outcomes(Sim.create(plugins, p, limits), file);
            all.put(p, o);
            keys.addAll(o.keySet());
        }
        int width = profiles.stream().mapToInt(p -> p.userName().length()).max().orElse(0);
        int differing = 0;
        for (int line : keys) {
            List<String> vals = new ArrayList<>();
            for (KernelProfile p : profiles) {
                vals.add(all.get(p).getOrDefault(line, "(not run)"));
            }
            if (vals.stream().distinct().count() == 1) {
                continue;
            }
            differing++;
            out.println(file + ":" + line + ": " + (line >= 1 && line <= lines.size() ? lines.get(line - 1).strip() : ""));
            for (int i = 0; i < profiles.size(); i++) {
                String n = profiles.get(i).userName();
                out.println("  " + n + " ".repeat(width - n.length()) + "  " + vals.get(i));
            }
        }
        out.println(differing + " statements differ across " + String.join(", ", profiles.stream().map(KernelProfile::userName).toList()));
        return BatchRunner.EXIT_OK;
    }
}
