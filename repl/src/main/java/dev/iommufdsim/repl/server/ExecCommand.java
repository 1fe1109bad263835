package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code iommufd-sim exec -- PROGRAM ARGS...} and {@code iommufd-sim serve}: a real program
 * against the emulator. exec starts a private server on a temporary socket, runs the program
 * with the shim preloaded, relays its output and returns its exit status.
 */
public final class ExecCommand {
    /** The environment variable naming the server's socket (read by the shim). */
    public static final String ENV_SOCKET = "IOMMUFD_SIM_SOCKET";
    /** exec's status when the program could not be started. */
    public static final int EXIT_CANNOT_RUN = 127;

    private ExecCommand() {
    }

    /** A machine with the plugins' drivers, as every server context shares it. */
    public static Machine machine(PluginHost plugins, KernelProfile profile) {
        Machine m = new Machine(profile);
        plugins.registerInto(m);
        return m;
    }

    /**
     * Options of one exec.
     *
     * @param shim              a prebuilt shim, or null for native/build (built when missing)
     * @param trace             print every ioctl and its result on err
     * @param summary           print the not-emulated calls on err at the end
     * @param junit             when not null, the program's output is read as TAP (kselftest) and
     *                          written there as a JUnit report, with a summary line on err
     */
    public record Options(Path shim, boolean trace, boolean summary, Path junit) {
        public static Options defaults() {
            return new Options(null, false, true, null);
        }
    }

    /**
     * Runs command with /dev/iommu served by the emulator. Output goes to out and err (the
     * JVM's own streams are handed to the program directly). Returns the program's exit status
     * (128+N when a signal N ended it), or 127 when it could not start.
     */
    public static int run(Machine machine, List<String> command, Options opts, PrintStream out, PrintStream err) throws IOException {
        return run(machine, command, opts, ServerOptions.DEFAULT_MAX_PLUGIN_TIME, out, err);
    }

    /** {@link #run} with the bound on driver plugin calls ({@link ServerOptions#maxPluginTime}). */
    public static int run(Machine machine, List<String> command, Options opts, java.time.Duration maxPluginTime, PrintStream out,
            PrintStream err) throws IOException {
        if (machine.driver(Machine.MOCK_DRIVER) == null) {
            err.println("iommufd-sim exec: warning: the '" + Machine.MOCK_DRIVER + "' driver plugin is not loaded;"
                    + " IOMMU_TEST_CMD mock devices will fail (ENODEV)");
        }
        Path shim = NativeShim.locate(opts.shim());
        if (opts.trace()) {
            for (String line : VfioCdevs.describe(machine)) {
                err.println("iommufd-sim exec: " + line);
            }
        }
        Path dir = Files.createTempDirectory("iommufd-sim");
        GapLog gaps = new GapLog();
        ServerOptions so = new ServerOptions(gaps, opts.trace() ? err : null, maxPluginTime, err);
        try (SimServer server = SimServer.start(dir.resolve("iommu.sock"), machine, so)) {
            ProcessBuilder pb = new ProcessBuilder(command);
            Map<String, String> env = pb.environment();
            String pre = env.get("LD_PRELOAD");
            env.put("LD_PRELOAD", pre == null || pre.isBlank() ? shim.toString() : shim + " " + pre);
            env.put(ENV_SOCKET, server.socket().toString());
            TapReport tap = opts.junit() == null ? null : new TapReport();
            boolean inherit = out == System.out && err == System.err && tap == null;
            if (inherit) {
                pb.inheritIO();
            } else {
                pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
            }
            long t0 = System.nanoTime();
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                err.println("iommufd-sim exec: cannot run " + command.get(0) + ": " + e.getMessage());
                return EXIT_CANNOT_RUN;
            }
            Thread o = null;
            Thread e = null;
            if (!inherit) {
                o = pump(p.getInputStream(), out, tap);
                e = pump(p.getErrorStream(), err, null);
            }
            int rc;
            try {
                rc = p.waitFor();
                if (o != null) {
                    o.join();
                    e.join();
                }
            } catch (InterruptedException ie) {
                p.destroy();
                Thread.currentThread().interrupt();
                return 130;
            }
            out.flush();
            if (opts.summary() && !gaps.summary().isEmpty()) {
                err.print("iommufd-sim exec: " + gaps.summary().replace("\n", "\n  ").stripTrailing() + "\n");
            }
            if (tap != null) {
                tap.writeJunit(opts.junit(), command.get(0).replaceAll(".*/", ""), (System.nanoTime() - t0) / 1e9);
                err.println("iommufd-sim exec: " + tap.summary() + "; JUnit report " + opts.junit());
            }
            return rc;
        } finally {
            deleteTree(dir);
        }
    }

    /** Copies from to to on a daemon thread, feeding tap (if not null) too. */
    private static Thread pump(InputStream from, OutputStream to, TapReport tap) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = from.read(buf)) > 0;) {
                    if (tap != null) {
                        tap.feed(buf, 0, n);
                    }
                    synchronized (to) {
                        to.write(buf, 0, n);
                        to.flush();
                    }
                }
            } catch (IOException ex) {
                // the program closed its end
            }
        }, "iommufd-sim-exec-pump");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory
        }
    }

    /** The default socket of `serve`: $XDG_RUNTIME_DIR/iommufd-sim.sock, else /tmp/iommufd-sim-USER.sock. */
    public static Path defaultSocket() {
        String run = System.getenv("XDG_RUNTIME_DIR");
        if (run != null && !run.isEmpty() && Files.isDirectory(Path.of(run))) {
            return Path.of(run, "iommufd-sim.sock");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "iommufd-sim-" + System.getProperty("user.name") + ".sock");
    }

    /** `serve`: listens until the JVM is stopped (Ctrl-C). */
    public static int serve(Machine machine, Path socket, boolean trace, PrintStream out, PrintStream err)
            throws IOException {
        return serve(machine, socket, trace, ServerOptions.DEFAULT_MAX_PLUGIN_TIME, out, err);
    }

    /** {@link #serve} with the bound on driver plugin calls ({@link ServerOptions#maxPluginTime}). */
    public static int serve(Machine machine, Path socket, boolean trace, java.time.Duration maxPluginTime, PrintStream out,
            PrintStream err) throws IOException {
        Path shim;
        try {
            shim = NativeShim.locate(null);
        } catch (IOException e) {
            shim = null;
            err.println("iommufd-sim serve: warning: " + e.getMessage());
        }
        SimServer server = SimServer.start(socket.toAbsolutePath(), machine, new ServerOptions(null, trace ? err : null, maxPluginTime, err));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        out.println("iommufd-sim: serving /dev/iommu on " + server.socket() + " (every open is a new context on one machine;"
                + " Ctrl-C stops)");
        for (String line : VfioCdevs.describe(machine)) {
            out.println("  " + line);
        }
        out.println("run programs with:");
        out.println("  LD_PRELOAD=" + (shim == null ? "native/" + NativeShim.SHIM : shim) + " " + ENV_SOCKET + "=" + server.socket()
                + " PROGRAM ...");
        out.flush();
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            server.close();
        }
        return 0;
    }
}
