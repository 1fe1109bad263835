package dev.iommufdsim.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built plugin jars, loaded through a real PF4J plugin manager. */
class PluginHostTest {
    @Test
    void loadsEveryShippedPluginJar() {
        PluginHost host = PluginHost.load(List.of(TestPaths.pluginsDir()));
        Map<String, PluginHost.LoadedPlugin> byId = host.plugins().stream().collect(Collectors.toMap(PluginHost.LoadedPlugin::id, p -> p));
        assertEquals(List.of("mock"), byId.get("mock").drivers());
        assertEquals(List.of("arm_smmuv3"), byId.get("arm-smmuv3").drivers());
        assertEquals(List.of("intel_vtd"), byId.get("intel-vtd").drivers());
        for (PluginHost.LoadedPlugin p : byId.values()) {
            assertEquals("STARTED", p.state(), p.id() + ": " + p.error());
            assertEquals("0.1.0-SNAPSHOT", p.version());
            assertTrue(p.path().toString().endsWith(".jar"), "loaded from a jar: " + p.path());
        }
        Machine m = new Machine();
        host.registerInto(m);
        assertEquals(List.of("arm_smmuv3", "intel_vtd", "mock"), m.driverNames().stream().sorted().toList());
        // The driver comes from the plugin's own class loader, the spi from the host's.
        assertTrue(m.driver("mock").getClass().getClassLoader() != PluginHost.class.getClassLoader());
    }

    @Test
    void brokenJarsAreReportedByNameAndTheOthersStillLoad(@TempDir Path dir) throws IOException {
        Files.copy(TestPaths.pluginsDir().resolve("mock.jar"), dir.resolve("mock.jar"));
        Files.writeString(dir.resolve("garbage.jar"), "not a zip");
        writeJar(dir.resolve("ghost.jar"), Map.of("Plugin-Id", "ghost", "Plugin-Version", "1.0.0", "Plugin-Class", "no.such.PluginClass"));
        PluginHost host = PluginHost.load(List.of(dir));
        Map<String, PluginHost.LoadedPlugin> byId = host.plugins().stream().collect(Collectors.toMap(PluginHost.LoadedPlugin::id, p -> p));
        assertEquals("STARTED", byId.get("mock").state());
        PluginHost.LoadedPlugin ghost = byId.get("ghost");
        assertNotNull(ghost, "the plugin whose class is missing is listed: " + byId.keySet());
        assertTrue(!ghost.state().equals("STARTED") && ghost.error() != null, ghost.toString());
        PluginHost.LoadedPlugin garbage = byId.get("garbage.jar");
        assertNotNull(garbage, "the jar that is no plugin is listed: " + byId.keySet());
        assertEquals("INVALID", garbage.state());
    }

    static void writeJar(Path path, Map<String, String> attributes) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((k, v) -> mf.getMainAttributes().putValue(k, v));
        try (OutputStream os = Files.newOutputStream(path); JarOutputStream jar = new JarOutputStream(os, mf)) {
            jar.flush();
        }
    }
}
