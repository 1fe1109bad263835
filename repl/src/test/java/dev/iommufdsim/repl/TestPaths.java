package dev.iommufdsim.repl;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the build put things: the project root and the one plugins directory. */
public final class TestPaths {
    private TestPaths() {
    }

    public static Path root() {
        String p = System.getProperty("iommufdsim.root");
        Path root = p != null ? Path.of(p) : Path.of("").toAbsolutePath().getParent();
        if (!Files.isDirectory(root.resolve("scripts"))) {
            root = Path.of("").toAbsolutePath().getParent();
        }
        return root;
    }

    public static Path pluginsDir() {
        String p = System.getProperty("iommufdsim.pluginsDir");
        return p != null ? Path.of(p) : root().resolve("target/plugins");
    }
}
