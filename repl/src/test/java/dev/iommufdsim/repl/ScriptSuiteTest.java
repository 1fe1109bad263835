package dev.iommufdsim.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The shipped scripts as users run them: every example and every seed scenario passes with
 * the built plugins, and the profile diff of the VMM sequence shows the differences the
 * review and the later commits describe.
 */
class ScriptSuiteTest {
    static List<Path> scripts(String dir, String glob) throws IOException {
        try (Stream<Path> s = Files.list(TestPaths.root().resolve(dir))) {
            return s.filter(p -> p.getFileName().toString().matches(glob)).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> examplesAndSeedScenariosPass() throws IOException {
        List<Path> all = new java.util.ArrayList<>(scripts("scripts/examples", "[a-z].*"));
        all.addAll(scripts("scripts/seed", "[0-9].*\\.sim"));
        return all.stream().map(p -> DynamicTest.dynamicTest(TestPaths.root().relativize(p).toString(), () -> {
            CliTest.Run r = CliTest.cli("run", p.toString());
            assertEquals(0, r.rc(), r.out() + r.err());
            assertTrue(r.out().contains(" passed, 0 failed"), r.out());
        }));
    }

    @Test
    void profileDiffShowsWhereTheDesignsPart() {
        CliTest.Run r = CliTest.cli("diff", TestPaths.root().resolve("scripts/seed/vmm-sequence.sim").toString());
        assertEquals(0, r.rc(), r.out() + r.err());
        // VT-d: mainline reserves the interrupt window in the parent's IOAS on a nested attach.
        assertTrue(r.out().contains("mainline  [0x0..0xfedfffff, 0xfef00000..0xffffffffffff]"), r.out());
        assertTrue(r.out().contains("seed      [0x0..0xffffffffffff]"), r.out());
        // ARM: v6.7 leaves the doorbell unmapped; mainline and the review map it at sw_msi_start.
        assertTrue(r.out().contains("v6.7      msi{address: 0x8090040, translated: false"), r.out());
        assertTrue(r.out().contains("seed      msi{address: 0x8000040, translated: true"), r.out());
        assertTrue(r.out().contains("4 statements differ across mainline, v6.7, seed"), r.out());
    }
}
