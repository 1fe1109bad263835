package dev.iommufdsim.repl.server;

import dev.iommufdsim.repl.render.JunitXml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The results of a TAP producer, such as the kernel's kselftest harness
 * (tools/testing/selftests/kselftest_harness.h), read line by line from the program's
 * output as {@code exec} relays it, and written as a JUnit XML report.
 *
 * <p>The harness prints {@code #  RUN fixture.variant.test ...}, then the test's diagnostics
 * as {@code # ...} lines (a failed assertion is {@code # file.c:LINE:test:Expected ...}), then
 * {@code ok N name}, {@code ok N name # SKIP reason} or {@code not ok N name}. Each result
 * becomes a testcase: classname {@code fixture.variant}, name {@code test}; a failure carries
 * its first failed assertion as message and the test's diagnostics as text.
 */
public final class TapReport {
    /** One TAP result. */
    public record Result(int number, String name, Status status, String message, String diagnostics) {
    }

    /** A result's kind. */
    public enum Status {
        PASS, FAIL, SKIP
    }

    private static final Pattern RESULT = Pattern.compile("^(not ok|ok) (\\d+) (.*?)(?: # (SKIP|skip|TODO|todo)\\b ?(.*))?$");
    /** A harness assertion: {@code # iommufd.c:123:test_name:Expected ...}. */
    private static final Pattern ASSERTION = Pattern.compile("^# ([\\w.-]+\\.[ch]:\\d+:.*)$");

    private final List<Result> results = new ArrayList<>();
    private final StringBuilder diag = new StringBuilder();
    private String firstAssertion;
    private final StringBuilder partial = new StringBuilder();

    /** Feeds raw output bytes; lines are split here (a line may arrive in pieces). */
    public synchronized void feed(byte[] buf, int off, int len) {
        partial.append(new String(buf, off, len, StandardCharsets.UTF_8));
        int nl;
        while ((nl = partial.indexOf("\n")) >= 0) {
            line(partial.substring(0, nl));
            partial.delete(0, nl + 1);
        }
    }

    /** Feeds one line of output (without its newline). */
    public synchronized void line(String line) {
        if (line.startsWith("#  RUN ")) {
            diag.setLength(0);
            firstAssertion = null;
            return;
        }
        Matcher m = RESULT.matcher(line);
        if (m.matches()) {
            boolean ok = m.group(1).equals("ok");
            Status status = m.group(4) != null && m.group(4).equalsIgnoreCase("SKIP") ? Status.SKIP : ok ? Status.PASS : Status.FAIL;
            String message = switch (status) {
                case SKIP -> m.group(5) == null ? "" : m.group(5).trim();
                case FAIL -> firstAssertion != null ? firstAssertion : "not ok (no assertion printed)";
                case PASS -> "";
            };
            results.add(new Result(Integer.parseInt(m.group(2)), m.group(3).trim(), status, message, diag.toString()));
            diag.setLength(0);
            firstAssertion = null;
            return;
        }
        if (line.startsWith("#")) {
            diag.append(line).append('\n');
            Matcher a = ASSERTION.matcher(line);
            if (firstAssertion == null && a.matches()) {
                firstAssertion = a.group(1);
            }
        }
    }

    /** The results read so far, in order. */
    public synchronized List<Result> results() {
        return List.copyOf(results);
    }

    /** How many results have this status. */
    public synchronized int count(Status s) {
        return (int) results.stream().filter(r -> r.status() == s).count();
    }

    /** One line: {@code TAP: P pass, S skip, F fail of N}. */
    public synchronized String summary() {
        return String.format("TAP: %d pass, %d skip, %d fail of %d", count(Status.PASS), count(Status.SKIP), count(Status.FAIL),
                results.size());
    }

    /** Writes the results as a JUnit XML report (one testsuite named {@code suite}), creating parent directories. */
    public synchronized void writeJunit(Path path, String suite, double seconds) throws IOException {
        try (JunitXml x = JunitXml.open(path, false)) {
            x.suite(suite, results.size(), count(Status.FAIL), 0, count(Status.SKIP), seconds);
            for (Result r : results) {
                int dot = r.name().lastIndexOf('.');
                JunitXml.Kind kind = switch (r.status()) {
                    case FAIL -> JunitXml.Kind.FAILURE;
                    case SKIP -> JunitXml.Kind.SKIPPED;
                    case PASS -> JunitXml.Kind.PASSED;
                };
                x.testcase(dot > 0 ? r.name().substring(0, dot) : suite, dot > 0 ? r.name().substring(dot + 1) : r.name(), -1, kind,
                        r.message(), r.status() == Status.FAIL ? r.diagnostics() : null);
            }
            x.endSuite();
        }
    }
}
