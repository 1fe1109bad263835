package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kernel's own iommufd selftest (Linux 7.2, ../shared/oracle/selftest/host/iommufd) run
 * unmodified through {@code iommufd-sim exec --junit}: its TAP results become
 * target/surefire-reports/TEST-kselftest-iommufd.xml beside this module's reports, and the
 * totals are printed. The floor below is the number of its cases that passed when it was last
 * raised; a change that makes fewer pass fails here. Skipped without gcc/make (the shim) or
 * without the selftest binary.
 */
class KernelSelftestTest {
    /** Cases of the 246 that must pass with 128 huge pages on the host (raise it as the emulator learns more). */
    static final int PASS_FLOOR = 241;
    /** The cases that need hugetlb memory (MAP_HUGETLB): without huge pages on the host they fail in their set-up. */
    static final int HUGETLB_CASES = 24;

    @Test
    void selftestPassesAtLeastTheFloor() throws Exception {
        Path selftest = TestPaths.root().resolve("../shared/oracle/selftest/host/iommufd").normalize();
        assumeTrue(Files.isExecutable(selftest), "no kernel selftest binary at " + selftest);
        assumeTrue(ExecTest.onPath("gcc") && ExecTest.onPath("make"), "gcc and make are needed to build the shim");
        Path nativeDir = NativeShim.nativeDir();
        assumeTrue(nativeDir != null, "no native/ directory");
        NativeShim.make(nativeDir);
        Path report = Path.of("target/surefire-reports/TEST-kselftest-iommufd.xml").toAbsolutePath();
        List<String> args = new ArrayList<>(List.of("--plugins", TestPaths.pluginsDir().toString(), "exec", "--junit", report.toString()));
        args.add("--");
        args.add(selftest.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                args.toArray(String[]::new));
        String errText = err.toString(StandardCharsets.UTF_8);
        String summary = errText.lines().filter(l -> l.contains("TAP:")).findFirst().orElse("no TAP summary; stderr:\n" + errText);
        System.out.println("kernel selftest through iommufd-sim exec: " + summary);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("TAP: (\\d+) pass, (\\d+) skip, (\\d+) fail of (\\d+)").matcher(summary);
        assertTrue(m.find(), summary);
        int pass = Integer.parseInt(m.group(1));
        String huge = Files.readString(Path.of("/proc/sys/vm/nr_hugepages")).trim();
        int floor = Long.parseLong(huge) >= 128 ? PASS_FLOOR : PASS_FLOOR - HUGETLB_CASES;
        assertTrue(pass >= floor, "only " + pass + " of the selftest's cases pass, the floor is " + floor
                + " (vm.nr_hugepages " + huge + "); failures are in " + report);
        assertTrue(Files.readString(report).contains("<testsuite name=\"iommufd\""), "no JUnit report at " + report);
    }
}
