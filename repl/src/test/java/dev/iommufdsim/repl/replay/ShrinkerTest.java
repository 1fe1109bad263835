package dev.iommufdsim.repl.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shrinker with fake oracles (in-process comparators standing in for the kernel under
 * qemu): the emulator's own output with one rule changed, so the disagreement and its minimal
 * list are known, and every batch is counted as a boot.
 */
class ShrinkerTest {
    private static OpsReplay replay;

    @BeforeAll
    static void load() {
        replay = OpsReplay.withPlugins(PluginHost.load(List.of(TestPaths.pluginsDir())));
    }

    /** A fake kernel: the emulator's output, each line passed through a rewrite; batches counted. */
    static final class FakeKernel implements Shrinker.Oracle {
        final Function<String, String> emulator;
        final UnaryOperator<String> rewrite;
        final List<Integer> batches = new ArrayList<>();

        FakeKernel(Function<String, String> emulator, UnaryOperator<String> rewrite) {
            this.emulator = emulator;
            this.rewrite = rewrite;
        }

        @Override
        public List<String> record(List<String> texts) {
            batches.add(texts.size());
            List<String> outs = new ArrayList<>();
            for (String t : texts) {
                StringBuilder sb = new StringBuilder();
                for (String l : OutDiff.lines(emulator.apply(t))) {
                    sb.append(rewrite.apply(l)).append('\n');
                }
                outs.add(sb.toString());
            }
            return outs;
        }

        String recordOne(String text) {
            return record(List.of(text)).get(0);
        }
    }

    @Test
    void syntacticBugKeepsExactlyTheLinesAndTheirDefinitions() throws IOException {
        // A fake emulator that prints one line per op; the fake kernel differs on the unmap line
        // only when "destroy 77" ran before it. Minimal: a, m (the definitions unmap needs: the
        // nearest captures before it), destroy 77, the unmap.
        Function<String, String> emu = text -> {
            StringBuilder sb = new StringBuilder();
            List<String> all = OutDiff.lines(text);
            boolean destroyed = false;
            for (int i = 0; i < all.size(); i++) {
                String l = all.get(i).trim();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                destroyed |= l.equals("destroy 77");
                String[] t = CParse.tokens(l);
                String op = t.length > 2 && t[1].equals("=") ? t[2] : t[0];
                sb.append(i + 1).append(": ").append(op).append(destroyed && op.equals("ioas_unmap") ? " ok*" : " ok").append('\n');
            }
            return sb.toString();
        };
        String text = """
                # noise and a redefinition
                a = ioas_alloc
                b = ioas_alloc
                m = ioas_map $a va 0x1000
                ioas_map $b va 0x2000
                x = ioas_alloc
                destroy $x
                m = ioas_map $b va 0x3000
                m = ioas_map $a va 0x4000
                ioas_iova_ranges $b
                destroy 77
                ioas_alloc
                ioas_unmap $a $m 0x1000
                ioas_iova_ranges $a
                destroy $b
                """;
        FakeKernel k = new FakeKernel(emu, l -> l.replace(" ok*", " err EBUSY"));
        Shrinker.Result r = new Shrinker(k, emu, 30, 64).header("shrunk").shrink(text, k.recordOne(text));
        assertTrue(r.reproduced());
        System.out.printf("ShrinkerTest: the syntactic case shrunk from %d to %d ops in %d batches (%d lists recorded)%n",
                r.originalOps(), r.ops(), r.rounds(), r.candidates());
        assertEquals("""
                # shrunk
                a = ioas_alloc
                m = ioas_map $a va 0x4000
                destroy 77
                ioas_unmap $a $m 0x1000
                """, r.text());
        assertEquals(4, r.ops());
        assertEquals(14, r.originalOps());
        assertFalse(r.diff().same());
        assertEquals(k.batches.size() - 1, r.rounds()); // recordOne above was not the shrinker's
        assertTrue(r.rounds() <= 8, "rounds " + r.rounds());
    }

    @Test
    void campaignFileShrinksOnTheRealEmulator() throws IOException {
        // The fake kernel: the emulator, except that a successful IOAS_COPY reports EBUSY.
        Function<String, String> emu = replay::run;
        FakeKernel k = new FakeKernel(emu, l -> l.contains(": ioas_copy ok") ? l.replaceFirst(" ok.*", " err EBUSY") : l);
        String text = null;
        for (int i = 0; i < 200 && text == null; i++) {
            String t = Campaign.file(7, i, 50);
            if (Campaign.themeOf(i) == OpsGenerator.Theme.COPY && replay.run(t).contains(": ioas_copy ok")) {
                text = t;
            }
        }
        assertTrue(text != null, "no campaign file with a successful copy");
        assertEquals(50, Shrinker.opLines(text).size());
        Shrinker.Result r = new Shrinker(k, emu, 30, 64).shrink(text, k.recordOne(text));
        assertTrue(r.reproduced());
        System.out.printf("ShrinkerTest: a campaign file shrunk from %d to %d ops in %d batches (%d lists recorded):%n%s",
                r.originalOps(), r.ops(), r.rounds(), r.candidates(), r.text());
        List<String> ops = Shrinker.opLines(r.text());
        // an IOAS, a map into it (or two IOASes), the copy: at most a handful of lines, the copy last
        assertTrue(ops.size() <= 5, "not minimal:\n" + r.text());
        assertTrue(ops.get(ops.size() - 1).contains("ioas_copy"), r.text());
        assertTrue(r.kernel().contains("ioas_copy err EBUSY"), r.kernel());
        assertTrue(r.emulator().contains("ioas_copy ok"), r.emulator());
        // every $name of the result is captured by a line before it
        for (int i = 0; i < ops.size(); i++) {
            for (String tok : CParse.tokens(ops.get(i))) {
                int d = tok.indexOf('$');
                if (d >= 0) {
                    String name = tok.substring(d + 1).split("[|\\-]")[0];
                    boolean defined = false;
                    for (int j = 0; j < i; j++) {
                        defined |= ops.get(j).startsWith(name + " = ") || name.matches(".*_(idev|hwpt)")
                                && ops.get(j).startsWith(name.replaceFirst("_(idev|hwpt)$", "") + " = mock_domain");
                    }
                    assertTrue(defined, name + " undefined in\n" + r.text());
                }
            }
        }
        // one batch per boot, several lists in a batch
        assertEquals(r.rounds(), k.batches.size() - 1);
        assertTrue(r.candidates() > r.rounds(), "batches of one");
        assertTrue(r.rounds() <= 15, "rounds " + r.rounds());
        // the result is 1-minimal: no single op line can go
        for (int drop = 0; drop < ops.size(); drop++) {
            List<String> less = new ArrayList<>(ops);
            less.remove(drop);
            String t = String.join("\n", less) + "\n";
            assertTrue(OutDiff.of(k.recordOne(t), emu.apply(t)).diffs().stream().noneMatch(l -> l.contains("ioas_copy")),
                    "line " + drop + " could go:\n" + r.text());
        }
    }

    @Test
    void aDifferenceTheKernelDoesNotRepeatIsNotReproducible() throws IOException {
        Function<String, String> emu = replay::run;
        FakeKernel k = new FakeKernel(emu, UnaryOperator.identity());
        String text = "i = ioas_alloc\nioas_map $i va 0x1000\n";
        String flaky = emu.apply(text).replace("ioas_map ok", "ioas_map err ENOMEM");
        Shrinker.Result r = new Shrinker(k, emu, 30, 64).shrink(text, flaky);
        assertFalse(r.reproduced());
        assertEquals(1, r.rounds());
        assertTrue(r.diff().same());
    }

    @Test
    void campaignFilesHaveExactlyTheOpsAndRotateAllThemes() {
        for (int i = 0; i < OpsGenerator.Theme.values().length; i++) {
            String t = Campaign.file(123, i, 50);
            assertEquals(50, Shrinker.opLines(t).size(), t);
            assertTrue(Campaign.fileName(123, i).endsWith(Campaign.themeOf(i).name().toLowerCase() + ".ops"));
            assertEquals(t, Campaign.file(123, i, 50), "same seed, same file");
        }
        assertEquals(OpsGenerator.Theme.NEST, Campaign.themeOf(OpsGenerator.Theme.values().length - 1));
    }

    @Test
    void severalShrinksShareTheOraclesBatches() {
        // three campaign files, the fake kernel differing on every successful IOAS_COPY and on
        // the get_hw_info capabilities: shrunk together, every round of all three in one batch
        Function<String, String> emu = replay::run;
        FakeKernel k = new FakeKernel(emu, l -> l.contains(": ioas_copy ok") ? l.replaceFirst(" ok.*", " err EBUSY")
                : l.replace("capabilities=0x9", "capabilities=0x1"));
        List<Campaign.Job> jobs = new ArrayList<>();
        for (int i = 0; i < 200 && jobs.size() < 3; i++) {
            String t = Campaign.file(11, i, 50);
            String kernel = k.recordOne(t);
            if (!OutDiff.of(kernel, emu.apply(t)).same()) {
                jobs.add(new Campaign.Job("j" + i, t, kernel, -1, "job " + i));
            }
        }
        assertEquals(3, jobs.size());
        int before = k.batches.size();
        List<Shrinker.Result> rs = Campaign.shrinkAll(jobs, k, emu, 30, 64, System.out);
        int maxRounds = 0;
        for (Shrinker.Result r : rs) {
            assertTrue(r.reproduced());
            assertTrue(r.ops() <= 6, r.text());
            assertFalse(r.diff().same());
            maxRounds = Math.max(maxRounds, r.rounds());
        }
        assertEquals(maxRounds, k.batches.size() - before, "one batch a round for all shrinks together");
    }

    @Test
    void aTargetLineKeepsItsClass() throws IOException {
        // two differences; shrinking for the second keeps it and may drop the first
        Function<String, String> emu = replay::run;
        FakeKernel k = new FakeKernel(emu, l -> l.replace(": ioas_alloc ok id=1", ": ioas_alloc ok id=77")
                .replace(": ioas_iova_ranges ok", ": ioas_iova_ranges err EINVAL"));
        String text = "i = ioas_alloc\nj = ioas_alloc\nioas_map $j va 0x1000\nioas_iova_ranges $j\nioas_alloc\n";
        String kernel = k.recordOne(text);
        Shrinker.Result r = new Shrinker(k, emu, 30, 64).shrink(text, kernel, 3);
        assertEquals("ioas_iova_ranges err EINVAL | ioas_iova_ranges ok", r.target());
        assertEquals(List.of("j = ioas_alloc", "ioas_iova_ranges $j"), Shrinker.opLines(r.text()));
        assertEquals("ioas_map err EINVAL", Shrinker.lineClass("12: ioas_map err EINVAL length=0x1"));
        assertEquals("ioas_map skipped", Shrinker.lineClass("3: ioas_map skipped (undefined $x)"));
        assertEquals("unknown op foo", Shrinker.lineClass("4: unknown op foo"));
    }
}
