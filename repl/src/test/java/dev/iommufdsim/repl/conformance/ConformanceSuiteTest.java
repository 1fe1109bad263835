package dev.iommufdsim.repl.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.cli.Conformance;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance suite (scripts/conformance) in `mvn verify`: every ported selftest case as a
 * dynamic test under its script, and the vendor-neutral scripts once per driver (the mock, the
 * two shipped drivers and the vendor kit's template plugin). A skipped case (the kernel's SKIP)
 * and a known failure (known-failures/, an emulator bug) are aborted tests; a known failure that
 * passes fails, so the list stays true.
 */
class ConformanceSuiteTest {
    /** The drivers the vendor-neutral rules run against; acme_iommu is plugins/template. */
    static final List<String> NEUTRAL_DRIVERS = List.of("mock", "arm_smmuv3", "intel_vtd", "acme_iommu");

    @TempDir
    static Path templateDir;

    static Path suiteDir() {
        return TestPaths.root().resolve(Conformance.SUITE_DIR);
    }

    /** The shipped plugins plus the template plugin's jar (target/test-plugins), as a user adds it with --plugins. */
    static PluginHost plugins() throws IOException {
        Path jar = TestPaths.root().resolve("target/test-plugins/template.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: build it with mvn -o -pl plugins/template package");
        Path copy = templateDir.resolve("template.jar");
        if (!Files.exists(copy)) {
            Files.copy(jar, copy);
        }
        return PluginHost.load(List.of(TestPaths.pluginsDir(), templateDir));
    }

    static boolean inNeutralDir(Path p) {
        return suiteDir().relativize(p).startsWith("neutral");
    }

    /** vendor/: rules of one shipped driver (its own machine), not ported from the selftest. */
    static boolean inVendorDir(Path p) {
        return suiteDir().relativize(p).startsWith("vendor");
    }

    @TestFactory
    Stream<DynamicNode> selftestCases() throws IOException {
        Conformance c = Conformance.withPlugins(plugins(), KernelProfile.MAINLINE, Conformance.DEFAULT_DRIVER);
        List<Path> files = Conformance.scripts(suiteDir()).stream().filter(p -> !inNeutralDir(p)).toList();
        return byFile(c, files, "");
    }

    @TestFactory
    Stream<DynamicNode> vendorNeutral() throws IOException {
        PluginHost plugins = plugins();
        List<Path> files = Conformance.scripts(suiteDir()).stream().filter(ConformanceSuiteTest::inNeutralDir).toList();
        List<DynamicNode> perDriver = new ArrayList<>();
        for (String driver : NEUTRAL_DRIVERS) {
            Conformance c = Conformance.withPlugins(plugins, KernelProfile.MAINLINE, driver);
            perDriver.add(DynamicContainer.dynamicContainer(driver, byFile(c, files, "[" + driver + "] ")));
        }
        return perDriver.stream();
    }

    private static Stream<DynamicNode> byFile(Conformance c, List<Path> files, String prefix) {
        Conformance.Suite suite = c.discover(files);
        List<DynamicNode> nodes = new ArrayList<>();
        for (Conformance.LoadError e : suite.errors()) {
            nodes.add(DynamicTest.dynamicTest(prefix + "load " + e.file().getFileName(), () -> fail(e.message())));
        }
        Map<Path, List<Conformance.Case>> grouped = new LinkedHashMap<>();
        suite.cases().forEach(k -> grouped.computeIfAbsent(k.file(), f -> new ArrayList<>()).add(k));
        grouped.forEach((file, cases) -> nodes.add(DynamicContainer.dynamicContainer(prefix + suiteDir().relativize(file),
                file.toUri(), cases.stream().map(k -> DynamicTest.dynamicTest(prefix + k.name(), () -> check(c.run(k)))))));
        return nodes.stream();
    }

    private static void check(Conformance.Result r) {
        switch (r.outcome()) {
            case PASS -> {
            }
            case SKIP -> Assumptions.abort("SKIP: " + r.detail());
            case XFAIL -> Assumptions.abort("XFAIL: " + r.detail());
            case FAIL, XPASS -> fail(r.outcome() + " " + r.testCase().name() + ": " + r.detail()
                    + (r.error() == null ? "" : "\n" + r.error()));
        }
    }

    /** The suite is the size the README's accounting says, and no script fails to load. */
    @Test
    void suiteShape() throws IOException {
        Conformance c = Conformance.withPlugins(plugins(), KernelProfile.MAINLINE, Conformance.DEFAULT_DRIVER);
        Conformance.Suite suite = c.discover(Conformance.scripts(suiteDir()));
        assertEquals(List.of(), suite.errors());
        long ported = suite.cases().stream().filter(k -> !k.neutral()).count();
        assertTrue(ported >= 80, "ported selftest cases (fixture.variant.test): " + ported);
        assertTrue(suite.cases().stream().anyMatch(Conformance.Case::neutral), "vendor-neutral cases");
    }

    /** One accounting row of README.md: a TEST_F of iommufd.c, its variants, the cases ported and the status. */
    private static final Pattern ROW = Pattern.compile("^\\| (\\d+) \\| (\\w+)\\.(\\w+) \\| (\\d+) \\| (\\d+) \\| (full|partial|no) \\|.*$");

    /**
     * README.md accounts for every TEST_F of iommufd.c (66, 246 with their variants) and agrees
     * with the scripts: the cases ported per TEST_F, no script case missing from the table, every
     * vendor-neutral and vendor case described.
     */
    @Test
    void readmeAccountsForEveryCase() throws IOException {
        List<String> readme = Files.readAllLines(suiteDir().resolve("README.md"));
        Conformance c = Conformance.withPlugins(plugins(), KernelProfile.MAINLINE, Conformance.DEFAULT_DRIVER);
        List<Conformance.Case> cases = c.discover(Conformance.scripts(suiteDir())).cases();
        Map<String, Long> ported = new LinkedHashMap<>();
        cases.stream().filter(k -> !k.neutral() && !inVendorDir(k.file()))
                .forEach(k -> ported.merge(k.fixture() + "." + k.test(), 1L, Long::sum));
        Map<String, Long> table = new LinkedHashMap<>();
        int variants = 0;
        for (String line : readme) {
            Matcher m = ROW.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String name = m.group(2) + "." + m.group(3);
            long n = Long.parseLong(m.group(5));
            variants += Integer.parseInt(m.group(4));
            table.put(name, n);
            assertEquals(n == 0, m.group(6).equals("no"), "status of " + name);
            assertTrue(n <= Long.parseLong(m.group(4)), name);
            assertEquals(n, ported.getOrDefault(name, 0L), "cases of " + name + " in the scripts");
        }
        assertEquals(66, table.size(), "TEST_F rows");
        assertEquals(246, variants, "TEST_F x variants");
        for (String name : ported.keySet()) {
            assertTrue(table.containsKey(name), name + " is not in README.md's table");
        }
        String text = String.join("\n", readme);
        cases.stream().filter(Conformance.Case::neutral).forEach(k ->
                assertTrue(text.contains("| " + k.test() + " |"), k.test() + " is not in README.md's table of rules"));
        cases.stream().filter(k -> inVendorDir(k.file())).forEach(k ->
                assertTrue(text.contains("| " + k.fixture() + "." + k.test() + " |"), k.name() + " is not in README.md's table of vendor rules"));
    }
}
