package dev.iommufdsim.repl.fuzz;

import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shipped driver plugins and, when built, the template (ACME) plugin, loaded once for the fuzz tests. */
final class FuzzPlugins {
    private static PluginHost host;

    private FuzzPlugins() {
    }

    static synchronized PluginHost host() {
        if (host == null) {
            List<Path> dirs = new ArrayList<>(List.of(TestPaths.pluginsDir()));
            Path template = TestPaths.root().resolve("target/test-plugins/template.jar");
            if (Files.isRegularFile(template)) {
                try {
                    Path tmp = Files.createTempDirectory("fuzz-plugins");
                    Files.copy(template, tmp.resolve("template.jar"));
                    tmp.resolve("template.jar").toFile().deleteOnExit();
                    tmp.toFile().deleteOnExit();
                    dirs.add(tmp);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            host = PluginHost.load(dirs);
        }
        return host;
    }
}
