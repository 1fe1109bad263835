package dev.iommufdsim.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EvalResult;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The runnable examples of docs/language.md: every fenced block of the sections listed here
 * runs in a fresh simulator with the shipped plugins, and all its expectations hold. (Other
 * sections show fragments that do not run alone.)
 */
class LanguageDocExamplesTest {
    /** The "## " sections whose examples are complete scripts. */
    static final List<String> RUNNABLE_SECTIONS = List.of("Dirty tracking", "PASID attach", "I/O page faults", "vEVENTs from DMA faults");

    /** The fenced blocks of one section, in order. */
    static List<String> examples(List<String> doc, String section) {
        List<String> out = new ArrayList<>();
        boolean inSection = false;
        StringBuilder block = null;
        for (String line : doc) {
            if (line.startsWith("## ")) {
                inSection = line.substring(3).trim().equals(section);
            } else if (inSection && line.startsWith("```")) {
                if (block == null) {
                    block = new StringBuilder();
                } else {
                    out.add(block.toString());
                    block = null;
                }
            } else if (block != null) {
                block.append(line).append('\n');
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> examplesRun() throws IOException {
        List<String> doc = Files.readAllLines(TestPaths.root().resolve("docs/language.md"));
        List<DynamicTest> tests = new ArrayList<>();
        for (String section : RUNNABLE_SECTIONS) {
            List<String> blocks = examples(doc, section);
            assertFalse(blocks.isEmpty(), "docs/language.md has no examples under ## " + section);
            for (int i = 0; i < blocks.size(); i++) {
                String text = blocks.get(i);
                tests.add(DynamicTest.dynamicTest(section + " #" + (i + 1), () -> {
                    Sim sim = Sim.create(PluginHost.load(List.of(TestPaths.pluginsDir())), KernelProfile.MAINLINE);
                    EvalResult r = sim.eval(text, "language.md");
                    assertEquals(EvalResult.Status.OK, r.status(), r.diagnostics() + " " + r.error());
                    assertEquals(0, r.failed(), sim.engine().expectations().toString());
                }));
            }
        }
        return tests.stream();
    }
}
