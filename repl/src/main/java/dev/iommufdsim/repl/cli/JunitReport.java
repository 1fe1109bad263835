package dev.iommufdsim.repl.cli;

import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.repl.interp.Expectation;
import dev.iommufdsim.repl.render.JunitXml;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The JUnit XML report of a batch run, in the shape Surefire writes: one testsuite per
 * script, one testcase per expectation (named by its line and source), an error case for
 * the call that stopped a script, a failure case for a script that did not load.
 */
final class JunitReport {
    private JunitReport() {
    }

    static void write(Path path, List<BatchRunner.FileReport> reports) throws IOException {
        try (JunitXml x = JunitXml.open(path, true)) {
            for (BatchRunner.FileReport r : reports) {
                suite(x, r);
            }
        }
    }

    private static void suite(JunitXml x, BatchRunner.FileReport r) throws IOException {
        int failures = (int) r.expectations().stream().filter(e -> !e.passed()).count() + (r.diagnostics().isEmpty() ? 0 : 1);
        int errors = r.error() == null ? 0 : 1;
        int tests = r.expectations().size() + errors + (r.diagnostics().isEmpty() ? 0 : 1);
        String name = r.file().toString();
        x.suite(name, tests, failures, errors, 0, r.seconds());
        for (Expectation e : r.expectations()) {
            x.testcase(name, "line " + e.pos().line() + ": " + e.source(), -1, e.passed() ? JunitXml.Kind.PASSED : JunitXml.Kind.FAILURE,
                    e.message(), e.pos() + ": " + e.message());
        }
        if (r.error() != null) {
            x.testcase(name, "line " + r.error().pos().line() + ": " + (r.error().call() == null ? "script" : r.error().call()), -1,
                    JunitXml.Kind.ERROR, r.error().getMessage(), r.error().toString());
        }
        if (!r.diagnostics().isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (Diagnostic d : r.diagnostics()) {
                sb.append(d).append('\n');
            }
            x.testcase(name, "load", -1, JunitXml.Kind.FAILURE, r.diagnostics().get(0).toString(), sb.toString());
        }
        x.endSuite();
    }
}
