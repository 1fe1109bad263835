package dev.iommufdsim.repl.fuzz;

import dev.iommufdsim.repl.host.PluginHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Long fuzz campaigns outside the test suite (docs/robustness.md):
 *
 * <pre>
 *   java -cp repl/target/iommufd-sim.jar dev.iommufdsim.repl.fuzz.FuzzMain --seed 42 --calls 5000000
 * </pre>
 *
 * Options: {@code --seed N} (default: the time), {@code --calls N} op-sequence calls (default
 * 1,000,000), {@code --length N} longest sequence (default 400), {@code --scripts N} mutated
 * scripts for the script fuzzer (default 0), {@code --plugins DIR} (repeatable; default the
 * project's target/plugins and the template plugin of target/test-plugins), {@code --out DIR}
 * where each distinct finding's shrunk script is written (default target/fuzz),
 * {@code --shrink N} replays allowed per shrink (default 3000). Exit 0 when nothing was found,
 * 1 otherwise, 2 for a usage error.
 */
public final class FuzzMain {
    private FuzzMain() {
    }

    public static void main(String[] argv) throws IOException {
        long seed = System.currentTimeMillis();
        long calls = 1_000_000;
        int length = 400;
        int scripts = 0;
        int shrink = 3000;
        List<Path> dirs = new ArrayList<>();
        Path out = Path.of("target/fuzz");
        try {
            for (int i = 0; i < argv.length; i++) {
                String a = argv[i];
                switch (a) {
                    case "--seed" -> seed = Long.parseLong(argv[++i]);
                    case "--calls" -> calls = Long.parseLong(argv[++i].replace("_", ""));
                    case "--length" -> length = Integer.parseInt(argv[++i]);
                    case "--scripts" -> scripts = Integer.parseInt(argv[++i].replace("_", ""));
                    case "--shrink" -> shrink = Integer.parseInt(argv[++i]);
                    case "--plugins" -> dirs.add(Path.of(argv[++i]));
                    case "--out" -> out = Path.of(argv[++i]);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (length < 4) {
                throw new IllegalArgumentException("--length must be at least 4");
            }
        } catch (RuntimeException e) {
            System.err.println("fuzz: " + e.getMessage());
            System.err.println("usage: FuzzMain [--seed N] [--calls N] [--length N] [--scripts N] [--plugins DIR]... [--out DIR] [--shrink N]");
            System.exit(2);
            return;
        }
        PluginHost plugins = PluginHost.load(pluginDirs(dirs));
        System.out.println("fuzz: seed " + seed + ", " + calls + " calls, sequences up to " + length + " calls");
        Campaign.Report report = Campaign.run(plugins, seed, calls, length, shrink, msg -> System.out.println("fuzz: " + msg));
        System.out.println(report.summary());
        System.out.print(report.stats().perCallTable());
        System.out.println("errnos: " + report.stats().errnos());
        int found = report.findings().size();
        if (found > 0) {
            Files.createDirectories(out);
            int n = 0;
            for (Campaign.Reported r : report.findings().values()) {
                Path f = out.resolve(String.format("finding-%d-%02d.sim", seed, ++n));
                Files.writeString(f, r.script());
                System.out.println("fuzz: " + r.finding().signature() + " (x" + r.count()[0] + ") -> " + f);
            }
        }
        if (scripts > 0) {
            ScriptFuzzer.Report sr = ScriptFuzzer.run(plugins, seed, scripts, ScriptFuzzer.corpus(Path.of(System.getProperty(
                    "iommufdsim.root", "."))));
            System.out.println(sr.summary());
            sr.problems().forEach(p -> System.out.println("fuzz: script problem: " + p));
            found += sr.problems().size();
        }
        System.exit(found == 0 ? 0 : 1);
    }

    /** The plugin directories: those given, else the project's plugins and a copy of the template plugin. */
    static List<Path> pluginDirs(List<Path> given) throws IOException {
        if (!given.isEmpty()) {
            return given;
        }
        List<Path> dirs = PluginHost.defaultDirs(List.of());
        Path root = Path.of(System.getProperty("iommufdsim.root", "."));
        if (dirs.isEmpty()) {
            dirs.add(root.resolve("target/plugins"));
        }
        Path template = root.resolve("target/test-plugins/template.jar");
        if (Files.isRegularFile(template)) {
            Path tmp = Files.createTempDirectory("iommufd-fuzz-plugins");
            Files.copy(template, tmp.resolve("template.jar"));
            tmp.toFile().deleteOnExit();
            tmp.resolve("template.jar").toFile().deleteOnExit();
            dirs.add(tmp);
        }
        return dirs;
    }
}
