package dev.iommufdsim.repl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EvalResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jline.reader.Candidate;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REPL as a person types it: {@link Console#run(Terminal, Path)} on a JLine
 * {@link DumbTerminal} (streams, no pty) fed keystrokes, with the real plugin jars. The
 * terminal declares itself {@code ansi} so that the LineReader edits, completes on Tab and
 * continues lines exactly as on a real terminal (type {@code dumb} makes JLine read plain
 * lines). The output is checked with the escape sequences taken out; what a line became
 * after completion is checked in the history file, which holds the accepted text.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a console waiting for keys fails, never hangs the build
class ConsoleTest {
    static final PluginHost PLUGINS = PluginHost.load(List.of(TestPaths.pluginsDir()));

    @TempDir
    Path dir;

    record Session(int rc, String out, String history) {
    }

    static Sim sim() {
        return Sim.create(PLUGINS, KernelProfile.MAINLINE);
    }

    static Terminal terminal(InputStream in, ByteArrayOutputStream out) throws IOException {
        Terminal t = new DumbTerminal("test", "ansi", in, out, StandardCharsets.UTF_8);
        t.setSize(new Size(100, 40));
        // The control characters of a tty (stty sane): Ctrl-D is end of file, Ctrl-C interrupt.
        // All the signal characters must be set: DumbTerminal compares each input byte with
        // them, and an unset one (-1) would match the end of the input.
        Attributes a = t.getAttributes();
        a.setControlChar(Attributes.ControlChar.VEOF, 4);
        a.setControlChar(Attributes.ControlChar.VINTR, 3);
        a.setControlChar(Attributes.ControlChar.VQUIT, 28);
        a.setControlChar(Attributes.ControlChar.VSUSP, 26);
        a.setControlChar(Attributes.ControlChar.VSTATUS, 20);
        a.setLocalFlag(Attributes.LocalFlag.ISIG, true);
        t.setAttributes(a);
        return t;
    }

    /** Types the input (Tab is '\t', Enter '\n') and returns what the console printed; the end of the input is Ctrl-D. */
    Session type(String input) throws IOException {
        return type(input, ConsoleTest::sim);
    }

    Session type(String input, Supplier<Sim> sims) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path history = dir.resolve("history");
        int rc;
        try (Terminal t = terminal(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out)) {
            rc = new Console(sims, false).run(t, history);
        }
        return new Session(rc, plain(out), Files.exists(history) ? Files.readString(history) : "");
    }

    /** The output without escape sequences and carriage returns. */
    static String plain(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.UTF_8)
                .replaceAll("\u001B\\[[0-9;?]*[ -/]*[@-~]", "")
                .replaceAll("\u001B[=>]", "")
                .replace("\r", "");
    }

    /** The candidates the console's completer offers at the '|', through a real LineReader and its parser. */
    static List<String> candidates(Sim sim, String withCursor) throws IOException {
        int cursor = withCursor.lastIndexOf('|'); // an earlier '|' is the operator
        String line = withCursor.substring(0, cursor) + withCursor.substring(cursor + 1);
        try (Terminal t = terminal(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream())) {
            LineReader reader = Console.reader(t, sim.engine(), Files.createTempFile("history", ""));
            ParsedLine parsed = reader.getParser().parse(line, cursor, Parser.ParseContext.COMPLETE);
            List<Candidate> found = new ArrayList<>();
            new ConsoleSupport.EngineCompleter(sim.engine()).complete(reader, parsed, found);
            // What JLine then keeps: the candidates that start with the word before the cursor.
            String prefix = parsed.word().substring(0, parsed.wordCursor());
            return found.stream().map(Candidate::value).filter(v -> v.startsWith(prefix)).toList();
        }
    }

    static void eval(Sim sim, String text) {
        assertEquals(EvalResult.Status.OK, sim.engine().eval(text, "<test>").status(), text);
    }

    @Test
    void tabCompletesACallName() throws IOException {
        // Two calls start with ioas_al: Tab inserts their common part and lists both.
        Session s = type("ioas_al\tc()\nioas_m\t(1, 4K)\n");
        assertTrue(s.out().contains("ioas_alloc") && s.out().contains("ioas_allow_iovas"), s.out());
        assertTrue(s.history().contains("ioas_alloc()"), s.history());
        assertTrue(s.history().contains("ioas_map(1, 4K)"), "no space after a completed name: " + s.history());
        assertTrue(s.out().contains("\n1\n"), "the completed call ran: " + s.out());
        assertEquals(List.of("ioas_alloc", "ioas_allow_iovas"), candidates(sim(), "ioas_al|"));
    }

    @Test
    void tabCompletesArgumentNamesAndFlagConstants() throws IOException {
        Session s = type("ioas = ioas_alloc()\n"
                + "ioas_map(ioas, 4K, fl\tREAD\t | WRITE\t | FIXED\t, iova: 0x100000)\n");
        assertTrue(s.history().contains("ioas_map(ioas, 4K, flags: READABLE | WRITEABLE | FIXED_IOVA, iova: 0x100000)"),
                s.history());
        assertTrue(s.out().contains("\n0x100000\n"), "the call ran with the completed flags: " + s.out());

        Sim sim = sim();
        assertEquals(List.of("flags: "), candidates(sim, "ioas_map(1, fl|"));
        assertEquals(List.of("flags: "), candidates(sim, "ioas_map(1,fl|"), "no space needed before the word");
        List<String> named = candidates(sim, "ioas_map(1, |");
        assertEquals(List.of("length: ", "iova: ", "flags: ", "user_va: ", "__reserved: "), named.subList(0, 5));
        assertEquals(List.of("FIXED_IOVA", "READABLE", "WRITEABLE"), candidates(sim, "ioas_map(1, 4K, flags: |").subList(0, 3));
        assertEquals(List.of("FIXED_IOVA"), candidates(sim, "ioas_map(1, 4K, flags: READABLE | FI|"));
    }

    @Test
    void tabCompletesLiveObjectIds() throws IOException {
        Sim sim = sim();
        eval(sim, "ioas_alloc()\nioas_alloc()");
        List<String> atDestroy = candidates(sim, "destroy(|");
        assertEquals(List.of("id: ", "1", "2"), atDestroy.subList(0, 3));
        assertEquals(List.of("2"), candidates(sim, "destroy(2|"));
        assertEquals(List.of("1", "2"), candidates(sim, "ioas_map(|").stream().filter(c -> Character.isDigit(c.charAt(0))).toList());

        // Typed: twelve IOASes, then Tab after "destroy(1" lists 1, 10, 11 and 12.
        Session s = type("for i in 1..12 { ioas_alloc() }\ndestroy(1\t2)\ninfo(12)\n");
        String listing = s.out().substring(s.out().indexOf("destroy(1"));
        for (String id : List.of("10", "11", "12")) {
            assertTrue(listing.matches("(?s).*\\b" + id + "\\b.*"), id + " offered: " + listing);
        }
        assertTrue(s.history().contains("destroy(12)"), s.history());
        assertTrue(s.out().contains("ENOENT"), "IOAS 12 was destroyed: " + s.out());
    }

    @Test
    void aMultiLineIfIsTypedOverSeveralLines() throws IOException {
        Session s = type("n = 5\nif n > 3 {\nshow \"big\"\n} else {\nshow \"small\"\n}\nshow \"after\"\n");
        assertTrue(s.out().contains("\nbig\n"), s.out());
        assertFalse(s.out().contains("\nsmall\n"), s.out());
        assertTrue(s.out().contains(" ... "), "continuation prompt: " + s.out());
        assertTrue(s.out().contains("\nafter\n"), s.out());
        assertFalse(s.out().contains("error"), s.out());
    }

    @Test
    void aClosingBracketKeepsTheSpaceBeforeIt() throws IOException {
        // JLine's own widget would delete the indentation before any '}' and print "{}".
        Session s = type("show \"{ }\"\nshow [1, 2 ]\n");
        assertTrue(s.out().contains("\n{ }\n"), s.out());
        assertTrue(s.out().contains("\n[1, 2]\n"), s.out());
    }

    @Test
    void aFailedCallPrintsTheErrnoAndTheSessionGoesOn() throws IOException {
        Session s = type("destroy(99)\nioas_alloc()\n");
        assertEquals(0, s.rc());
        assertTrue(s.out().contains("error: destroy: ENOENT: "), s.out());
        assertTrue(s.out().contains("  destroy(99)\n  ^\n"), "the line with a marker: " + s.out());
        assertTrue(s.out().contains("\n1\n"), "the next entry ran: " + s.out());
    }

    @Test
    void helpPrintsTheTable() throws IOException {
        Session s = type("help\nhelp ioas_map\nhelp FIXED_IOVA\n");
        Sim sim = sim();
        for (String topic : List.of("", "ioas_map", "FIXED_IOVA")) {
            for (String line : Help.text(sim.engine().table(), topic).split("\n")) {
                assertTrue(s.out().contains(line), "help " + topic + " prints: " + line + "\n" + s.out());
            }
        }
        assertTrue(s.out().matches("(?s).*\n  ioas_map +IOMMU_IOAS_MAP: map user memory.*"), s.out());
        assertTrue(s.out().contains("  ioas_id: the IOAS"), "field names: " + s.out());
        assertTrue(s.out().contains("[FIXED_IOVA, READABLE, WRITEABLE]"), "flags: " + s.out());
        assertTrue(s.out().contains("  errnos: EOPNOTSUPP, EOVERFLOW, EINVAL, ENOENT, EEXIST, ENOSPC, EFAULT"), "errnos: " + s.out());
        assertTrue(s.out().contains("arm_smmuv3"), "the plugins' drivers: " + s.out());
    }

    /**
     * `help DRIVER` and `help pci` list what the plugins declare (IommuDriver.options and
     * deviceProperties): a user finds `httu` or `pri` without reading the plugin's source, and
     * every option listed is one the driver accepts.
     */
    @Test
    void helpListsADriversOptionsAndDeviceProperties() {
        Sim sim = sim();
        String smmu = Help.text(sim.engine().table(), "arm_smmuv3");
        assertTrue(smmu.startsWith("arm_smmuv3(name: value...)"), smmu);
        assertTrue(smmu.contains("  instance options:\n") && smmu.contains("    httu: ") && smmu.contains("    stall: "), smmu);
        assertTrue(smmu.contains("  device properties it reads:\n") && smmu.contains("    dma_can_stall: "), smmu);
        assertTrue(Help.text(sim.engine().table(), "pci").contains("  behind intel_vtd:\n    rmrr: "), "pci");
        for (String line : smmu.substring(smmu.indexOf("instance options:")).split("\n")) {
            if (line.startsWith("    ") && !line.contains("device properties")) {
                String option = line.strip().substring(0, line.strip().indexOf(':'));
                if (smmu.indexOf(line) > smmu.indexOf("device properties it reads")) {
                    break;
                }
                var r = sim.eval("iommu h_" + option + " = arm_smmuv3(" + option + ": 0)", "<help>");
                assertTrue(r.error() == null || !String.valueOf(r.error()).contains("unknown option"), option + " is accepted: " + r.error());
            }
        }
        assertEquals("no call or constant named 'nothing'", Help.text(sim.engine().table(), "nothing"));
    }

    /** `limits` shows the limits; `limits --max-...` sets them for the next entries, as the command line's options do. */
    @Test
    void limitsShowsAndSetsTheLimitsOfTheNextEntries() throws IOException {
        Session s = type("limits\nlimits --max-steps 1000 --max-plugin-time 0.5\nwhile true {}\n"
                + "limits --max-step 5\nlimits --max-depth -1\nlimits --max-steps 0\nx = 0\nwhile x < 2000 { x += 1 }\nshow x\n");
        assertEquals(0, s.rc());
        assertTrue(s.out().contains("\nlimits: --max-steps 100000000  --max-depth 500  --max-length 10000000  --max-plugin-time 5"
                + " (seconds)\n"), s.out());
        assertTrue(s.out().contains("\nlimits: --max-steps 1000  --max-depth 500  --max-length 10000000  --max-plugin-time 0.5"
                + " (seconds)\n"), s.out());
        assertTrue(s.out().contains("error: step limit of 1000 exceeded (an endless loop? --max-steps raises the limit)\n"), s.out());
        assertTrue(s.out().contains("error: Unknown options: '--max-step', '5'; did you mean --max-steps? (help limits)\n"), s.out());
        assertTrue(s.out().contains("error: Invalid value for option '--max-depth': '-1' is not a count (0, 1, 2, ... ; 0: no"
                + " limit) (help limits)\n"), s.out());
        assertTrue(s.out().contains("\nlimits: --max-steps 0 (no limit)  --max-depth 500"), s.out());
        assertTrue(s.out().contains("\n2000\n"), "the loop ran past the old limit: " + s.out());
    }

    @Test
    void historyIsWrittenToTheGivenFile() throws IOException {
        Session s = type("ioas = ioas_alloc()\nif ioas == 1 {\nshow ioas\n}\nioas_alloc()\n");
        assertTrue(s.history().contains("ioas = ioas_alloc()"), s.history());
        assertTrue(s.history().contains("show ioas"), "the multi-line entry: " + s.history());
        // A new session reads it back: Up recalls the last entry.
        Session again = type("\u001B[A\n");
        assertTrue(again.out().contains("\n1\n"), again.out());
    }

    @Test
    void ctrlDLeaves() throws IOException {
        Session s = type("ioas_alloc()\n\u0004show 99\n");
        assertEquals(0, s.rc());
        assertTrue(s.out().contains("\n1\n"), s.out());
        assertFalse(s.out().contains("99"), s.out());
    }

    @Test
    void ctrlCAtThePromptCancelsTheLine() throws Exception {
        // Typed with a pause after Ctrl-C, as a person does: JLine notices the interrupt
        // while it waits for the next key.
        String out = typeSlowly(ConsoleTest::sim, "ioas_al\u0003", "ioas_alloc()\n");
        assertTrue(out.contains("\n1\n"), out);
        assertFalse(out.contains("error"), "the cancelled text never ran: " + out);
    }

    /** Types the parts with a pause between them, then Ctrl-D; returns the output. */
    String typeSlowly(Supplier<Sim> sims, String... parts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PipedOutputStream keys = new PipedOutputStream();
        try (Terminal t = terminal(new PipedInputStream(keys, 4096), out)) {
            Thread console = new Thread(() -> new Console(sims, false).run(t, dir.resolve("history")), "console");
            console.setDaemon(true);
            console.start();
            for (String part : parts) {
                keys.write(part.getBytes(StandardCharsets.UTF_8));
                keys.flush();
                Thread.sleep(300);
            }
            keys.close();
            console.join(10_000);
            assertFalse(console.isAlive(), "the console ended at the end of the input");
        }
        return plain(out);
    }

    @Test
    void ctrlCInterruptsARunningEntryWithOneLineAndTheSessionGoesOn() throws Exception {
        Sim sim = sim();
        sim.engine().setStepLimit(4_000_000_000L); // the loop must still run when Ctrl-C comes
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PipedOutputStream keys = new PipedOutputStream();
        Path history = dir.resolve("history");
        try (Terminal t = terminal(new PipedInputStream(keys, 4096), out)) {
            int[] rc = {-1};
            Thread console = new Thread(() -> rc[0] = new Console(() -> sim, false).run(t, history), "console");
            console.setDaemon(true);
            console.start();
            keys.write("while true {}\n".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (sim.engine().steps() < 100_000 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            // What the system terminal does on SIGINT while no line is being read.
            t.raise(Terminal.Signal.INT);
            keys.write("show 42\n".getBytes(StandardCharsets.UTF_8));
            keys.close();
            console.join(10_000);
            assertFalse(console.isAlive(), "the console ended at the end of the input");
            assertEquals(0, rc[0]);
        }
        String text = plain(out);
        assertTrue(text.matches("(?s).*\ninterrupted at <stdin:1>:1:\\d+\n.*"), text);
        assertFalse(text.contains("  while true {}\n"), "one line, no marker: " + text);
        assertTrue(text.contains("\n42\n"), "the session went on: " + text);
    }
}
