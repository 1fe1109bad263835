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
 * `iommufd-sim exec` with the native shim and the programs of native/examples/, whose output
 * must be what the real Linux 7.2 kernel printed (the .expected files, recorded on the oracle
 * with run-oracle.sh), except the VFIO cdev programs, which need devices behind a vendor IOMMU
 * that the oracle does not have (see their tests). Skipped where gcc or make is missing.
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
        matchesTheKernel(example, example + ".expected");
    }

    /** native/examples/dirty-bitmap.c in small pages: every dirty-tracking check and bit as the 7.2 oracle printed them. */
    @Test
    void dirtyBitmapMatchesTheKernel() throws IOException {
        matchesTheKernel("dirty-bitmap", "dirty-bitmap.expected");
    }

    /** The same in 2 MiB hugetlb memory; needs vm.nr_hugepages on this host. */
    @Test
    void dirtyBitmapInHugePagesMatchesTheKernel() throws IOException {
        String n = Files.readString(Path.of("/proc/sys/vm/nr_hugepages")).trim();
        assumeTrue(!n.equals("0"), "vm.nr_hugepages is 0: no hugetlb memory for the huge variant, test skipped");
        matchesTheKernel("dirty-bitmap", "dirty-bitmap-huge.expected", "huge-only");
    }

    /**
     * native/examples/smmu-vmm.c, a VMM's calls on the VFIO cdev of a device behind an ARM
     * SMMUv3 (exec --machine). No hardware oracle runs the vendor drivers: smmu-vmm.expected is
     * derived from native/examples/smmu-vmm.sim, the same calls as a script whose expectations
     * hold the printed values, so the script must pass too.
     */
    @Test
    void smmuVmmMatchesItsScript() throws IOException {
        Path machine = nativeDir.resolve("examples/smmu-vmm.machine.sim");
        matches("smmu-vmm", "smmu-vmm.expected", new String[] {"--machine", machine.toString()});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8),
                "--plugins", TestPaths.pluginsDir().toString(), "run", nativeDir.resolve("examples/smmu-vmm.sim").toString());
        assertEquals(0, rc, out.toString(StandardCharsets.UTF_8));
    }

    /** native/examples/vfio-cdev-errors.c: a missing cdev, EBADF/EBADFD binds, a dup'ed iommufd, a re-open after close. */
    @Test
    void vfioCdevErrors() throws IOException {
        Path machine = nativeDir.resolve("examples/smmu-vmm.machine.sim");
        matches("vfio-cdev-errors", "vfio-cdev-errors.expected", new String[] {"--machine", machine.toString()});
    }

    private static void matchesTheKernel(String example, String expectedFile, String... args) throws IOException {
        matches(example, expectedFile, new String[0], args);
    }

    private static void matches(String example, String expectedFile, String[] execOptions, String... args) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = new String[5 + execOptions.length + args.length];
        argv[0] = "--plugins";
        argv[1] = TestPaths.pluginsDir().toString();
        argv[2] = "exec";
        System.arraycopy(execOptions, 0, argv, 3, execOptions.length);
        argv[3 + execOptions.length] = "--";
        argv[4 + execOptions.length] = nativeDir.resolve("build/examples/" + example).toString();
        System.arraycopy(args, 0, argv, 5 + execOptions.length, args.length);
        int rc = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), argv);
        String expected = Files.readString(nativeDir.resolve("examples/" + expectedFile));
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
