package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * `iommufd-sim exec` with the native shim and the programs of native/examples/ (map-and-ranges.c,
 * vfio-compat.c), whose output must be what the real Linux 7.2 kernel printed (NAME.expected,
 * recorded on the oracle with run-oracle.sh). Skipped where gcc or make is missing.
 */
class ExecTest {
    private static Path nativeDir;

    @BeforeAll
    static void build() throws Exception {
        assumeTrue(onPath("gcc") && onPath("make"), "gcc and make are needed to build native/ (the shim): test skipped");
        nativeDir = NativeShim.nativeDir();
        assumeTrue(nativeDir != null, "no native/ directory under " + TestPaths.root());
        NativeShim.make(nativeDir);
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    @ParameterizedTest
    @ValueSource(strings = {"map-and-ranges", "vfio-compat"})
    void exampleMatchesTheKernel(String example) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                "--plugins", TestPaths.pluginsDir().toString(), "exec", "--",
                nativeDir.resolve("build/examples/" + example).toString());
        String expected = Files.readString(nativeDir.resolve("examples/" + example + ".expected"));
        assertEquals(expected, out.toString(StandardCharsets.UTF_8), "stderr: " + err);
        assertEquals(0, rc, "stderr: " + err);
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void exitStatusAndArgumentsPassThrough() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                "--plugins", TestPaths.pluginsDir().toString(), "exec", "sh", "-c",
                "echo \"$IOMMUFD_SIM_SOCKET\" | grep -q iommu.sock && echo preloaded:${LD_PRELOAD##*/}; exit 3");
        assertEquals("preloaded:libiommufd-sim-shim.so\n", out.toString(StandardCharsets.UTF_8));
        assertEquals(3, rc);
    }
}
