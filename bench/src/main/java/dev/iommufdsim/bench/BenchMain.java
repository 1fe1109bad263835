package dev.iommufdsim.bench;

import dev.iommufdsim.bench.kernel.HeapMain;
import dev.iommufdsim.bench.kernel.KernelMapBench;
import dev.iommufdsim.bench.script.ScriptLoopBench;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * {@code iommufd-sim bench}: the project's performance figures in one table, each a median of
 * several runs, against the targets of the start-up and benchmark issue:
 * <ul>
 * <li>cold start of {@code iommufd-sim run scripts/examples/hello} through the launcher, with
 *     its start-up cache present (and, for comparison, with {@code IOMMUFD_SIM_CDS=off});
 * <li>MAP+UNMAP pairs through the kernel API with 1k, 100k and 1M live areas
 *     ({@link KernelMapBench}, JMH);
 * <li>the script loop against the same loop on the Java API ({@link ScriptLoopBench}, JMH);
 * <li>the heap of 1M live areas ({@link HeapMain} in fresh JVMs: the heap in use after a full
 *     GC, and the smallest -Xmx that holds them, by bisection).
 * </ul>
 * The JMH forks and the heap runs use the JVM this runs on (the launcher's choice) with the
 * launcher's collector ({@code -XX:+UseSerialGC}). Progress goes to stderr, the table to
 * stdout. Options: {@code --full} (longer settings), {@code --only LIST} (startup, kernel,
 * script, heap), {@code --runs N} (cold starts per variant), {@code --root DIR}.
 */
public final class BenchMain {
    /**
     * The launcher's collector, so the forks measure what a user's run gets; on JDK 23+ also
     * JMH's use of sun.misc.Unsafe allowed, which would warn on stderr otherwise.
     */
    static final String[] JVM_ARGS = Runtime.version().feature() >= 23
            ? new String[] {"-XX:+UseSerialGC", "--sun-misc-unsafe-memory-access=allow"}
            : new String[] {"-XX:+UseSerialGC"};
    static final Set<String> SECTIONS = Set.of("startup", "kernel", "script", "heap");

    private final Path root;
    private final boolean full;
    private final int runs;
    private final Set<String> only;
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private BenchMain(Path root, boolean full, int runs, Set<String> only) {
        this.root = root;
        this.full = full;
        this.runs = runs;
        this.only = only;
    }

    public static void main(String[] args) throws Exception {
        String rootProp = System.getProperty("iommufdsim.root", ".");
        boolean full = false;
        int runs = -1;
        Set<String> only = new LinkedHashSet<>(List.of("startup", "kernel", "script", "heap"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--full" -> full = true;
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--root" -> rootProp = args[++i];
                case "--only" -> {
                    only = new LinkedHashSet<>(Arrays.asList(args[++i].split(",")));
                    for (String s : only) {
                        if (!SECTIONS.contains(s)) {
                            usage("unknown section '" + s + "'");
                        }
                    }
                }
                case "-h", "--help" -> {
                    usage(null);
                }
                default -> usage("unknown argument '" + args[i] + "'");
            }
        }
        if (runs < 0) {
            runs = full ? 31 : 15;
        }
        new BenchMain(Path.of(rootProp).toAbsolutePath().normalize(), full, runs, only).run();
    }

    private static void usage(String error) {
        String text = """
                usage: iommufd-sim bench [--full] [--only startup,kernel,script,heap] [--runs N]
                  Prints the performance table (medians of repeated runs) against the issue's targets.
                  --full   longer JMH settings (3 x 2 s warm-up, 10 x 1 s measurement) and 31 cold starts
                  --only   run only these sections
                  --runs   cold starts per variant (default 15, 31 with --full)
                The JMH benchmarks alone: java -jar bench/target/benchmarks.jar [KernelMapBench|ScriptLoopBench|AreaMapBench|...]""";
        if (error != null) {
            System.err.println("iommufd-sim bench: " + error);
            System.err.println(text);
            System.exit(2);
        }
        System.out.println(text);
        System.exit(0);
    }

    private void run() throws Exception {
        String loadBefore = loadavg();
        long t0 = System.nanoTime();
        if (only.contains("startup")) {
            startup();
        }
        if (only.contains("kernel")) {
            kernel();
        }
        if (only.contains("script")) {
            script();
        }
        if (only.contains("heap")) {
            heap();
        }
        String loadAfter = loadavg();
        printTable(loadBefore, loadAfter, (System.nanoTime() - t0) / 1e9);
    }

    // ---- cold start ---------------------------------------------------------------------------

    private void startup() throws Exception {
        Path launcher = root.resolve("iommufd-sim");
        Path hello = root.resolve("scripts/examples/hello");
        List<String> cmd = List.of(launcher.toString(), "run", hello.toString());
        progress("cold start: warm-up runs (build if needed, write the start-up cache)");
        for (int i = 0; i < 2; i++) {
            timed(cmd, Map.of(), true);
        }
        String jvm = launcherJvm(cmd);
        progress("cold start: " + runs + " runs with the cache, " + runs + " without, interleaved (" + jvm + ")");
        List<Double> cached = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        int rebuilds = 0;
        while (cached.size() < runs || plain.size() < runs) {
            boolean withCache = cached.size() <= plain.size();
            double s = timed(cmd, withCache ? Map.of() : Map.of("IOMMUFD_SIM_CDS", "off"), true);
            if (s > 5.0 && rebuilds < 3) {
                // Another engineer's edit made the launcher rebuild: not a start-up, run it again.
                rebuilds++;
                notes.add(String.format(Locale.ROOT, "a %.1f s run rebuilt the project (sources changed meanwhile) and was run again", s));
                continue;
            }
            (withCache ? cached : plain).add(s);
        }
        rows.add(row("cold start: `iommufd-sim run scripts/examples/hello`, " + jvm,
                secs(cached), runs + " runs, " + range(cached), "<= 0.5 s", median(cached) <= 0.5));
        rows.add(row("cold start, no cache (`IOMMUFD_SIM_CDS=off`), for comparison",
                secs(plain), runs + " runs, " + range(plain), "", null));
    }

    /** The JDK and the cache the launcher uses (it tells with IOMMUFD_SIM_SHOW_JVM=1), e.g. "JDK 25.0.3+9-LTS, AOT cache". */
    private String launcherJvm(List<String> cmd) throws Exception {
        Path err = Files.createTempFile("iommufd-sim-bench", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile());
            pb.environment().put("IOMMUFD_SIM_SHOW_JVM", "1");
            pb.start().waitFor();
            for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
                if (line.startsWith("iommufd-sim: jvm: ")) {
                    String version = line.substring("iommufd-sim: jvm: ".length()).split(" ")[0];
                    String cache = line.endsWith(".aot") ? "AOT cache" : line.endsWith(".jsa") ? "AppCDS archive" : "no start-up cache";
                    return "JDK " + version + ", " + cache;
                }
            }
            return "JVM unknown";
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** Seconds from start to exit of one launcher run; fails the bench on a non-zero exit. */
    private static double timed(List<String> cmd, Map<String, String> env, boolean mustPass) throws Exception {
        Path err = Files.createTempFile("iommufd-sim-bench", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile());
            pb.environment().putAll(env);
            long t0 = System.nanoTime();
            Process p = pb.start();
            int rc = p.waitFor();
            double s = (System.nanoTime() - t0) / 1e9;
            if (rc != 0 && mustPass) {
                throw new IllegalStateException(String.join(" ", cmd) + " exited " + rc + ": " + Files.readString(err));
            }
            return s;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    // ---- JMH ----------------------------------------------------------------------------------

    private ChainedOptionsBuilder jmh(String include) {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include("^" + Pattern.quote(include) + "\\.")
                .forks(1)
                .jvmArgs(JVM_ARGS)
                .verbosity(VerboseMode.SILENT)
                .shouldFailOnError(true);
        if (full) {
            b.warmupIterations(3).warmupTime(TimeValue.seconds(2)).measurementIterations(10).measurementTime(TimeValue.seconds(1));
        } else {
            b.warmupIterations(2).warmupTime(TimeValue.seconds(1)).measurementIterations(5).measurementTime(TimeValue.seconds(1));
        }
        return b;
    }

    private String jmhSettings() {
        return full ? "1 fork, 3 x 2 s warm-up, median of 10 x 1 s" : "1 fork, 2 x 1 s warm-up, median of 5 x 1 s";
    }

    private void kernel() throws RunnerException {
        progress("KernelMapBench (JMH, n = 1k, 100k, 1M live areas; the 1M setup maps 1M areas first)");
        Collection<RunResult> results = new Runner(jmh(KernelMapBench.class.getName()).build()).run();
        Map<Integer, Double> ns = new LinkedHashMap<>();
        for (RunResult r : results) {
            ns.put(Integer.parseInt(r.getParams().getParam("n")), medianScore(r));
        }
        for (int n : new int[] {1000, 100_000, 1_000_000}) {
            Double v = ns.get(n);
            if (v == null) {
                continue;
            }
            String fig = String.format(Locale.ROOT, "%.0f ns/pair = %.2f M pairs/s", v, 1e3 / v);
            String target = "";
            Boolean met = null;
            if (n == 100_000) {
                target = ">= 1 M pairs/s";
                met = 1e3 / v >= 1.0;
            }
            rows.add(row("MAP+UNMAP through `IommufdCtx` (FIXED_IOVA, random pages, no domain), " + count(n) + " live areas",
                    fig, jmhSettings(), target, met));
        }
        if (ns.containsKey(1000) && ns.containsKey(1_000_000)) {
            double ratio = ns.get(1_000_000) / ns.get(1000);
            rows.add(row("MAP+UNMAP cost at 1M / at 1k", String.format(Locale.ROOT, "%.2fx", ratio), "the medians above",
                    "<= 2.5x", ratio <= 2.5));
        }
    }

    private void script() throws RunnerException {
        progress("ScriptLoopBench (JMH, 100k map+unmap pairs: script loop and Java loop)");
        Collection<RunResult> results = new Runner(jmh(ScriptLoopBench.class.getName()).build()).run();
        Map<String, Double> ms = new LinkedHashMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            ms.put(name.substring(name.lastIndexOf('.') + 1), medianScore(r));
        }
        Double script = ms.get("script");
        Double java = ms.get("java");
        if (script != null && java != null) {
            double ratio = script / java;
            rows.add(row("script loop / Java API loop, 100k `ioas_map` + `ioas_unmap` pairs (ScriptLoopBench)",
                    String.format(Locale.ROOT, "%.2fx (%.1f / %.1f ms)", ratio, script, java), jmhSettings(), "<= 3x", ratio <= 3.0));
        }
    }

    /** The median of the measurement iterations of every fork. */
    private static double medianScore(RunResult r) {
        List<Double> scores = new ArrayList<>();
        for (BenchmarkResult b : r.getBenchmarkResults()) {
            for (IterationResult it : b.getIterationResults()) {
                scores.add(it.getPrimaryResult().getScore());
            }
        }
        return median(scores);
    }

    // ---- heap ---------------------------------------------------------------------------------

    private void heap() throws Exception {
        int n = 1_000_000;
        int repeats = full ? 5 : 3;
        progress("heap: " + repeats + " runs of HeapMain (1M areas) at -Xmx1g");
        List<Double> retained = new ArrayList<>();
        List<Double> perArea = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            Map<String, String> out = heapRun(1024, n);
            if (out == null) {
                throw new IllegalStateException("HeapMain failed at -Xmx1g");
            }
            retained.add(Double.parseDouble(out.get("used_after_gc")) / (1 << 20));
            perArea.add(Double.parseDouble(out.get("per_area")));
        }
        // Bisection for the smallest -Xmx (MiB, to 4 MiB) that maps all areas.
        int lo = (int) Math.floor(median(retained)); // below the retained heap it cannot hold them
        int hi = 1024;
        progress("heap: bisection of -Xmx between " + lo + " and " + hi + " MiB");
        while (hi - lo > 4) {
            int mid = (lo + hi) / 2;
            if (heapRun(mid, n) != null) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        rows.add(row("heap in use after a full GC, 1M live areas mapped through `IommufdCtx` (HeapMain)",
                String.format(Locale.ROOT, "%.0f MiB (%.0f bytes/area)", median(retained), median(perArea)),
                repeats + " runs, " + String.format(Locale.ROOT, "%.0f..%.0f MiB", min(retained), max(retained)), "", null));
        rows.add(row("smallest -Xmx that maps 1M live areas (peak heap needed)", hi + " MiB",
                "bisection to 4 MiB, -XX:+UseSerialGC", "<= 300 MB", hi * 1048576.0 <= 300e6));
    }

    /** One HeapMain run at -Xmx{mib}m: its key=value figures, or null when it did not complete. */
    private static Map<String, String> heapRun(int mib, int n) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(JVM_ARGS));
        cmd.addAll(List.of("-Xmx" + mib + "m", "-cp", System.getProperty("java.class.path"), HeapMain.class.getName(), Integer.toString(n)));
        Path out = Files.createTempFile("iommufd-sim-heap", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                return null;
            }
            if (p.exitValue() != 0) {
                return null;
            }
            for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
                if (line.startsWith("areas=")) {
                    Map<String, String> m = new LinkedHashMap<>();
                    for (String kv : line.trim().split(" ")) {
                        int eq = kv.indexOf('=');
                        m.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                    return m;
                }
            }
            return null;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    // ---- the table ----------------------------------------------------------------------------

    private void printTable(String loadBefore, String loadAfter, double seconds) {
        System.out.println();
        System.out.println("iommufd-sim bench, " + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))
                + (full ? " (--full)" : ""));
        System.out.println("machine: " + cpu() + ", " + Runtime.getRuntime().availableProcessors() + " cores; JMH and heap runs on "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " -XX:+UseSerialGC");
        System.out.println("load average (1/5/15 min): " + loadBefore + " before, " + loadAfter + " after; " + Math.round(seconds) + " s in all");
        System.out.println();
        System.out.println("| figure | median | of | target | |");
        System.out.println("|---|---:|---|---|---|");
        for (String[] r : rows) {
            System.out.println("| " + String.join(" | ", r) + " |");
        }
        for (String note : notes) {
            System.out.println();
            System.out.println("note: " + note);
        }
    }

    private static String[] row(String what, String value, String of, String target, Boolean met) {
        return new String[] {what, value, of, target, met == null ? "" : met ? "met" : "**not met**"};
    }

    private static String count(int n) {
        return n >= 1_000_000 ? n / 1_000_000 + "M" : n >= 1000 ? n / 1000 + "k" : Integer.toString(n);
    }

    private static String secs(List<Double> v) {
        return String.format(Locale.ROOT, "%.3f s", median(v));
    }

    private static String range(List<Double> v) {
        return String.format(Locale.ROOT, "%.3f..%.3f s", min(v), max(v));
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (a.length == 0) {
            return Double.NaN;
        }
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static String loadavg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    private static void progress(String what) {
        System.err.println("[bench] " + what);
    }
}
