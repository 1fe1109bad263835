package dev.iommufdsim.repl.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where libiommufd-sim-shim.so is, built from native/ with make on first use (gcc, no root);
 * $IOMMUFD_SIM_SHIM names a prebuilt one instead.
 */
public final class NativeShim {
    public static final String ENV_SHIM = "IOMMUFD_SIM_SHIM";
    public static final String SHIM = "build/libiommufd-sim-shim.so";
    private static final List<String> SOURCES = List.of("Makefile", "shim/shim.c", "shim/protocol.h");

    private NativeShim() {
    }

    /** The project's native/ directory: under -Diommufdsim.root, else above the working directory. */
    public static Path nativeDir() {
        String root = System.getProperty("iommufdsim.root");
        if (root != null && Files.isRegularFile(Path.of(root, "native", "Makefile"))) {
            return Path.of(root, "native");
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("native/Makefile")) && Files.isRegularFile(p.resolve("native/shim/shim.c"))) {
                return p.resolve("native");
            }
        }
        return null;
    }

    /** The shim to preload, building it (and the examples) when missing or older than its sources. */
    public static Path locate(Path explicit) throws IOException {
        if (explicit != null) {
            return require(explicit);
        }
        String env = System.getenv(ENV_SHIM);
        if (env != null && !env.isEmpty()) {
            return require(Path.of(env));
        }
        Path dir = nativeDir();
        if (dir == null) {
            throw new IOException("cannot find the project's native/ directory (set -Diommufdsim.root or $" + ENV_SHIM + ")");
        }
        Path so = dir.resolve(SHIM);
        if (stale(dir, so)) {
            make(dir);
        }
        return require(so.toAbsolutePath());
    }

    private static Path require(Path p) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new IOException("no shim library at " + p);
        }
        return p.toAbsolutePath();
    }

    private static boolean stale(Path dir, Path so) throws IOException {
        if (!Files.isRegularFile(so)) {
            return true;
        }
        FileTime built = Files.getLastModifiedTime(so);
        for (String s : SOURCES) {
            Path src = dir.resolve(s);
            if (Files.isRegularFile(src) && Files.getLastModifiedTime(src).compareTo(built) > 0) {
                return true;
            }
        }
        return false;
    }

    /** make -C native: the shim and the examples. */
    public static void make(Path dir) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder("make", "-C", dir.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("building the shim needs make and a C compiler (apt-get install make gcc): " + e.getMessage(), e);
        }
        byte[] log = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("make -C " + dir + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building the shim", e);
        }
        if (p.exitValue() != 0) {
            String text = new String(log, StandardCharsets.UTF_8);
            throw new IOException("make -C " + dir + " failed:\n" + text.substring(Math.max(0, text.length() - 2000)));
        }
    }
}
