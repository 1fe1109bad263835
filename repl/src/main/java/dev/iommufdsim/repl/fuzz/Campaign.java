package dev.iommufdsim.repl.fuzz;

import dev.iommufdsim.repl.host.PluginHost;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A fuzz campaign: sequences of random lengths, each on a fresh machine, from seeds derived
 * from one master seed (so a campaign is reproducible from --seed and --calls), until the
 * number of calls is reached. The first occurrence of each finding (by signature) is shrunk to a
 * short sequence and kept as a script; later ones are only counted.
 */
public final class Campaign {
    private Campaign() {
    }

    /** One distinct finding: its shrunk script, the sequence seed that found it, how often it came up. */
    public record Reported(OpFuzzer.Finding finding, long sequenceSeed, int foundAtLength, int shrunkLength, String script, long[] count) {
    }

    /** What a campaign did. */
    public record Report(OpFuzzer.Stats stats, Map<String, Reported> findings, Map<String, Long> known, long millis) {
        public String summary() {
            long total = findings.values().stream().mapToLong(r -> r.count()[0]).sum();
            return String.format("op fuzzer: %d sequences, %d calls (%d failed with an errno), %d invariant checks, %d new findings"
                    + " (%d distinct), known bugs hit %s, %.1f s, %.0f calls/s", stats.sequences(), stats.calls(), stats.failedCalls(),
                    stats.invariantChecks(), total, findings.size(), known, millis / 1000.0, stats.calls() * 1000.0 / Math.max(1, millis));
        }
    }

    public static Report run(PluginHost plugins, long seed, long calls, int maxLength, int shrinkReplays, Consumer<String> progress) {
        OpFuzzer fuzzer = new OpFuzzer(plugins);
        OpFuzzer.Stats stats = new OpFuzzer.Stats();
        Map<String, Reported> findings = new LinkedHashMap<>();
        Map<String, Long> knownCounts = new java.util.TreeMap<>();
        SplittableRandom seeds = new SplittableRandom(seed);
        long t0 = System.currentTimeMillis();
        long lastProgress = t0;
        while (stats.calls() < calls) {
            long s = seeds.nextLong();
            int len = maxLength / 4 + seeds.nextInt(maxLength - maxLength / 4 + 1);
            OpFuzzer.Run run = fuzzer.generate(s, len, stats);
            if (run.finding() != null) {
                String bug = KnownFindings.classify(run.finding());
                if (bug != null) {
                    knownCounts.merge(bug, 1L, Long::sum);
                    continue;
                }
                Reported known = findings.get(run.finding().signature());
                if (known != null) {
                    known.count()[0]++;
                } else {
                    OpFuzzer.Run shrunk = fuzzer.shrink(run, shrinkReplays);
                    String how = "sequence seed " + s + " of campaign seed " + seed;
                    int shrunkLen = (int) shrunk.ops().stream().filter(o -> !o.skipped).count();
                    findings.put(run.finding().signature(), new Reported(shrunk.finding(), s, run.finding().index() + 1, shrunkLen,
                            OpFuzzer.script(shrunk, how), new long[] {1}));
                    progress.accept("finding: " + run.finding().signature() + " (shrunk from " + (run.finding().index() + 1) + " to "
                            + shrunkLen + " calls)");
                }
            }
            long now = System.currentTimeMillis();
            if (now - lastProgress > 10_000) {
                lastProgress = now;
                progress.accept(String.format("%d calls, %d invariant checks, %d distinct findings, %.0f calls/s", stats.calls(),
                        stats.invariantChecks(), findings.size(), stats.calls() * 1000.0 / (now - t0)));
            }
        }
        return new Report(stats, findings, knownCounts, System.currentTimeMillis() - t0);
    }

    /** The distinct findings as text: signature, count, and the script. */
    public static String describe(Report report) {
        StringBuilder sb = new StringBuilder();
        List<Reported> list = new ArrayList<>(report.findings().values());
        for (Reported r : list) {
            sb.append("=== ").append(r.finding().signature()).append(" (x").append(r.count()[0]).append(", found at call ")
                    .append(r.foundAtLength()).append(", shrunk to ").append(r.shrunkLength()).append(")\n").append(r.script()).append('\n');
        }
        return sb.toString();
    }
}
