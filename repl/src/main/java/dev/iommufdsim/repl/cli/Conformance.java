package dev.iommufdsim.repl.cli;

import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.host.Limits;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EngineListener;
import dev.iommufdsim.repl.interp.EvalResult;
import dev.iommufdsim.repl.interp.Expectation;
import dev.iommufdsim.repl.interp.Record;
import dev.iommufdsim.repl.interp.RuntimeError;
import dev.iommufdsim.repl.interp.Values;
import dev.iommufdsim.repl.render.JsonRenderer;
import dev.iommufdsim.repl.render.JunitXml;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * `iommufd-sim conformance`: the kernel's selftest cases (tools/testing/selftests/iommu/iommufd.c)
 * ported as scripts, and the vendor-neutral rules every driver keeps, run case by case.
 *
 * <p>The suite is scripts/conformance (README.md there describes it). A script marks each case
 * with a comment line {@code # TEST_F(fixture, name)}, optionally followed by {@code [variant, ...]}
 * to limit the fixture variants it runs in, and then defines the case as a function
 * {@code fn NAME(self, variant)}. The fixture is set up by {@code fn FIXTURE_setup(variant)},
 * which opens the context and returns {@code self}, and torn down by {@code fn
 * FIXTURE_teardown(self)} (default: {@code close()}); its variants are the fields of the global
 * record {@code FIXTURE_variants} (no such global: the fixture has none). Like the kselftest
 * harness, every case runs once per variant, as {@code fixture.variant.name}, each in a fresh
 * simulator, so object IDs are the kernel's. A case returning {@code {skip: "why"}} is skipped
 * (the harness's SKIP()).
 *
 * <p>Cases in a {@code known-failures} directory fail because of emulator bugs (listed in the
 * suite's README): they are reported as XFAIL, never counted as passing, and a known failure that
 * passes is reported as XPASS and fails the run (the list is out of date). A script with a line
 * {@code # VENDOR_NEUTRAL} runs against the driver given by {@code --plugin}: before it loads,
 * {@code DRIVER} holds the driver's name and {@code IOMMU} an instance of it ({@code iommu IOMMU
 * = DRIVER()}).
 */
public final class Conformance {
    /** The suite's directory below the project root. */
    public static final String SUITE_DIR = "scripts/conformance";
    /** The directory of cases that fail because of emulator bugs. */
    public static final String KNOWN_FAILURES_DIR = "known-failures";
    /** The driver the vendor-neutral scripts use when none is chosen. */
    public static final String DEFAULT_DRIVER = "mock";

    private static final Pattern TEST_F = Pattern.compile("^\\s*#\\s*TEST_F\\(\\s*(\\w+)\\s*,\\s*(\\w+)\\s*\\)\\s*(?:\\[([\\w\\s,]*)\\])?.*$");
    private static final Pattern FN = Pattern.compile("^\\s*fn\\s+(\\w+)\\s*\\(.*$");
    private static final Pattern NEUTRAL = Pattern.compile("^\\s*#\\s*VENDOR_NEUTRAL\\b.*$");
    private static final String ENTRY = "<conformance>";

    /** How a case ended. XFAIL and XPASS are for known failures; neither counts as passing. */
    public enum Outcome {
        PASS, FAIL, SKIP, XFAIL, XPASS;

        /** Whether this outcome makes the run fail. */
        public boolean failsRun() {
            return this == FAIL || this == XPASS;
        }
    }

    /**
     * One case: a TEST_F in one fixture variant.
     *
     * @param file         the script
     * @param line         the line of its TEST_F marker
     * @param fixture      the selftest fixture (FIXTURE(...))
     * @param variant      the fixture variant, or null for a fixture without variants
     * @param test         the TEST_F name
     * @param function     the script function that is the case
     * @param knownFailure in a known-failures directory
     * @param neutral      a vendor-neutral script (runs against the chosen driver)
     */
    public record Case(Path file, int line, String fixture, String variant, String test, String function, boolean knownFailure,
                       boolean neutral) {
        /** fixture.variant.test, as the kselftest harness names it (fixture.test without variants). */
        public String name() {
            return fixture + (variant == null ? "" : "." + variant) + "." + test;
        }
    }

    /**
     * What one case did.
     *
     * @param detail for a failure, the first differing value: "file:line: expected X, got Y"
     *               (or the call that stopped the case); for a skip, the reason
     */
    public record Result(Case testCase, String driver, Outcome outcome, String detail, List<Expectation> expectations,
                         RuntimeError error, double seconds) {
        /** The failed expectation the detail comes from, or null. */
        public Expectation firstFailure() {
            return expectations.stream().filter(e -> !e.passed()).findFirst().orElse(null);
        }
    }

    /** A script that could not be loaded or whose markers are wrong: no case of it runs. */
    public record LoadError(Path file, String message) {
    }

    /** The cases found in some scripts, and the scripts that did not load. */
    public record Suite(List<Case> cases, List<LoadError> errors) {
    }

    private final Supplier<Sim> sims;
    private final String driver;

    /**
     * @param sims   a fresh simulator per call (the plugins loaded once)
     * @param driver the driver vendor-neutral scripts run against
     */
    public Conformance(Supplier<Sim> sims, String driver) {
        this.sims = sims;
        this.driver = driver;
    }

    public static Conformance withPlugins(PluginHost plugins, KernelProfile profile, String driver) {
        return withPlugins(plugins, profile, Limits.DEFAULT, driver);
    }

    public static Conformance withPlugins(PluginHost plugins, KernelProfile profile, Limits limits, String driver) {
        return new Conformance(() -> Sim.create(plugins, profile, limits), driver);
    }

    public String driver() {
        return driver;
    }

    // ------------------------------------------------------------------ finding the suite

    /** scripts/conformance of the project (the launcher's iommufdsim.root, else the working directory). */
    public static Path defaultSuiteDir() {
        String root = System.getProperty("iommufdsim.root");
        Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        return base.resolve(SUITE_DIR);
    }

    /** Every script of the suite: the top level first, then each subdirectory (lib/ holds no cases). */
    public static List<Path> scripts(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".sim") && Files.isRegularFile(p))
                    .filter(p -> !dir.relativize(p).toString().startsWith("lib"))
                    .sorted(Comparator.comparing((Path p) -> dir.relativize(p).getNameCount()).thenComparing(p -> dir.relativize(p).toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads each script once and lists its cases (one per TEST_F and fixture variant). */
    public Suite discover(List<Path> files) {
        List<Case> cases = new ArrayList<>();
        List<LoadError> errors = new ArrayList<>();
        for (Path f : files) {
            try {
                cases.addAll(casesOf(f));
            } catch (ScriptLoadException e) {
                errors.add(new LoadError(f, e.getMessage()));
            }
        }
        Map<String, Case> seen = new LinkedHashMap<>();
        for (Case c : cases) {
            Case before = seen.putIfAbsent(c.name(), c);
            if (before != null) {
                errors.add(new LoadError(c.file(), c.name() + " at line " + c.line() + " is already defined in " + before.file() + ":"
                        + before.line()));
            }
        }
        return new Suite(List.copyOf(cases), List.copyOf(errors));
    }

    private static final class ScriptLoadException extends Exception {
        private static final long serialVersionUID = 1L;

        ScriptLoadException(String message) {
            super(message, null, false, false);
        }
    }

    private record Marker(int line, String fixture, String test, Set<String> only, String function) {
    }

    private static List<Marker> markers(Path file, List<String> lines) throws ScriptLoadException {
        List<Marker> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = TEST_F.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            String fn = null;
            for (int j = i + 1; j < lines.size(); j++) {
                String l = lines.get(j).strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                Matcher f = FN.matcher(l);
                if (f.matches()) {
                    fn = f.group(1);
                }
                break;
            }
            if (fn == null) {
                throw new ScriptLoadException(file + ":" + (i + 1) + ": TEST_F(" + m.group(1) + ", " + m.group(2)
                        + ") is not followed by the function of the case (fn NAME(self, variant))");
            }
            Set<String> only = new LinkedHashSet<>();
            if (m.group(3) != null) {
                for (String v : m.group(3).split(",")) {
                    if (!v.isBlank()) {
                        only.add(v.strip());
                    }
                }
            }
            out.add(new Marker(i + 1, m.group(1), m.group(2), only, fn));
        }
        return out;
    }

    private static List<String> lines(Path file) throws ScriptLoadException {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new ScriptLoadException(file + ": cannot read the file: " + e.getMessage());
        }
    }

    private static boolean isNeutral(List<String> lines) {
        return lines.stream().anyMatch(l -> NEUTRAL.matcher(l).matches());
    }

    private static boolean isKnownFailure(Path file) {
        for (Path p : file.toAbsolutePath().normalize()) {
            if (p.toString().equals(KNOWN_FAILURES_DIR)) {
                return true;
            }
        }
        return false;
    }

    private List<Case> casesOf(Path file) throws ScriptLoadException {
        List<String> lines = lines(file);
        List<Marker> markers = markers(file, lines);
        boolean neutral = isNeutral(lines);
        Sim sim = sims.get();
        String loadError = load(sim, file, neutral);
        if (loadError != null) {
            throw new ScriptLoadException(loadError);
        }
        List<Case> out = new ArrayList<>();
        for (Marker m : markers) {
            if (!sim.engine().functionNames().contains(m.function())) {
                throw new ScriptLoadException(file + ":" + m.line() + ": no function " + m.function());
            }
            if (!sim.engine().functionNames().contains(m.fixture() + "_setup")) {
                throw new ScriptLoadException(file + ":" + m.line() + ": fixture " + m.fixture() + " has no set-up function "
                        + m.fixture() + "_setup(variant)");
            }
            List<String> variants = variants(sim, m.fixture());
            for (String v : m.only()) {
                if (variants == null || !variants.contains(v)) {
                    throw new ScriptLoadException(file + ":" + m.line() + ": fixture " + m.fixture() + " has no variant " + v);
                }
            }
            if (variants == null) {
                out.add(new Case(file, m.line(), m.fixture(), null, m.test(), m.function(), isKnownFailure(file), neutral));
                continue;
            }
            for (String v : variants) {
                if (m.only().isEmpty() || m.only().contains(v)) {
                    out.add(new Case(file, m.line(), m.fixture(), v, m.test(), m.function(), isKnownFailure(file), neutral));
                }
            }
        }
        return out;
    }

    /** The variant names of a fixture (the fields of FIXTURE_variants), or null when it has none. */
    private static List<String> variants(Sim sim, String fixture) {
        Object v = sim.engine().variable(fixture + "_variants");
        return v instanceof Record r ? List.copyOf(r.fieldNames()) : null;
    }

    /** Prelude and script; returns a load error message, or null. */
    private String load(Sim sim, Path file, boolean neutral) {
        sim.engine().setVariable("DRIVER", driver);
        if (neutral) {
            EvalResult r = sim.eval("iommu IOMMU = " + driver + "()", ENTRY);
            if (!r.ok()) {
                return file + ": cannot declare an instance of the driver " + driver + ": " + describe(r);
            }
        }
        EvalResult r = sim.runFile(file);
        if (!r.ok()) {
            return describe(r);
        }
        sim.engine().resetExpectations();
        return null;
    }

    private static String describe(EvalResult r) {
        if (!r.diagnostics().isEmpty()) {
            return r.diagnostics().get(0).toString() + (r.diagnostics().size() > 1 ? " (and " + (r.diagnostics().size() - 1) + " more)" : "");
        }
        return r.error() == null ? r.status().toString() : r.error().toString();
    }

    // ------------------------------------------------------------------ running

    /** Runs one case in a fresh simulator: load, FIXTURE_setup(variant), the case, FIXTURE_teardown (or close()). */
    public Result run(Case c) {
        long t0 = System.nanoTime();
        Sim sim = sims.get();
        List<Expectation> expectations = new ArrayList<>();
        String loadError = load(sim, c.file(), c.neutral());
        if (loadError != null) {
            return finish(c, Outcome.FAIL, "load: " + loadError, expectations, null, t0);
        }
        sim.engine().setListener(new EngineListener() {
            @Override
            public void expectation(Expectation e) {
                expectations.add(e);
            }
        });
        String variant = c.variant() == null ? "{}" : c.fixture() + "_variants." + c.variant();
        EvalResult setup = sim.eval("__self = " + c.fixture() + "_setup(" + variant + ")", ENTRY);
        if (setup.error() != null || !setup.diagnostics().isEmpty()) {
            return finish(c, Outcome.FAIL, "setup: " + describe(setup), expectations, setup.error(), t0);
        }
        EvalResult body = sim.eval(c.function() + "(__self, " + variant + ")", ENTRY);
        if (!body.diagnostics().isEmpty()) {
            return finish(c, Outcome.FAIL, describe(body), expectations, null, t0);
        }
        RuntimeError error = body.error();
        String skip = error == null ? skipReason(body.value()) : null;
        if (error == null) {
            String teardown = sim.engine().functionNames().contains(c.fixture() + "_teardown")
                    ? c.fixture() + "_teardown(__self)" : "close()";
            EvalResult td = sim.eval(teardown, ENTRY);
            if (td.error() != null || !td.diagnostics().isEmpty()) {
                return finish(c, Outcome.FAIL, "teardown: " + describe(td), expectations, td.error(), t0);
            }
        }
        Expectation failed = expectations.stream().filter(e -> !e.passed()).findFirst().orElse(null);
        if (failed != null) {
            return finish(c, Outcome.FAIL, where(failed.pos()) + ": " + failed.message() + "  [expect " + failed.source() + "]",
                    expectations, error, t0);
        }
        if (error != null) {
            return finish(c, Outcome.FAIL, where(error.pos()) + ": " + error.getMessage(), expectations, error, t0);
        }
        if (skip != null) {
            return finish(c, Outcome.SKIP, skip, expectations, null, t0);
        }
        return finish(c, Outcome.PASS, expectations.size() + " checks", expectations, null, t0);
    }

    private Result finish(Case c, Outcome o, String detail, List<Expectation> expectations, RuntimeError error, long t0) {
        Outcome outcome = o;
        String d = detail;
        if (c.knownFailure()) {
            if (o == Outcome.FAIL) {
                outcome = Outcome.XFAIL;
                d = "known failure: " + detail;
            } else if (o == Outcome.PASS) {
                outcome = Outcome.XPASS;
                d = "a known failure now passes: move it out of " + KNOWN_FAILURES_DIR + "/ and the README's bug list";
            }
        }
        return new Result(c, c.neutral() ? driver : null, outcome, d, List.copyOf(expectations), error, (System.nanoTime() - t0) / 1e9);
    }

    private static String skipReason(Object value) {
        if (value instanceof Record r && r.field("skip") != null) {
            return Values.str(r.field("skip"));
        }
        return null;
    }

    /** "file:line" with the name of the file only (a case, its fixture or a library it sources). */
    private static String where(SourcePos pos) {
        String f = pos.file();
        int slash = f.lastIndexOf('/');
        return (slash >= 0 ? f.substring(slash + 1) : f) + ":" + pos.line();
    }

    // ------------------------------------------------------------------ selection

    /**
     * Resolves the command's arguments: a script file or directory (as given, or relative to the
     * suite, ".sim" optional) selects its cases; anything else is a case pattern matched against
     * fixture.variant.test, fixture.test or test ('*' matches any characters).
     */
    public record Selection(List<Path> files, List<String> patterns) {
        public static Selection of(Path suiteDir, List<String> args) {
            List<Path> files = new ArrayList<>();
            List<String> patterns = new ArrayList<>();
            for (String a : args) {
                Path p = existing(suiteDir, a);
                if (p == null) {
                    patterns.add(a);
                } else if (Files.isDirectory(p)) {
                    files.addAll(scripts(p));
                } else {
                    files.add(p);
                }
            }
            if (files.isEmpty()) {
                files.addAll(scripts(suiteDir));
            }
            return new Selection(List.copyOf(new LinkedHashSet<>(files)), List.copyOf(patterns));
        }

        private static Path existing(Path suiteDir, String a) {
            for (Path p : List.of(Path.of(a), suiteDir.resolve(a), suiteDir.resolve(a + ".sim"))) {
                if (Files.exists(p)) {
                    return p;
                }
            }
            return null;
        }

        public boolean matches(Case c) {
            if (patterns.isEmpty()) {
                return true;
            }
            for (String p : patterns) {
                Pattern re = glob(p);
                if (re.matcher(c.name()).matches() || re.matcher(c.fixture() + "." + c.test()).matches()
                        || re.matcher(c.test()).matches()) {
                    return true;
                }
            }
            return false;
        }

        private static Pattern glob(String p) {
            StringBuilder sb = new StringBuilder();
            String[] parts = p.split("\\*", -1);
            for (int i = 0; i < parts.length; i++) {
                if (i > 0) {
                    sb.append(".*");
                }
                sb.append(Pattern.quote(parts[i]));
            }
            return Pattern.compile(sb.toString());
        }
    }

    // ------------------------------------------------------------------ the command

    /**
     * Runs the selected cases and prints the table (or JSON lines); writes the JUnit report when
     * asked. Exit code 0 when every case passed or was skipped (known failures failing as known),
     * 1 on a failure or an unexpected pass, 2 on a script that does not load or a selection that
     * matches nothing.
     */
    public int command(PrintStream out, boolean json, Path suiteDir, List<String> args, Path junit, boolean listOnly) throws IOException {
        Selection sel = Selection.of(suiteDir, args);
        Suite suite = discover(sel.files());
        List<Case> chosen = suite.cases().stream().filter(sel::matches).toList();
        for (LoadError e : suite.errors()) {
            if (json) {
                out.println(JsonRenderer.write(event("load_error", "file", e.file().toString(), "message", e.message())));
            } else {
                out.println("LOAD ERROR " + e.message());
            }
        }
        if (chosen.isEmpty() && suite.errors().isEmpty()) {
            out.println(json ? JsonRenderer.write(event("error", "message", "no case matches " + sel.patterns()))
                    : "iommufd-sim conformance: no case matches " + String.join(" ", args));
            return BatchRunner.EXIT_LOAD;
        }
        if (listOnly) {
            for (Case c : chosen) {
                out.println(json ? JsonRenderer.write(event("case", "case", c.name(), "file", c.file().toString(), "line", c.line(),
                        "known_failure", c.knownFailure(), "vendor_neutral", c.neutral())) : c.name());
            }
            return suite.errors().isEmpty() ? BatchRunner.EXIT_OK : BatchRunner.EXIT_LOAD;
        }
        int width = chosen.stream().mapToInt(c -> display(c).length()).max().orElse(4);
        if (!json) {
            out.println(pad("CASE", width) + "  RESULT  DETAIL");
        }
        List<Result> results = new ArrayList<>();
        for (Case c : chosen) {
            Result r = run(c);
            results.add(r);
            if (json) {
                Expectation f = r.firstFailure();
                out.println(JsonRenderer.write(event("case", "case", c.name(), "driver", r.driver(), "result", r.outcome().name(),
                        "detail", r.detail(), "expected", f == null ? null : JsonRenderer.toJson(f.expected()),
                        "actual", f == null ? null : JsonRenderer.toJson(f.actual()), "file", c.file().toString(), "line", c.line())));
            } else {
                out.println(pad(display(c), width) + "  " + pad(r.outcome().name(), 6) + "  "
                        + (r.outcome() == Outcome.PASS ? "" : r.detail()));
            }
        }
        Map<Outcome, Integer> counts = counts(results);
        if (json) {
            Map<String, Object> m = event("summary", "cases", results.size(), "driver", driver, "load_errors", suite.errors().size());
            counts.forEach((k, v) -> m.put(k.name().toLowerCase(Locale.ROOT), v));
            out.println(JsonRenderer.write(m));
        } else {
            out.println(summary(results.size(), counts, suite.errors().size()));
        }
        if (junit != null) {
            writeJunit(junit, results, suite.errors());
        }
        if (!suite.errors().isEmpty()) {
            return BatchRunner.EXIT_LOAD;
        }
        return results.stream().anyMatch(r -> r.outcome().failsRun()) ? BatchRunner.EXIT_FAILED : BatchRunner.EXIT_OK;
    }

    private String display(Case c) {
        return c.neutral() ? c.name() + " [" + driver + "]" : c.name();
    }

    public static Map<Outcome, Integer> counts(List<Result> results) {
        Map<Outcome, Integer> m = new LinkedHashMap<>();
        for (Outcome o : Outcome.values()) {
            m.put(o, 0);
        }
        results.forEach(r -> m.merge(r.outcome(), 1, Integer::sum));
        return m;
    }

    private static String summary(int total, Map<Outcome, Integer> c, int loadErrors) {
        StringBuilder sb = new StringBuilder();
        sb.append(total).append(" cases: ").append(c.get(Outcome.PASS)).append(" passed, ").append(c.get(Outcome.FAIL))
                .append(" failed, ").append(c.get(Outcome.SKIP)).append(" skipped, ").append(c.get(Outcome.XFAIL))
                .append(" known failures (emulator bugs, not counted as passing)");
        if (c.get(Outcome.XPASS) > 0) {
            sb.append(", ").append(c.get(Outcome.XPASS)).append(" known failures passing (XPASS: update known-failures/)");
        }
        if (loadErrors > 0) {
            sb.append(", ").append(loadErrors).append(" scripts not loaded");
        }
        return sb.toString();
    }

    private static Map<String, Object> event(String kind, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", kind);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    // ------------------------------------------------------------------ JUnit XML

    /**
     * The JUnit XML report in the shape {@link JunitReport} writes for `run` (Surefire's), one
     * testsuite per script and one testcase per case: a failure for FAIL and XPASS, skipped for
     * SKIP and XFAIL (with the known failure's first difference), a failure for a script that
     * did not load.
     */
    public static void writeJunit(Path path, List<Result> results, List<LoadError> errors) throws IOException {
        Map<String, List<Result>> byFile = new LinkedHashMap<>();
        for (Result r : results) {
            byFile.computeIfAbsent(suiteName(r), k -> new ArrayList<>()).add(r);
        }
        try (JunitXml x = JunitXml.open(path, true)) {
            for (Map.Entry<String, List<Result>> e : byFile.entrySet()) {
                List<Result> rs = e.getValue();
                x.suite(e.getKey(), rs.size(), (int) rs.stream().filter(r -> r.outcome().failsRun()).count(), 0,
                        (int) rs.stream().filter(r -> r.outcome() == Outcome.SKIP || r.outcome() == Outcome.XFAIL).count(),
                        rs.stream().mapToDouble(Result::seconds).sum());
                for (Result r : rs) {
                    switch (r.outcome()) {
                        case FAIL, XPASS -> x.testcase(e.getKey(), r.testCase().name(), r.seconds(), JunitXml.Kind.FAILURE, r.detail(),
                                failureText(r));
                        case SKIP, XFAIL -> x.testcase(e.getKey(), r.testCase().name(), r.seconds(), JunitXml.Kind.SKIPPED,
                                r.outcome().name() + ": " + r.detail(), null);
                        default -> x.testcase(e.getKey(), r.testCase().name(), r.seconds(), JunitXml.Kind.PASSED, null, null);
                    }
                }
                x.endSuite();
            }
            for (LoadError le : errors) {
                x.suite(le.file().toString(), 1, 1, 0, 0, -1);
                x.testcase(le.file().toString(), "load", -1, JunitXml.Kind.FAILURE, le.message(), le.message());
                x.endSuite();
            }
        }
    }

    private static String suiteName(Result r) {
        String f = r.testCase().file().getFileName().toString();
        Path parent = r.testCase().file().getParent();
        String dir = parent == null ? "" : parent.getFileName() + "/";
        return "conformance/" + (dir.equals("conformance/") ? "" : dir) + f + (r.driver() == null ? "" : "[" + r.driver() + "]");
    }

    private static String failureText(Result r) {
        StringBuilder sb = new StringBuilder(r.detail()).append('\n');
        for (Expectation e : r.expectations()) {
            if (!e.passed()) {
                sb.append(e.pos()).append(": ").append(e.source()).append(": ").append(e.message()).append('\n');
            }
        }
        if (r.error() != null) {
            sb.append(r.error()).append('\n');
            for (SourcePos p : r.error().trace()) {
                sb.append("  called from ").append(p).append('\n');
            }
        }
        return sb.toString();
    }
}
