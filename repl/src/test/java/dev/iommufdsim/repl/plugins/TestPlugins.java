package dev.iommufdsim.repl.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EvalResult;
import dev.iommufdsim.repl.interp.RuntimeError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the build puts the test-only plugin jars (plugins/pom.xml: plugin.outputDir of the
 * template and broken-test modules), and helpers to run scripts against a loaded plugin.
 */
final class TestPlugins {
    private TestPlugins() {
    }

    /** target/test-plugins: the template and broken-test jars, never loaded by users. */
    static Path testPluginsDir() {
        return TestPaths.root().resolve("target/test-plugins");
    }

    /** The built jar of a test plugin; fails with how to build it when it is missing. */
    static Path jar(String pluginId) {
        Path jar = testPluginsDir().resolve(pluginId + ".jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: build it with mvn -o -pl plugins/" + pluginId + " package");
        return jar;
    }

    /** A plugins directory holding copies of these test plugin jars only. */
    static Path dirWith(Path dir, String... pluginIds) throws IOException {
        for (String id : pluginIds) {
            Files.copy(jar(id), dir.resolve(id + ".jar"));
        }
        return dir;
    }

    static Sim sim(Path pluginsDir) {
        return Sim.create(PluginHost.load(List.of(pluginsDir)), KernelProfile.MAINLINE);
    }

    /** Runs script text that must succeed; returns its last value. */
    static Object ok(Sim sim, String text) {
        EvalResult r = sim.eval(text, "t.sim");
        assertTrue(r.ok() && r.failed() == 0, "expected success: " + text + " -> " + r.diagnostics() + " " + r.error());
        return r.value();
    }

    /** Runs the lines as one script through the engine: it must run to the end with every expectation holding. */
    static void expectAll(Sim sim, String file, String... lines) {
        EvalResult r = sim.engine().eval(String.join("\n", lines) + "\n", file);
        assertEquals(EvalResult.Status.OK, r.status(), r.diagnostics() + " " + r.error());
        assertEquals(0, r.failed(), sim.engine().expectations().toString());
    }

    /** Runs script text that must stop with a failed uAPI call or declaration; returns the error. */
    static RuntimeError error(Sim sim, String text) {
        EvalResult r = sim.eval(text, "t.sim");
        assertTrue(r.status() == EvalResult.Status.RUNTIME_ERROR, "expected a runtime error: " + text + " -> " + r);
        return r.error();
    }
}
