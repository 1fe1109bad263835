package dev.iommufdsim.repl.replay;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The differential corpus: every operation list under corpus/ops was recorded on the real
 * Linux 7.2 kernel (tools/kernel-oracle/record.sh wrote the .ops.out beside it); the
 * emulator must print the same, line for line. No qemu is needed here.
 *
 * <p>corpus/known-disagreements holds lists where the emulator is known to differ (each
 * analysed in tools/kernel-oracle/DISAGREEMENTS.md) and corpus/pending lists that need ops
 * the emulator does not serve yet: their tests are skipped while they differ and fail once
 * they agree, so whoever fixes the emulator moves them to corpus/ops.
 */
class CorpusReplayTest {
    private static OpsReplay replay;
    private static final AtomicInteger FILES = new AtomicInteger();
    private static final AtomicInteger LINES = new AtomicInteger();
    private static final AtomicInteger AGREEING = new AtomicInteger();

    @BeforeAll
    static void loadPlugins() {
        replay = OpsReplay.withPlugins(PluginHost.load(List.of(TestPaths.pluginsDir())));
    }

    @AfterAll
    static void summary() {
        System.out.printf("corpus/ops: %d files, %d/%d lines agree with the kernel%n", FILES.get(), AGREEING.get(), LINES.get());
    }

    static Path corpus(String dir) {
        return TestPaths.root().resolve("corpus").resolve(dir);
    }

    static List<Path> opsFiles(String dir) throws IOException {
        Path d = corpus(dir);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".ops")).sorted().toList();
        }
    }

    static String recorded(Path ops) throws IOException {
        Path out = ops.resolveSibling(ops.getFileName() + ".out");
        if (!Files.isRegularFile(out)) {
            fail(ops.getFileName() + " has no kernel recording: run tools/kernel-oracle/record.sh " + ops);
        }
        return Files.readString(out, StandardCharsets.ISO_8859_1);
    }

    @TestFactory
    Stream<DynamicTest> corpusAgreesWithTheKernel() throws IOException {
        List<Path> files = opsFiles("ops");
        assertTrue(files.size() > 0, "no corpus under " + corpus("ops"));
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), f.toUri(), () -> {
            String kernel = recorded(f);
            OutDiff d = OutDiff.of(kernel, replay.run(f));
            FILES.incrementAndGet();
            LINES.addAndGet(d.total());
            AGREEING.addAndGet(d.agreeing());
            if (!d.same()) {
                fail(f.getFileName() + ": " + d.agreeing() + "/" + d.total() + " lines agree with the 7.2 kernel (-kernel +emulator)\n"
                        + d.render(10));
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> knownDisagreementsStillDisagree() throws IOException {
        return stillDiffer("known-disagreements", "see tools/kernel-oracle/DISAGREEMENTS.md");
    }

    @TestFactory
    Stream<DynamicTest> pendingOpsStillDisagree() throws IOException {
        return stillDiffer("pending", "needs ops the emulator does not serve yet");
    }

    private Stream<DynamicTest> stillDiffer(String dir, String why) throws IOException {
        return opsFiles(dir).stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), f.toUri(), () -> {
            OutDiff d = OutDiff.of(recorded(f), replay.run(f));
            if (d.same()) {
                fail(f.getFileName() + " now agrees with the kernel: move it (and its .out) from corpus/" + dir + " to corpus/ops"
                        + " and update tools/kernel-oracle/DISAGREEMENTS.md");
            }
            Assumptions.abort(d.agreeing() + "/" + d.total() + " lines agree (" + why + ")\n" + d.render(3));
        }));
    }
}
