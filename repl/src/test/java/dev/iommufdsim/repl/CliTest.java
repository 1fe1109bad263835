package dev.iommufdsim.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.repl.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it (through Main, with the built plugin jars). */
class CliTest {
    record Run(int rc, String out, String err) {
    }

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--plugins";
        all[1] = TestPaths.pluginsDir().toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int rc = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), all);
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helloExampleRuns() {
        Run r = cli("run", TestPaths.root().resolve("scripts/examples/hello").toString());
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("1 passed, 0 failed"), r.out());
        assertTrue(r.out().contains("mock") && r.out().contains("arm-smmuv3") && r.out().contains("intel-vtd"), r.out());
    }

    /** The limits' options, on `run` or before it; a bad value is one line on stderr and exit 2. */
    @Test
    void limitOptionsReachTheScript(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("grow.sim");
        Files.writeString(f, "l = [0]\nwhile l.length < 100 { l = l + l }\nshow l.length\n");
        Run r = cli("run", f.toString());
        assertEquals(0, r.rc(), r.out() + r.err());
        assertTrue(r.out().contains("128\n"), r.out());
        r = cli("run", "--max-length", "100", f.toString());
        assertEquals(1, r.rc());
        assertTrue(r.out().startsWith(f + ":2:30: a list of 128 elements exceeds the length limit of 100 (a runaway loop?"
                + " --max-length raises the limit)\n"), r.out());
        r = cli("--max-steps", "10", "run", f.toString());
        assertEquals(1, r.rc());
        assertTrue(r.out().startsWith(f + ":2:30: step limit of 10 exceeded joining lists"), r.out());
        r = cli("--max-steps", "10", "run", "--max-steps", "0", f.toString());
        assertEquals(0, r.rc(), "the subcommand's option wins: " + r.out());
        r = cli("run", "--max-depth", "ten", f.toString());
        assertEquals(2, r.rc());
        assertEquals("iommufd-sim: Invalid value for option '--max-depth': 'ten' is not a count (0, 1, 2, ... ; 0: no limit)"
                + " (iommufd-sim run --help lists the options)\n", r.err());
        assertEquals("", r.out());
        assertTrue(cli("run", "--help").out().contains("--max-plugin-time=SECONDS"));
    }

    @Test
    void syntaxErrorExitsTwoWithPosition(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("broken.sim");
        Files.writeString(f, "ioas = ioas_alloc()\nioas_map(ioas, 4K\n");
        Run r = cli("run", f.toString());
        assertEquals(2, r.rc());
        assertTrue(r.out().contains(f + ":2:"), r.out());
        assertFalse(r.out().contains("Exception") || r.err().contains("Exception"), r.out() + r.err());
    }

    @Test
    void unknownCallIsALoadError(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("typo.sim");
        Files.writeString(f, "ioas = ioas_aloc()\n");
        Run r = cli("run", f.toString());
        assertEquals(2, r.rc());
        assertTrue(r.out().contains(f + ":1:8:") && r.out().contains("ioas_alloc"), r.out());
    }

    @Test
    void failedExpectationExitsOneAndJunitIsWritten(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("check.sim");
        Files.writeString(f, String.join("\n",
                "ioas = ioas_alloc()",
                "m = mock_domain(ioas)",
                "expect m.out_hwpt_id == 4",
                "expect ioas_map(ioas, 4K, iova: 0x800) fails EINVAL",
                "expect ioas_map(ioas, 4K) == 0x2000000",
                ""));
        Path junit = dir.resolve("report.xml");
        Run r = cli("run", "--junit", junit.toString(), f.toString());
        assertEquals(1, r.rc(), r.out());
        assertTrue(r.out().contains(f + ":5: expectation failed"), r.out());
        assertTrue(r.out().contains("2 passed, 1 failed"), r.out());
        String xml = Files.readString(junit);
        assertTrue(xml.contains("tests=\"3\"") && xml.contains("failures=\"1\""), xml);
    }

    @Test
    void failingCallStopsTheScriptWithErrnoAndReason(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("stop.sim");
        Files.writeString(f, "ioas = ioas_alloc()\nmock_domain(ioas)\nioas_map(ioas, 4K, iova: 0)\nexpect false\n");
        Run r = cli("run", f.toString());
        assertEquals(1, r.rc());
        assertTrue(r.out().contains(f + ":3:1: ioas_map: EINVAL: ") && r.out().contains("aperture"), r.out());
        assertTrue(r.out().contains("0 passed, 1 failed"), r.out());
    }

    @Test
    void pluginsListsEveryPluginModule() {
        Run r = cli("plugins");
        assertEquals(0, r.rc());
        for (String id : new String[] {"mock", "arm-smmuv3", "intel-vtd"}) {
            assertTrue(r.out().contains(id), r.out());
        }
    }

    @Test
    void usageErrorExitsTwo() {
        assertEquals(2, cli("run").rc());
        assertEquals(2, cli("--profile", "nonsense", "run", "x").rc());
    }
}
