package dev.iommufdsim.repl.fuzz;

import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.dsl.ScriptParser;
import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.dsl.SyntaxErrorException;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EngineListener;
import dev.iommufdsim.repl.interp.EvalResult;
import dev.iommufdsim.repl.interp.Expectation;
import dev.iommufdsim.repl.interp.RuntimeError;
import dev.iommufdsim.repl.interp.SourceLoader;
import dev.iommufdsim.repl.render.JsonRenderer;
import dev.iommufdsim.repl.render.TextRenderer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Script fuzzing: random and mutated scripts (from scripts/ and the code blocks of the docs:
 * tokens and characters deleted, inserted, duplicated, replaced, lines shuffled, random bytes)
 * through {@link ScriptParser} and the {@link dev.iommufdsim.repl.interp.Engine} of a full
 * simulator. Each must end in FILE:LINE:COL diagnostics, errno results or runtime errors with
 * a position: never a Java exception escaping, never an "internal error" (a Java exception a
 * built-in let through), never a hang. Every run has a step limit and a wall-clock guard;
 * shown values also go through the text and JSON renderers.
 */
public final class ScriptFuzzer {
    /** Steps per input: enough for the example scripts, small enough to keep runaway loops short. */
    static final long STEP_LIMIT = 20_000;
    static final long TIMEOUT_MS = 5_000;

    private ScriptFuzzer() {
    }

    /** What a run did. */
    public record Report(long inputs, long parseErrors, long loadErrors, long runtimeErrors, long ok, List<String> problems, long millis) {
        public String summary() {
            return String.format("script fuzzer: %d inputs (%d syntax errors, %d load errors, %d runtime errors, %d ran to the end),"
                    + " %d problems, %.1f s", inputs, parseErrors, loadErrors, runtimeErrors, ok, problems.size(), millis / 1000.0);
        }
    }

    /** The seed corpus: every script under scripts/ and every fenced code block of docs/*.md and README.md. */
    public static Map<String, String> corpus(Path root) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Path scripts = root.resolve("scripts");
        if (Files.isDirectory(scripts)) {
            try (Stream<Path> s = Files.walk(scripts)) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(".sim") || !name.contains(".")) {
                        out.put(root.relativize(p).toString(), Files.readString(p));
                    }
                }
            }
        }
        List<Path> docs = new ArrayList<>();
        docs.add(root.resolve("README.md"));
        if (Files.isDirectory(root.resolve("docs"))) {
            try (Stream<Path> s = Files.list(root.resolve("docs"))) {
                s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
            }
        }
        Pattern block = Pattern.compile("```[a-z]*\\n(.*?)```", Pattern.DOTALL);
        for (Path d : docs) {
            if (!Files.isRegularFile(d)) {
                continue;
            }
            Matcher m = block.matcher(Files.readString(d));
            int n = 0;
            while (m.find()) {
                out.put(root.relativize(d) + "#" + ++n, m.group(1));
            }
        }
        return out;
    }

    /** Runs n inputs derived from the corpus and the seed. */
    public static Report run(PluginHost plugins, long seed, int n, Map<String, String> corpus) {
        List<String> texts = new ArrayList<>(corpus.values());
        if (texts.isEmpty()) {
            texts.add("ioas = ioas_alloc()\n");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        long parse = 0;
        long load = 0;
        long runtime = 0;
        long ok = 0;
        List<String> problems = new ArrayList<>();
        ExecutorService exec = newExecutor();
        long t0 = System.currentTimeMillis();
        for (int i = 0; i < n; i++) {
            String input = mutate(rnd, texts);
            String name = "fuzz" + i + ".sim";
            // The parser alone first: it must throw nothing but SyntaxErrorException.
            try {
                ScriptParser.parse(input, name);
            } catch (SyntaxErrorException e) {
                parse++;
                String bad = checkDiagnostics(e.diagnostics(), input, name);
                if (bad != null) {
                    problems.add(bad + "\n" + quote(input));
                }
            } catch (RuntimeException | StackOverflowError e) {
                problems.add("ScriptParser.parse threw " + OpFuzzer.stack(e) + "\n" + quote(input));
                continue;
            }
            Sim sim = Sim.create(plugins, KernelProfile.MAINLINE);
            sim.engine().setStepLimit(STEP_LIMIT);
            sim.engine().setSourceLoader(loader(corpus));
            List<String> renderProblems = new ArrayList<>();
            sim.engine().setListener(new RenderingListener(renderProblems));
            Future<EvalResult> f = exec.submit(() -> sim.engine().eval(input, name));
            EvalResult r;
            try {
                r = f.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                sim.engine().interrupt();
                problems.add("no result after " + TIMEOUT_MS + " ms (a hang despite the step limit)\n" + quote(input));
                exec.shutdownNow();
                exec = newExecutor();
                continue;
            } catch (java.util.concurrent.ExecutionException e) {
                problems.add("Engine.eval threw " + OpFuzzer.stack(e.getCause()) + "\n" + quote(input));
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            for (String p : renderProblems) {
                problems.add(p + "\n" + quote(input));
            }
            switch (r.status()) {
                case LOAD_ERROR -> {
                    load++;
                    String bad = r.diagnostics().isEmpty() ? "a load error without diagnostics" : checkDiagnostics(r.diagnostics(), input, name);
                    if (bad != null) {
                        problems.add(bad + "\n" + quote(input));
                    }
                }
                case RUNTIME_ERROR -> {
                    runtime++;
                    String bad = checkRuntimeError(r.error());
                    if (bad != null) {
                        problems.add(bad + "\n" + quote(input));
                    }
                }
                default -> ok++;
            }
        }
        exec.shutdownNow();
        return new Report(n, parse, load, runtime, ok, problems, System.currentTimeMillis() - t0);
    }

    private static ExecutorService newExecutor() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "script-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    /** `source` reads only the corpus's own files (by file name), never the file system. */
    private static SourceLoader loader(Map<String, String> corpus) {
        return (including, path) -> {
            String file = Path.of(path).getFileName() == null ? path : Path.of(path).getFileName().toString();
            for (Map.Entry<String, String> e : corpus.entrySet()) {
                if (e.getKey().endsWith("/" + file)) {
                    return new SourceLoader.Loaded(e.getKey(), e.getValue());
                }
            }
            throw new NoSuchFileException(path);
        };
    }

    /** Shown values and results go through both renderers, which must not throw either. */
    private static final class RenderingListener implements EngineListener {
        private final List<String> problems;

        RenderingListener(List<String> problems) {
            this.problems = problems;
        }

        private void render(Object value) {
            try {
                TextRenderer.render(value);
                JsonRenderer.render(value);
            } catch (RuntimeException | StackOverflowError e) {
                problems.add("rendering " + value.getClass().getSimpleName() + " threw " + OpFuzzer.stack(e));
            }
        }

        @Override
        public void show(Object value, SourcePos pos) {
            render(value);
        }

        @Override
        public void result(Object value, SourcePos pos) {
            render(value);
        }

        @Override
        public void expectation(Expectation e) {
            render(e);
        }
    }

    /** Each diagnostic names a file, a line (within the input when it is the input's) and a column, and says something. */
    static String checkDiagnostics(List<Diagnostic> diagnostics, String text, String name) {
        long lines = text.split("\n", -1).length;
        for (Diagnostic d : diagnostics) {
            boolean inInput = name.equals(d.file());
            if (d.file() == null || d.line() < 1 || d.col() < 1 || inInput && d.line() > lines + 1 || d.message() == null
                    || d.message().isBlank()) {
                return "a diagnostic without a proper FILE:LINE:COL position or message: " + d;
            }
        }
        return null;
    }

    static String checkRuntimeError(RuntimeError e) {
        if (e == null) {
            return "a runtime error status without an error";
        }
        if (e.pos() == null || e.pos().line() < 1) {
            return "a runtime error without a position: " + e;
        }
        if (String.valueOf(e.getMessage()).contains("internal error")) {
            return "a Java exception reached the engine as an internal error: " + e;
        }
        return null;
    }

    private static String quote(String input) {
        String s = input.length() > 1200 ? input.substring(0, 1200) + "..." : input;
        return "  input: " + s.replace("\n", "\n         ");
    }

    // ------------------------------------------------------------------ mutation

    private static final Pattern TOKEN = Pattern.compile("\"(?:[^\"\\\\\\n]|\\\\.)*\"?|0[xXbB][0-9a-fA-F_]*|[0-9][0-9_]*[KkMmGgTt]?|"
            + "[A-Za-z_][A-Za-z_0-9]*|\\.\\.\\.|\\.\\.|[<>=!]=|<<|>>|&&|\\|\\||[-+*/%&|^]=|\\s+|.", Pattern.DOTALL);
    private static final String[] POOL = {"(", ")", "{", "}", "[", "]", ",", ":", ";", ".", "..", "...", "=", "==", "+", "-", "*",
        "/", "%", "<<", ">>", "&", "|", "^", "~", "!", "not", "and", "or", "in", "if", "elif", "else", "for", "while", "fn",
        "return", "break", "continue", "expect", "fails", "show", "source", "iommu", "device", "none", "true", "false", "\n", "\\\n",
        "#", "0", "1", "4K", "2M", "1T", "0x8000000", "0xffff_ffff_ffff_ffff", "18446744073709551616", "0x", "0b102", "\"\"",
        "\"0000:01:00.0\"", "\"\\x\"", "EINVAL", "ENOENT", "FIXED_IOVA", "NEST_PARENT", "ioas_alloc", "ioas_map", "ioas_unmap",
        "hwpt_alloc", "vfio_bind", "vfio_attach", "destroy", "mock_domain", "info", "regions", "open", "close", "use", "x", "ioas",
        "dev", "r", "arm_smmuv3", "intel_vtd", "mock", "pci", "platform", "iova:", "length:", "pt_id:", "f(", "fn f(a) { return f(a) }",
        "while true {}", "for i in 0..0xffffffffffffffff { }", "ioas_map(ioas, 4K)", "[[[[[[[[[[", "((((((((((", "-", "{a: 1}", "\t"};
    private static final String CHARS = " \n\t(){}[],:;.#\"\\=+-*/%<>!&|^~0123456789abcdefxKMG_EINVAL\r\0\u00e9\u2028\ud83d\ude00";

    static String mutate(SplittableRandom rnd, List<String> texts) {
        String base = texts.get(rnd.nextInt(texts.size()));
        if (rnd.nextInt(20) == 0) {
            return randomTokens(rnd);
        }
        if (rnd.nextInt(40) == 0) {
            byte[] b = new byte[rnd.nextInt(1, 200)];
            rnd.nextBytes(b);
            return new String(b, StandardCharsets.ISO_8859_1);
        }
        String s = base;
        for (int m = rnd.nextInt(1, 6); m > 0; m--) {
            s = mutateOnce(rnd, s, texts);
        }
        return s;
    }

    private static String randomTokens(SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder();
        for (int i = rnd.nextInt(1, 60); i > 0; i--) {
            sb.append(POOL[rnd.nextInt(POOL.length)]).append(rnd.nextInt(4) == 0 ? "" : " ");
        }
        return sb.toString();
    }

    private static String mutateOnce(SplittableRandom rnd, String s, List<String> texts) {
        if (s.isEmpty()) {
            return POOL[rnd.nextInt(POOL.length)];
        }
        switch (rnd.nextInt(10)) {
            case 0, 1, 2, 3: {
                List<String> toks = new ArrayList<>();
                Matcher m = TOKEN.matcher(s);
                while (m.find()) {
                    toks.add(m.group());
                }
                int i = rnd.nextInt(toks.size());
                switch (rnd.nextInt(4)) {
                    case 0 -> toks.remove(i);
                    case 1 -> toks.add(i, toks.get(i));
                    case 2 -> toks.set(i, POOL[rnd.nextInt(POOL.length)]);
                    default -> {
                        int j = rnd.nextInt(toks.size());
                        String t = toks.get(i);
                        toks.set(i, toks.get(j));
                        toks.set(j, t);
                    }
                }
                return String.join("", toks);
            }
            case 4, 5: {
                int i = rnd.nextInt(s.length());
                return switch (rnd.nextInt(3)) {
                    case 0 -> s.substring(0, i) + s.substring(i + 1);
                    case 1 -> s.substring(0, i) + CHARS.charAt(rnd.nextInt(CHARS.length())) + s.substring(i);
                    default -> s.substring(0, i) + CHARS.charAt(rnd.nextInt(CHARS.length())) + s.substring(i + 1);
                };
            }
            case 6, 7: {
                List<String> lines = new ArrayList<>(List.of(s.split("\n", -1)));
                int i = rnd.nextInt(lines.size());
                switch (rnd.nextInt(4)) {
                    case 0 -> lines.remove(i);
                    case 1 -> lines.add(i, lines.get(i));
                    case 2 -> {
                        String[] other = texts.get(rnd.nextInt(texts.size())).split("\n");
                        lines.add(i, other[rnd.nextInt(other.length)]);
                    }
                    default -> {
                        int j = rnd.nextInt(lines.size());
                        String t = lines.get(i);
                        lines.set(i, lines.get(j));
                        lines.set(j, t);
                    }
                }
                return String.join("\n", lines);
            }
            case 8: {
                int i = rnd.nextInt(s.length());
                int j = Math.min(s.length(), i + rnd.nextInt(1, 40));
                return s.substring(0, i) + s.substring(j);
            }
            default: {
                int i = rnd.nextInt(s.length() + 1);
                return s.substring(0, i) + POOL[rnd.nextInt(POOL.length)] + s.substring(i);
            }
        }
    }
}
