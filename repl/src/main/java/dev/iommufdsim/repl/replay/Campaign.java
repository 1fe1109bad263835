package dev.iommufdsim.repl.replay;

import dev.iommufdsim.repl.host.PluginHost;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The Java side of tools/kernel-oracle/campaign.sh: a random campaign against the kernel.
 *
 * <pre>
 * Campaign gen DIR SEED COUNT OPS        write DIR/camp-SEED-NNNN-THEME.ops (exactly OPS op lines each)
 * Campaign check DIR                     replay DIR/*.ops against the .ops.out beside each; print the counts;
 *                                        list the differing files in DIR/differing.txt (exit 1 when any)
 * Campaign shrink OUTDIR ROUNDS FILE... shrink each FILE (its .ops.out recorded) on the oracle (record.sh,
 *                                        env KERNEL= as record.sh's, RECORD= another command), all in the
 *                                        same boots, into OUTDIR/NAME.ops + .ops.out (exit 1: one reproduced
 *                                        and was saved; 0: none reproduced; 3: oracle failure)
 * Campaign versions OTHER REF [...]      the differing line classes of two kernels' recordings (see
 *                                        versionsMain), optionally each shrunk on both kernels
 * </pre>
 * Themes rotate through all of {@link OpsGenerator.Theme} (nesting included), so a campaign of
 * 200 files has 25 of each.
 */
public final class Campaign {
    private Campaign() {
    }

    /** The campaign's rotation: every theme, the nesting one too. */
    public static OpsGenerator.Theme themeOf(int i) {
        OpsGenerator.Theme[] all = OpsGenerator.Theme.values();
        return all[i % all.length];
    }

    /** File i of a campaign: exactly ops op lines after the generator's header. */
    public static String file(long seed, int i, int ops) {
        String text = OpsGenerator.generate(OpsGenerator.fileSeed(seed, i), themeOf(i), ops, ops);
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (String l : OutDiff.lines(text)) {
            boolean op = CParse.tokens(l).length > 0;
            if (op && n == ops) {
                break;
            }
            if (op) {
                n++;
            }
            sb.append(l).append('\n');
        }
        return sb.toString();
    }

    public static String fileName(long seed, int i) {
        return String.format(Locale.ROOT, "camp-%d-%04d-%s.ops", seed, i, themeOf(i).name().toLowerCase(Locale.ROOT));
    }

    /** The totals of a check. */
    public record Counts(int files, int ops, int agreeing, int lines, List<Path> differing, List<Path> unrecorded) {
        public String summary() {
            return String.format(Locale.ROOT, "%d sequences, %d ops, %d/%d lines agree (%.2f%%), %d sequence(s) differ%s",
                    files, ops, agreeing, lines, lines == 0 ? 100.0 : 100.0 * agreeing / lines, differing.size(),
                    unrecorded.isEmpty() ? "" : ", " + unrecorded.size() + " without a recording");
        }
    }

    /** Replays every .ops of the list against its .ops.out; prints each difference (a few lines). */
    public static Counts check(Function<String, String> emulator, List<Path> files, PrintStream out) throws IOException {
        int ops = 0;
        int agree = 0;
        int total = 0;
        List<Path> differing = new ArrayList<>();
        List<Path> unrecorded = new ArrayList<>();
        for (Path f : files) {
            String text = Files.readString(f, StandardCharsets.ISO_8859_1);
            Path rec = f.resolveSibling(f.getFileName() + ".out");
            if (!Files.isRegularFile(rec)) {
                unrecorded.add(f);
                out.println(f + ": no kernel recording");
                continue;
            }
            ops += Shrinker.opLines(text).size();
            OutDiff d = OutDiff.of(Files.readString(rec, StandardCharsets.ISO_8859_1), emulator.apply(text));
            agree += d.agreeing();
            total += d.total();
            if (!d.same()) {
                differing.add(f);
                out.println(f + ": " + d.agreeing() + "/" + d.total() + " lines agree (-kernel +emulator)");
                out.print(d.render(5));
            }
        }
        return new Counts(files.size(), ops, agree, total, differing, unrecorded);
    }

    /** The emulator as a function; an exception becomes an output line (so it differs, visibly). */
    public static Function<String, String> emulator() {
        String dir = System.getProperty("iommufdsim.pluginsDir");
        Path plugins = dir != null ? Path.of(dir) : Path.of("target/plugins");
        OpsReplay replay = OpsReplay.withPlugins(PluginHost.load(List.of(plugins)));
        return text -> {
            try {
                return replay.run(text);
            } catch (RuntimeException e) {
                return "0: emulator exception " + e + "\n";
            }
        };
    }

    /**
     * The real oracle: tools/kernel-oracle/record.sh (or the command in $RECORD) on a batch
     * of files in a scratch directory, all in one boot (record.sh boots once per 400 files).
     *
     * @param kernel the KERNEL= of record.sh (null: its default, the 7.2 oracle)
     */
    public static Shrinker.Oracle recordSh(Path recordSh, String kernel, Path scratch, PrintStream log) {
        int[] batch = {0};
        String label = kernel == null ? "bzImage" : Path.of(kernel).getFileName().toString();
        return texts -> {
            Path dir = scratch.resolve(String.format(Locale.ROOT, "%s-round-%03d", label, batch[0]++));
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(List.of(recordSh.toString()));
            List<Path> files = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                Path f = dir.resolve(String.format(Locale.ROOT, "c%04d.ops", i));
                Files.writeString(f, texts.get(i), StandardCharsets.ISO_8859_1);
                files.add(f);
                cmd.add(f.toString());
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("record.log").toFile());
            pb.environment().put("QUIET", "1");
            if (kernel != null) {
                pb.environment().put("KERNEL", kernel);
            } else {
                pb.environment().remove("KERNEL"); // record.sh's default, not the KERNEL= this process got
            }
            long t0 = System.nanoTime();
            try {
                Process p = pb.start();
                if (!p.waitFor(30, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new IOException("record.sh did not finish");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            List<String> outs = new ArrayList<>();
            for (Path f : files) {
                Path o = f.resolveSibling(f.getFileName() + ".out");
                if (!Files.isRegularFile(o)) {
                    throw new IOException("the oracle wrote no " + o + " (see " + dir.resolve("record.log") + ")");
                }
                outs.add(Files.readString(o, StandardCharsets.ISO_8859_1));
            }
            log.printf(Locale.ROOT, "  shrink round %d on %s: %d list(s) recorded in %.0f s%n", batch[0], label, texts.size(),
                    (System.nanoTime() - t0) / 1e9);
            return outs;
        };
    }

    /**
     * Two kernels at once: records each batch on both (in parallel); answers kernel a's
     * outputs and keeps kernel b's for {@link #reference}, which stands for the emulator.
     */
    static final class PairOracle implements Shrinker.Oracle {
        private final Shrinker.Oracle a;
        private final Shrinker.Oracle b;
        private final Map<String, String> bOutputs = new ConcurrentHashMap<>();

        PairOracle(Shrinker.Oracle a, Shrinker.Oracle b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public List<String> record(List<String> texts) throws IOException {
            CompletableFuture<List<String>> fb = CompletableFuture.supplyAsync(() -> {
                try {
                    return b.record(texts);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            List<String> outsA = a.record(texts);
            List<String> outsB;
            try {
                outsB = fb.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof UncheckedIOException u ? u.getCause() : new IOException(e.getCause());
            }
            for (int i = 0; i < texts.size(); i++) {
                bOutputs.put(texts.get(i), outsB.get(i));
            }
            return outsA;
        }

        /** Kernel b's output of a list recorded (or given by {@link #known}). */
        Function<String, String> reference() {
            return text -> {
                String o = bOutputs.get(text);
                if (o == null) {
                    throw new IllegalStateException("not recorded on the reference kernel:\n" + text);
                }
                return o;
            };
        }

        void known(String text, String bOutput) {
            bOutputs.put(text, bOutput);
        }
    }

    /** A list to shrink: its name, text, recorded output, the output line to keep (-1: the first difference), its header. */
    public record Job(String name, String text, String recorded, int target, String header) {
    }

    /**
     * Shrinks several lists at once, one thread each, every round of all of them in one batch
     * of the oracle. A job whose oracle failed gets a null result (and the failure is printed).
     */
    public static List<Shrinker.Result> shrinkAll(List<Job> jobs, Shrinker.Oracle oracle, Function<String, String> emulator,
            int maxRounds, int maxBatch, PrintStream log) {
        BatchingOracle batching = new BatchingOracle(oracle);
        Function<String, String> emu = text -> {
            synchronized (emulator) {
                return emulator.apply(text);
            }
        };
        List<Shrinker.Result> results = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            results.add(null);
            batching.join();
        }
        for (int i = 0; i < jobs.size(); i++) {
            int k = i;
            Job j = jobs.get(i);
            Thread t = new Thread(() -> {
                try {
                    Shrinker s = new Shrinker(batching, emu, maxRounds, maxBatch);
                    if (j.header() != null) {
                        s.header(j.header());
                    }
                    Shrinker.Result r = s.shrink(j.text(), j.recorded(), j.target());
                    synchronized (results) {
                        results.set(k, r);
                    }
                } catch (IOException | RuntimeException e) {
                    synchronized (log) {
                        log.println("shrink " + j.name() + ": oracle failure: " + e.getMessage());
                    }
                } finally {
                    batching.leave();
                }
            }, "shrink-" + j.name());
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return results;
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IOException | RuntimeException e) {
            e.printStackTrace();
            System.exit(2);
        }
    }

    private static List<Path> opsIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".ops")).sorted().toList();
        }
    }

    private static void run(String[] args) throws IOException {
        if (args.length < 2) {
            usage();
        }
        PrintStream out = System.out;
        switch (args[0]) {
            case "gen" -> {
                if (args.length != 5) {
                    usage();
                }
                Path dir = Path.of(args[1]);
                long seed = Long.parseLong(args[2]);
                int count = Integer.parseInt(args[3]);
                int ops = Integer.parseInt(args[4]);
                Files.createDirectories(dir);
                for (int i = 0; i < count; i++) {
                    Files.writeString(dir.resolve(fileName(seed, i)), file(seed, i, ops), StandardCharsets.ISO_8859_1);
                }
            }
            case "check" -> {
                Path dir = Path.of(args[1]);
                Counts c = check(emulator(), opsIn(dir), out);
                List<String> names = new ArrayList<>();
                for (Path p : c.differing()) {
                    names.add(p.toString());
                }
                Files.write(dir.resolve("differing.txt"), names);
                out.println("campaign: " + c.summary());
                System.exit(!c.unrecorded().isEmpty() ? 3 : c.differing().isEmpty() ? 0 : 1);
            }
            case "shrink" -> {
                if (args.length < 4) {
                    usage();
                }
                List<Path> files = new ArrayList<>();
                for (int i = 3; i < args.length; i++) {
                    files.add(Path.of(args[i]));
                }
                System.exit(shrinkMain(files, Path.of(args[1]), Integer.parseInt(args[2]), out));
            }
            case "versions" -> System.exit(versionsMain(args, out));
            default -> usage();
        }
    }

    private static Path recordShPath() {
        String rec = System.getenv("RECORD");
        return rec != null && !rec.isBlank() ? Path.of(rec) : Path.of(System.getProperty("iommufdsim.root", "."),
                "tools/kernel-oracle/record.sh");
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.ISO_8859_1);
    }

    private static Path outOf(Path ops) {
        return ops.resolveSibling(ops.getFileName() + ".out");
    }

    private static String baseName(Path ops) {
        return ops.getFileName().toString().replaceFirst("\\.ops$", "");
    }

    private static int shrinkMain(List<Path> files, Path outDir, int maxRounds, PrintStream out) throws IOException {
        Path scratch = Files.createTempDirectory("shrink-");
        List<Job> jobs = new ArrayList<>();
        for (Path f : files) {
            String text = read(f);
            String origin = "";
            for (String l : OutDiff.lines(text)) {
                if (l.startsWith("# generated by")) {
                    origin = l.replaceFirst("^# generated by OpsGenerator \\(repl/src/main/java/dev/iommufdsim/repl/replay\\), ", "");
                    break;
                }
            }
            jobs.add(new Job(baseName(f), text, read(outOf(f)), -1, "# " + baseName(f)
                    + ": a campaign disagreement (tools/kernel-oracle/campaign.sh; generator " + origin + "), shrunk by Shrinker"));
        }
        String kernel = System.getenv("KERNEL");
        long t0 = System.nanoTime();
        List<Shrinker.Result> results = shrinkAll(jobs, recordSh(recordShPath(), kernel, scratch, out), emulator(), maxRounds, 64,
                out);
        double secs = (System.nanoTime() - t0) / 1e9;
        int reproduced = 0;
        int failed = 0;
        for (int i = 0; i < jobs.size(); i++) {
            Shrinker.Result r = results.get(i);
            Path f = files.get(i);
            if (r == null) {
                failed++;
                continue;
            }
            if (!r.reproduced()) {
                out.printf(Locale.ROOT, "shrink %s: NOT reproducible (the kernel agreed with the emulator when recorded again)%n", f);
                continue;
            }
            reproduced++;
            Files.createDirectories(outDir);
            Path dst = outDir.resolve(jobs.get(i).name() + ".ops");
            Files.writeString(dst, r.text(), StandardCharsets.ISO_8859_1);
            Files.writeString(outOf(dst), r.kernel(), StandardCharsets.ISO_8859_1);
            out.printf(Locale.ROOT, "shrink %s: %d -> %d ops (difference kept: %s); saved %s%n", f, r.originalOps(), r.ops(),
                    r.target(), dst);
            out.print(r.text().replaceAll("(?m)^", "  | "));
            out.println("  kernel vs emulator (-kernel +emulator):");
            out.print(r.diff().render(10));
        }
        out.printf(Locale.ROOT, "shrink: %d list(s), %d reproducible, %d not, %d oracle failure(s); %.0f s%n", files.size(),
                reproduced, files.size() - reproduced - failed, failed, secs);
        return failed > 0 && reproduced == 0 ? 3 : reproduced > 0 ? 1 : 0;
    }

    // ---- version differences ---------------------------------------------------------------

    /** One differing line of a version comparison. */
    record VLine(Path file, int index, String ref, String other) {
        /** op + both statuses; values that differ in both-ok (or same-error) lines are named. */
        String cls() {
            String a = Shrinker.lineClass(ref);
            String b = Shrinker.lineClass(other);
            if (!a.equals(b)) {
                return a + " | " + b;
            }
            Map<String, String> ka = keys(ref);
            Map<String, String> kb = keys(other);
            List<String> diff = new ArrayList<>();
            for (String k : ka.keySet()) {
                if (!ka.get(k).equals(kb.get(k))) {
                    diff.add(k);
                }
            }
            for (String k : kb.keySet()) {
                if (!ka.containsKey(k)) {
                    diff.add(k);
                }
            }
            return a + " | same, " + (diff.isEmpty() ? "other text" : String.join(",", diff) + " differ");
        }

        static Map<String, String> keys(String l) {
            Map<String, String> m = new LinkedHashMap<>();
            for (String w : l.split(" ")) {
                int e = w.indexOf('=');
                if (e > 0) {
                    m.put(w.substring(0, e), w.substring(e + 1));
                }
            }
            return m;
        }
    }

    /**
     * Campaign versions OTHER_DIR REF_DIR [--label L] [--shrink OUT_DIR] [--max N] [--rounds R]
     * [--batch B] [--first] [--only v001,v007]:
     * OTHER_DIR holds lists recorded on another kernel (their .ops.out), REF_DIR the same lists
     * recorded on the reference kernel (corpus/ops). Prints the differing line classes with
     * counts and an example each; with --shrink, shrinks one example of each class (up to N;
     * --first: only the classes that are some list's first difference; --only: these classes)
     * on both kernels at once (KERNEL= the other kernel, VERSUS= the reference, default the
     * 7.2 oracle) into OUT_DIR/vNNN-OP.ops with NAME.ops.out (reference) and NAME.ops.L.out.
     */
    private static int versionsMain(String[] args, PrintStream out) throws IOException {
        if (args.length < 3) {
            usage();
        }
        Path otherDir = Path.of(args[1]);
        Path refDir = Path.of(args[2]);
        String label = "other";
        Path shrinkDir = null;
        int max = 1000;
        int rounds = 12;
        int batch = 32;
        boolean firstOnly = false;
        List<String> only = null;
        for (int i = 3; i < args.length; i++) {
            switch (args[i]) {
                case "--first" -> firstOnly = true;
                case "--only" -> only = List.of(args[++i].split(","));
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--label" -> label = args[++i];
                case "--shrink" -> shrinkDir = Path.of(args[++i]);
                case "--max" -> max = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> usage();
            }
        }
        int files = 0;
        int differ = 0;
        int agree = 0;
        int total = 0;
        Map<String, List<VLine>> classes = new LinkedHashMap<>();
        Map<String, Integer> firsts = new LinkedHashMap<>();
        for (Path f : opsIn(otherDir)) {
            Path ref = refDir.resolve(f.getFileName());
            if (!Files.isRegularFile(outOf(f)) || !Files.isRegularFile(outOf(ref))) {
                continue;
            }
            files++;
            List<String> a = OutDiff.lines(read(outOf(ref)));
            List<String> b = OutDiff.lines(read(outOf(f)));
            int n = Math.max(a.size(), b.size());
            total += n;
            boolean first = true;
            for (int i = 0; i < n; i++) {
                String x = i < a.size() ? a.get(i) : "(no line)";
                String y = i < b.size() ? b.get(i) : "(no line)";
                if (x.equals(y)) {
                    agree++;
                    continue;
                }
                VLine v = new VLine(f, i, x, y);
                classes.computeIfAbsent(v.cls(), k -> new ArrayList<>()).add(v);
                if (first) {
                    firsts.merge(v.cls(), 1, Integer::sum);
                    differ += 1;
                    first = false;
                }
            }
        }
        List<Map.Entry<String, List<VLine>>> sorted = new ArrayList<>(classes.entrySet());
        sorted.sort((x, y) -> y.getValue().size() - x.getValue().size());
        out.printf(Locale.ROOT, "versions: %d lists, %d differ; %d/%d lines agree; %d differing line classes (reference | %s)%n",
                files, differ, agree, total, sorted.size(), label);
        out.println("lines\tlists\tfirst\tclass\texample");
        int idx = 0;
        Map<String, String> ids = new LinkedHashMap<>();
        for (Map.Entry<String, List<VLine>> e : sorted) {
            List<VLine> l = e.getValue();
            long nfiles = l.stream().map(VLine::file).distinct().count();
            VLine ex = l.get(0);
            String id = String.format(Locale.ROOT, "v%03d", ++idx);
            ids.put(e.getKey(), id);
            out.printf(Locale.ROOT, "%d\t%d\t%d\t%s %s\t%s: %s | %s%n", l.size(), nfiles, firsts.getOrDefault(e.getKey(), 0), id,
                    e.getKey(), ex.file().getFileName(), ex.ref(), ex.other().replaceFirst("^\\d+: ", ""));
        }
        if (shrinkDir == null) {
            return 0;
        }
        // one example a class: the occurrence with the shortest prefix (fewest lines before it)
        List<Job> jobs = new ArrayList<>();
        List<String> jobIds = new ArrayList<>();
        List<Map.Entry<String, List<VLine>>> chosen = new ArrayList<>();
        for (Map.Entry<String, List<VLine>> e : sorted) {
            if (jobs.size() == max) {
                break;
            }
            if (firstOnly && !firsts.containsKey(e.getKey()) || only != null && !only.contains(ids.get(e.getKey()))) {
                continue;
            }
            chosen.add(e);
            VLine best = null;
            int bestOps = Integer.MAX_VALUE;
            for (VLine v : e.getValue()) {
                int ops = v.index();
                if (ops < bestOps) {
                    best = v;
                    bestOps = ops;
                }
            }
            String text = read(best.file());
            String id = ids.get(e.getKey());
            jobs.add(new Job(id, text, read(outOf(best.file())), best.index(), "# " + id + " (" + e.getKey() + "), shrunk from "
                    + best.file().getFileName() + " by Campaign versions"));
            jobIds.add(id);
        }
        String kernel = System.getenv("KERNEL");
        String versus = System.getenv("VERSUS");
        Path scratch = Files.createTempDirectory("versions-");
        PairOracle pair = new PairOracle(recordSh(recordShPath(), kernel, scratch, out), recordSh(recordShPath(), versus, scratch, out));
        for (Map.Entry<String, List<VLine>> e : chosen) {
            // the reference output of each original list is the reference recording
            for (VLine v : e.getValue()) {
                pair.known(read(v.file()), read(outOf(refDir.resolve(v.file().getFileName()))));
            }
        }
        List<Shrinker.Result> results = shrinkAll(jobs, pair, pair.reference(), rounds, batch, out);
        Files.createDirectories(shrinkDir);
        int failed = 0;
        for (int i = 0; i < jobs.size(); i++) {
            Shrinker.Result r = results.get(i);
            if (r == null || !r.reproduced()) {
                failed++;
                out.println(jobIds.get(i) + ": " + (r == null ? "oracle failure" : "did not reproduce"));
                continue;
            }
            String op = r.target().replaceFirst(" .*", "");
            Path dst = shrinkDir.resolve(jobIds.get(i) + "-" + op + ".ops");
            Files.writeString(dst, r.text(), StandardCharsets.ISO_8859_1);
            Files.writeString(outOf(dst), r.emulator(), StandardCharsets.ISO_8859_1);
            Files.writeString(dst.resolveSibling(dst.getFileName() + "." + label + ".out"), r.kernel(), StandardCharsets.ISO_8859_1);
            out.printf(Locale.ROOT, "%s: %d -> %d ops, %s%n", dst.getFileName(), r.originalOps(), r.ops(), r.target());
        }
        return failed == 0 ? 0 : 1;
    }

    private static void usage() {
        System.err.println("usage: Campaign gen DIR SEED COUNT OPS | check DIR | shrink OUTDIR ROUNDS FILE... |"
                + " versions OTHER_DIR REF_DIR [--label L] [--shrink OUT_DIR] [--max N] [--rounds R]");
        System.exit(2);
    }
}
