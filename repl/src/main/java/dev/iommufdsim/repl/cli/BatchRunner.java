package dev.iommufdsim.repl.cli;

import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EngineListener;
import dev.iommufdsim.repl.interp.EvalResult;
import dev.iommufdsim.repl.interp.Expectation;
import dev.iommufdsim.repl.interp.RuntimeError;
import dev.iommufdsim.repl.render.JsonRenderer;
import dev.iommufdsim.repl.render.TextRenderer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * `iommufd-sim run FILE...`: each script in a fresh simulator, no terminal. Prints each
 * failed expectation and error with its position, `show` output, and a summary line
 * "N passed, N failed". Exit 0 when all holds, 1 when an expectation failed or a call
 * stopped a script, 2 when a script could not be loaded (syntax, names, missing file).
 */
public final class BatchRunner {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_LOAD = 2;

    /** What one script did, for the summary and the JUnit report. */
    public record FileReport(Path file, List<Expectation> expectations, RuntimeError error, List<Diagnostic> diagnostics,
                             double seconds) {
    }

    private final PrintStream out;
    private final boolean json;
    private final Supplier<Sim> sims;

    public BatchRunner(PrintStream out, boolean json, Supplier<Sim> sims) {
        this.out = out;
        this.json = json;
        this.sims = sims;
    }

    public List<FileReport> runAll(List<Path> files) {
        List<FileReport> reports = new ArrayList<>();
        for (Path f : files) {
            reports.add(runOne(f));
        }
        return reports;
    }

    private FileReport runOne(Path file) {
        Sim sim = sims.get();
        List<Expectation> expectations = new ArrayList<>();
        long t0 = System.nanoTime();
        sim.engine().setListener(new EngineListener() {
            @Override
            public void expectation(Expectation e) {
                expectations.add(e);
                if (!e.passed()) {
                    if (json) {
                        event("expectation_failed", e.pos(), "source", e.source(), "expected", JsonRenderer.toJson(e.expected()),
                                "actual", JsonRenderer.toJson(e.actual()), "message", e.message());
                    } else {
                        out.println(e.pos().file() + ":" + e.pos().line() + ": expectation failed: " + e.source() + ": " + e.message());
                    }
                }
            }

            @Override
            public void show(Object value, SourcePos pos) {
                if (json) {
                    event("show", pos, "value", JsonRenderer.toJson(value));
                } else {
                    out.println(TextRenderer.render(value));
                }
            }

            @Override
            public void runtimeError(RuntimeError error) {
                if (json) {
                    event("error", error.pos(), "call", error.call(), "errno", error.errno() == null ? null : error.errno().name(),
                            "message", error.getMessage());
                } else {
                    out.println(error);
                    for (SourcePos p : error.trace()) {
                        out.println("  called from " + p);
                    }
                }
            }

            @Override
            public void diagnostics(List<Diagnostic> diagnostics) {
                for (Diagnostic d : diagnostics) {
                    if (json) {
                        event("diagnostic", d.pos(), "message", d.message());
                    } else {
                        out.println(d);
                    }
                }
            }
        });
        EvalResult r = sim.runFile(file);
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new FileReport(file, List.copyOf(expectations), r.error(), r.diagnostics(), seconds);
    }

    private void event(String kind, SourcePos pos, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", kind);
        m.put("file", pos.file());
        m.put("line", pos.line());
        m.put("col", pos.col());
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        out.println(JsonRenderer.write(m));
    }

    /** Prints the summary line (or JSON object) and returns the exit code. */
    public int summarize(List<FileReport> reports) {
        int passed = 0;
        int failed = 0;
        boolean loadError = false;
        for (FileReport r : reports) {
            for (Expectation e : r.expectations()) {
                if (e.passed()) {
                    passed++;
                } else {
                    failed++;
                }
            }
            if (r.error() != null) {
                failed++;
            }
            loadError |= !r.diagnostics().isEmpty();
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", "summary");
            m.put("passed", passed);
            m.put("failed", failed);
            m.put("load_errors", reports.stream().filter(r -> !r.diagnostics().isEmpty()).count());
            m.put("files", reports.size());
            out.println(JsonRenderer.write(m));
        } else {
            out.println(passed + " passed, " + failed + " failed");
        }
        return loadError ? EXIT_LOAD : failed > 0 ? EXIT_FAILED : EXIT_OK;
    }

    /** Writes the JUnit XML report of these runs. */
    public static void writeJunit(Path path, List<FileReport> reports) throws IOException {
        JunitReport.write(path, reports);
    }
}
