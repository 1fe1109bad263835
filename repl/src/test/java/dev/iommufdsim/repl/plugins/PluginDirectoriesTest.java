package dev.iommufdsim.repl.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.cli.Main;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin management as users meet it: the default directory, one given by --plugins DIR or
 * $IOMMUFD_SIM_PLUGINS (PluginHost.defaultDirs, cli/Main), and jars that are no plugin or whose
 * plugin fails to start, reported by name while the others load.
 */
class PluginDirectoriesTest {
    record Run(int rc, String out, String err) {
    }

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Map<String, PluginHost.LoadedPlugin> byId(PluginHost host) {
        return host.plugins().stream().collect(Collectors.toMap(PluginHost.LoadedPlugin::id, p -> p));
    }

    /** The given directories come first, then $IOMMUFD_SIM_PLUGINS, then the default (the launcher's -Diommufdsim.pluginsDir). */
    @Test
    void searchOrder(@TempDir Path dir) {
        List<Path> dirs = PluginHost.defaultDirs(List.of(dir));
        assertEquals(dir, dirs.get(0));
        assertEquals(TestPaths.pluginsDir(), dirs.get(dirs.size() - 1));
    }

    /** `--plugins DIR` adds a directory to the default one: the shipped drivers and the template's load together. */
    @Test
    void pluginsOptionAddsADirectory(@TempDir Path dir) throws IOException {
        TestPlugins.dirWith(dir, "template");
        Run r = cli("--plugins", dir.toString(), "plugins");
        assertEquals(0, r.rc(), r.out() + r.err());
        for (String word : new String[] {"template", "acme_iommu", "mock", "arm-smmuv3", "intel-vtd"}) {
            assertTrue(r.out().contains(word), word + " in: " + r.out());
        }
        Path script = dir.resolve("acme.sim");
        Files.writeString(script, String.join("\n",
                "iommu acme0 = acme_iommu()",
                "device nic0 = pci(\"0000:01:00.0\", iommu: acme0)",
                "dev = vfio_bind(nic0)",
                "ioas = ioas_alloc()",
                "vfio_attach(dev, ioas)",
                "expect ioas_iova_ranges(ioas).ranges == [0..0xfcffffff, 0xfd100000..0x7fffffffff]",
                ""));
        Run run = cli("--plugins", dir.toString(), "run", script.toString());
        assertEquals(0, run.rc(), run.out() + run.err());
        Run without = cli("run", script.toString());
        assertEquals(2, without.rc(), "without --plugins there is no acme_iommu: a load error, " + without.out());
        assertTrue(without.out().contains("acme_iommu"), without.out());
    }

    /** $IOMMUFD_SIM_PLUGINS (a path list) adds directories too: checked in a child JVM, since a test cannot set its own environment. */
    @Test
    void environmentVariableAddsDirectories(@TempDir Path dir) throws IOException, InterruptedException {
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        TestPlugins.dirWith(a, "template");
        TestPlugins.dirWith(b, "broken-test");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Diommufdsim.pluginsDir=" + TestPaths.pluginsDir(),
                Main.class.getName(), "plugins");
        pb.environment().put(PluginHost.ENV_PLUGINS, a + java.io.File.pathSeparator + b);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM finished");
        assertEquals(0, p.exitValue(), out);
        for (String word : new String[] {"template", "acme_iommu", "broken-test", "broken", "mock"}) {
            assertTrue(out.contains(word), word + " in: " + out);
        }
    }

    /**
     * The same plugin id in two directories: the earlier directory's jar is loaded (so
     * --plugins DIR overrides the default directory), whatever the files' ages, and the other
     * is reported as a duplicate, not as an invalid jar. (PluginHost needed this: PF4J ordered
     * the jars by age and the loser was reported "not a valid PF4J plugin".)
     */
    @Test
    void earlierDirectoryWinsAndTheDuplicateIsNamed(@TempDir Path dir) throws IOException {
        Path mine = Files.createDirectory(dir.resolve("mine"));
        Files.copy(TestPaths.pluginsDir().resolve("mock.jar"), mine.resolve("mock.jar"));
        Map<String, PluginHost.LoadedPlugin> byId = byId(PluginHost.load(List.of(mine, TestPaths.pluginsDir())));
        assertEquals(mine.resolve("mock.jar").toAbsolutePath(), byId.get("mock").path().toAbsolutePath(), "the --plugins copy wins");
        PluginHost.LoadedPlugin dup = byId.get("mock.jar");
        assertNotNull(dup, byId.keySet().toString());
        assertEquals("DUPLICATE", dup.state());
        assertTrue(dup.error().contains("'mock'") && dup.error().contains(mine.toString()), dup.error());
        assertEquals(TestPaths.pluginsDir().resolve("mock.jar").toAbsolutePath(), dup.path().toAbsolutePath());
        Map<String, PluginHost.LoadedPlugin> reversed = byId(PluginHost.load(List.of(TestPaths.pluginsDir(), mine)));
        assertEquals(TestPaths.pluginsDir().resolve("mock.jar").toAbsolutePath(), reversed.get("mock").path().toAbsolutePath());
    }

    /**
     * Two plugins with different ids providing a driver of the same name (a vendor's rebuilt
     * "mock" under another id): the earlier directory's is registered, whatever order PF4J
     * starts them in, and the other is reported as a duplicate naming the winner. Before,
     * the machine silently kept whichever registered last.
     */
    @Test
    void earlierDirectoryWinsASharedDriverName(@TempDir Path dir) throws IOException {
        Path mine = Files.createDirectory(dir.resolve("mine"));
        Path copy = mine.resolve("my-mock.jar");
        repackage(TestPaths.pluginsDir().resolve("mock.jar"), copy, Map.of("Plugin-Id", "my-mock"));
        for (boolean mineFirst : new boolean[] {true, false}) {
            List<Path> dirs = mineFirst ? List.of(mine, TestPaths.pluginsDir()) : List.of(TestPaths.pluginsDir(), mine);
            PluginHost host = PluginHost.load(dirs);
            Map<String, PluginHost.LoadedPlugin> byId = byId(host);
            PluginHost.LoadedPlugin winner = byId.get(mineFirst ? "my-mock" : "mock");
            PluginHost.LoadedPlugin loser = byId.get(mineFirst ? "mock" : "my-mock");
            assertEquals("STARTED", winner.state(), winner.toString());
            assertEquals(List.of(Machine.MOCK_DRIVER), winner.drivers());
            assertEquals("DUPLICATE", loser.state(), loser.toString());
            assertTrue(loser.drivers().isEmpty(), loser.toString());
            assertTrue(loser.error().contains("driver 'mock' is already provided by plugin '" + winner.id() + "'"), loser.error());
            Machine m = new Machine();
            host.registerInto(m);
            Path registeredFrom = Path.of(java.net.URI.create(
                    m.driver(Machine.MOCK_DRIVER).getClass().getProtectionDomain().getCodeSource().getLocation().toString()));
            assertEquals(winner.path().toAbsolutePath().normalize(), registeredFrom.toAbsolutePath().normalize(),
                    "the machine's mock driver comes from the winning jar");
        }
    }

    /** A directory that does not exist is skipped, not an error. */
    @Test
    void missingDirectoryIsSkipped(@TempDir Path dir) throws IOException {
        TestPlugins.dirWith(dir, "template");
        PluginHost host = PluginHost.load(List.of(dir.resolve("nowhere"), dir));
        assertEquals(List.of("acme_iommu"), byId(host).get("template").drivers());
    }

    /**
     * Jars that are not plugins (not a zip; a zip without Plugin-Id; a plugin whose class is
     * missing; a plugin whose start() throws) are each reported by name, and the good plugin
     * in the same directory loads and registers its driver; `plugins` still exits 0.
     */
    @Test
    void badJarsAreReportedByNameWhileTheOthersLoad(@TempDir Path dir) throws IOException {
        TestPlugins.dirWith(dir, "template");
        Files.writeString(dir.resolve("garbage.jar"), "not a zip");
        writeJar(dir.resolve("no-descriptor.jar"), Map.of("Created-By", "test"), List.of());
        writeJar(dir.resolve("ghost.jar"), Map.of("Plugin-Id", "ghost", "Plugin-Version", "1.0.0", "Plugin-Class", "no.such.Plugin"), List.of());
        repackage(TestPlugins.jar("broken-test"), dir.resolve("failing-start.jar"),
                Map.of("Plugin-Id", "failing-start", "Plugin-Class", "dev.iommufdsim.plugins.brokentest.FailingStartPlugin"));
        Map<String, PluginHost.LoadedPlugin> byId = byId(PluginHost.load(List.of(dir)));
        assertEquals("STARTED", byId.get("template").state());
        assertEquals("INVALID", byId.get("garbage.jar").state());
        assertEquals("INVALID", byId.get("no-descriptor.jar").state());
        PluginHost.LoadedPlugin ghost = byId.get("ghost");
        assertNotNull(ghost, byId.keySet().toString());
        assertTrue(!ghost.state().equals("STARTED") && ghost.error() != null, ghost.toString());
        PluginHost.LoadedPlugin failing = byId.get("failing-start");
        assertNotNull(failing, byId.keySet().toString());
        assertEquals("FAILED", failing.state());
        assertTrue(failing.error().contains("deliberate failure"), failing.error());
        assertTrue(failing.drivers().isEmpty());
        Machine m = new Machine();
        PluginHost.load(List.of(dir)).registerInto(m);
        assertEquals(List.of("acme_iommu"), m.driverNames(), "only the started plugin's driver");
        Run r = cli("--plugins", dir.toString(), "plugins");
        assertEquals(0, r.rc(), r.err());
        for (String word : new String[] {"garbage.jar", "no-descriptor.jar", "ghost", "failing-start", "deliberate failure"}) {
            assertTrue(r.out().contains(word), word + " in: " + r.out());
        }
    }

    static void writeJar(Path path, Map<String, String> attributes, List<Map.Entry<String, byte[]>> entries) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((k, v) -> mf.getMainAttributes().putValue(k, v));
        try (OutputStream os = Files.newOutputStream(path); JarOutputStream jar = new JarOutputStream(os, mf)) {
            for (Map.Entry<String, byte[]> e : entries) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
    }

    /** A copy of a plugin jar with some manifest attributes replaced. */
    static void repackage(Path from, Path to, Map<String, String> replaced) throws IOException {
        List<Map.Entry<String, byte[]>> entries = new ArrayList<>();
        Map<String, String> attrs = new java.util.LinkedHashMap<>();
        try (JarInputStream in = new JarInputStream(Files.newInputStream(from))) {
            in.getManifest().getMainAttributes().forEach((k, v) -> attrs.put(k.toString(), v.toString()));
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                if (!e.isDirectory()) {
                    entries.add(Map.entry(e.getName(), in.readAllBytes()));
                }
            }
        }
        attrs.remove(Attributes.Name.MANIFEST_VERSION.toString());
        attrs.putAll(replaced);
        writeJar(to, attrs, entries);
    }
}
