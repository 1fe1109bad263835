package dev.iommufdsim.repl.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.repl.TestPaths;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CI script-fuzzing run (docs/robustness.md): a few thousand random and mutated scripts
 * from scripts/ and the docs' examples through the parser and the engine; each must end in
 * positioned diagnostics, errno results or runtime errors, within its step limit and time.
 */
class ScriptFuzzTest {
    static final long SEED = 20261125L;
    static final int INPUTS = 3000;

    @Test
    void mutatedScriptsNeverEscapeOrHang() throws Exception {
        Map<String, String> corpus = ScriptFuzzer.corpus(TestPaths.root());
        assertTrue(corpus.size() >= 10, "the corpus is small: " + corpus.keySet());
        ScriptFuzzer.Report report = ScriptFuzzer.run(FuzzPlugins.host(), SEED, INPUTS, corpus);
        System.out.println(report.summary() + " (corpus of " + corpus.size() + " scripts and examples)");
        assertTrue(report.problems().isEmpty(), String.join("\n\n", report.problems()));
    }
}
