package dev.iommufdsim.repl.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.cli.Conformance;
import dev.iommufdsim.repl.cli.Conformance.Outcome;
import dev.iommufdsim.repl.cli.Main;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance runner on a small suite of its own: markers, fixture variants, the [variant]
 * filter, SKIP, the first differing value of a failure, known failures (XFAIL and XPASS),
 * vendor-neutral scripts with DRIVER and IOMMU, selection by file and by case name, the table,
 * the exit codes and the JUnit report of `iommufd-sim conformance`.
 */
class ConformanceRunnerTest {
    @TempDir
    Path suite;

    private Conformance runner;

    @BeforeEach
    void write() throws IOException {
        Files.createDirectories(suite.resolve("lib"));
        Files.createDirectories(suite.resolve("known-failures"));
        Files.createDirectories(suite.resolve("neutral"));
        Files.writeString(suite.resolve("lib/fix.sim"), String.join("\n",
                "fx_variants = {none: {devices: 0}, one: {devices: 1}}",
                "fn fx_setup(variant) {",
                "  open()",
                "  ioas = ioas_alloc()",
                "  stdev = 0",
                "  if variant.devices { stdev = mock_domain(ioas).out_stdev_id }",
                "  return {ioas: ioas, stdev: stdev}",
                "}",
                ""));
        Files.writeString(suite.resolve("cases.sim"), String.join("\n",
                "source \"lib/fix.sim\"",
                "# TEST_F(fx, destroy_ioas)",
                "fn test_destroy_ioas(self, variant) {",
                "  if self.stdev { expect destroy(self.ioas) fails EBUSY } else { destroy(self.ioas) }",
                "}",
                "# TEST_F(fx, only_one) [one]",
                "# a comment between the marker and the function",
                "fn test_only_one(self, variant) {",
                "  expect self.stdev == 2",
                "}",
                "# TEST_F(fx, skipped)",
                "fn test_skipped(self, variant) {",
                "  if not self.stdev { return {skip: \"no device\"} }",
                "}",
                "# TEST_F(fx, wrong)",
                "fn test_wrong(self, variant) {",
                "  expect ioas_alloc() == 7",
                "  expect ioas_alloc() == 3",
                "}",
                ""));
        Files.writeString(suite.resolve("known-failures/bugs.sim"), String.join("\n",
                "source \"../lib/fix.sim\"",
                "# TEST_F(fx, still_broken) [one]",
                "fn test_still_broken(self, variant) {",
                "  expect destroy(self.ioas) fails ENOENT",
                "}",
                "# TEST_F(fx, fixed_since) [none]",
                "fn test_fixed_since(self, variant) {",
                "  expect ioas_alloc() == 2",
                "}",
                ""));
        Files.writeString(suite.resolve("neutral/n.sim"), String.join("\n",
                "# VENDOR_NEUTRAL",
                "fn nx_setup(variant) {",
                "  open()",
                "  device d0 = pci(\"0000:01:00.0\", iommu: IOMMU)",
                "  return {d0: d0}",
                "}",
                "# TEST_F(nx, bind)",
                "fn test_bind(self, variant) {",
                "  expect DRIVER == \"arm_smmuv3\"",
                "  expect vfio_bind(self.d0) == 1",
                "}",
                ""));
        runner = Conformance.withPlugins(PluginHost.load(List.of(TestPaths.pluginsDir())), KernelProfile.MAINLINE, "arm_smmuv3");
    }

    private Map<String, Conformance.Result> runAll() {
        Conformance.Suite s = runner.discover(Conformance.scripts(suite));
        assertEquals(List.of(), s.errors());
        return s.cases().stream().map(runner::run).collect(Collectors.toMap(r -> r.testCase().name(), r -> r));
    }

    @Test
    void outcomes() {
        Map<String, Conformance.Result> r = runAll();
        assertEquals(List.of("fx.none.destroy_ioas", "fx.none.fixed_since", "fx.none.skipped", "fx.none.wrong",
                "fx.one.destroy_ioas", "fx.one.only_one", "fx.one.skipped", "fx.one.still_broken", "fx.one.wrong", "nx.bind"),
                r.keySet().stream().sorted().toList());
        assertEquals(Outcome.PASS, r.get("fx.none.destroy_ioas").outcome());
        assertEquals(Outcome.PASS, r.get("fx.one.destroy_ioas").outcome());
        assertEquals(Outcome.PASS, r.get("fx.one.only_one").outcome());
        assertEquals(Outcome.SKIP, r.get("fx.none.skipped").outcome());
        assertEquals("no device", r.get("fx.none.skipped").detail());
        assertEquals(Outcome.PASS, r.get("fx.one.skipped").outcome());
        // the first differing value, with its position
        Conformance.Result wrong = r.get("fx.none.wrong");
        assertEquals(Outcome.FAIL, wrong.outcome());
        assertTrue(wrong.detail().startsWith("cases.sim:17: expected 7, got 2"), wrong.detail());
        assertEquals(7L, wrong.firstFailure().expected());
        assertEquals(2L, wrong.firstFailure().actual());
        // known failures: failing is XFAIL (not a pass), passing is XPASS (the list is stale)
        assertEquals(Outcome.XFAIL, r.get("fx.one.still_broken").outcome());
        assertTrue(r.get("fx.one.still_broken").detail().contains("expected ENOENT, got EBUSY"), r.get("fx.one.still_broken").detail());
        assertEquals(Outcome.XPASS, r.get("fx.none.fixed_since").outcome());
        // vendor-neutral: DRIVER and IOMMU come from the chosen driver
        assertEquals(Outcome.PASS, r.get("nx.bind").outcome(), r.get("nx.bind").detail());
    }

    @Test
    void markerWithoutFunctionIsALoadError() throws IOException {
        Files.writeString(suite.resolve("bad.sim"), "# TEST_F(fx, lonely)\nx = 1\n");
        Conformance.Suite s = runner.discover(List.of(suite.resolve("bad.sim")));
        assertEquals(1, s.errors().size());
        assertTrue(s.errors().get(0).message().contains("is not followed by the function"), s.errors().get(0).message());
    }

    private static final class Captured {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc;

        String out() {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private Captured cli(String... args) {
        Captured c = new Captured();
        c.rc = Main.execute(new PrintStream(c.out, true, StandardCharsets.UTF_8), new PrintStream(c.err, true, StandardCharsets.UTF_8),
                args);
        return c;
    }

    @Test
    void command() throws IOException {
        Path junit = suite.resolve("out/report.xml");
        Captured all = cli("conformance", "--suite", suite.toString(), "--plugin", "arm-smmuv3", "--junit", junit.toString());
        assertEquals(1, all.rc, all.out() + all.err);
        assertTrue(all.out().contains("fx.none.wrong"), all.out());
        assertTrue(all.out().contains("XFAIL"), all.out());
        assertTrue(all.out().contains("nx.bind [arm_smmuv3]"), all.out());
        assertTrue(all.out().contains("10 cases: 5 passed, 2 failed, 1 skipped, 1 known failures"), all.out());
        String xml = Files.readString(junit);
        assertTrue(xml.contains("name=\"fx.none.wrong\""), xml);
        assertTrue(xml.contains("<skipped message=\"XFAIL: known failure"), xml);

        // selection by case name and by file; exit 0 when nothing fails
        Captured one = cli("conformance", "--suite", suite.toString(), "fx.*.destroy_ioas", "only_one");
        assertEquals(0, one.rc, one.out());
        assertTrue(one.out().contains("3 cases: 3 passed"), one.out());
        Captured file = cli("conformance", "--suite", suite.toString(), "--plugin", "arm_smmuv3", "neutral");
        assertEquals(0, file.rc, file.out());
        assertTrue(file.out().contains("1 cases: 1 passed"), file.out());
        // nothing matches, an unknown driver: usage errors
        assertEquals(2, cli("conformance", "--suite", suite.toString(), "no_such_case").rc);
        assertEquals(2, cli("conformance", "--suite", suite.toString(), "--plugin", "nope", "neutral").rc);
    }
}
