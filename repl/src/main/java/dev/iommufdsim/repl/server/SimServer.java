package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.DriverCallWatch;
import dev.iommufdsim.kernel.Machine;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The emulated /dev/iommu as a UNIX socket: each connection (an open() through the shim) is
 * a fresh iommufd context on one shared {@link Machine}; calls on all contexts are
 * serialized on the machine ({@link MachineLock}), as one kernel serves every process.
 *
 * <p>Driver plugin calls are bounded as in the script hosts ({@link DriverCallWatch}): each
 * connection runs on a watched thread, and a watch thread looks at every connection now and
 * then; a driver call still running after {@link ServerOptions#maxPluginTime} is abandoned, its
 * plugin disabled, the machine's lock taken back from the stuck thread, the call in flight
 * answered -EIO, and the connection served on by a fresh thread. The server's stderr says so.
 */
public final class SimServer implements AutoCloseable {
    private final Path socket;
    private final Machine machine;
    private final ServerOptions opts;
    private final PrintStream trace;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    /** The live connections and the thread serving each (replaced when one is abandoned). */
    private final Map<ShimConnection, Watched> live = new ConcurrentHashMap<>();
    /** The live connections by number (T_WHO): a device's BIND finds its iommufd here. */
    private final Map<Integer, ShimConnection> byNumber = new ConcurrentHashMap<>();
    private final Thread watcher;
    private final AtomicInteger opened = new AtomicInteger();
    private volatile boolean closing;

    private SimServer(Path socket, Machine machine, ServerOptions opts) throws IOException {
        this.socket = socket;
        this.machine = machine;
        this.opts = opts;
        this.trace = opts.trace();
        Files.deleteIfExists(socket); // a stale socket of an earlier server
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        this.acceptor = new Thread(this::acceptLoop, "iommufd-sim-accept");
        acceptor.setDaemon(true);
        this.watcher = new Thread(this::watchLoop, "iommufd-sim-watch");
        watcher.setDaemon(true);
    }

    /** A connection's serving thread and the driver call last seen running on it (the watch thread's own). */
    private static final class Watched {
        final int number;
        volatile Thread thread;
        DriverCallWatch.Call seen;
        long seenAt;

        Watched(int number) {
            this.number = number;
        }
    }

    /**
     * Listens on socket (replacing a stale socket file there).
     *
     * @param machine the machine every context opens on, its drivers registered (the selftest
     *                mock driver for IOMMU_TEST_CMD)
     */
    public static SimServer start(Path socket, Machine machine, ServerOptions opts) throws IOException {
        SimServer s = new SimServer(socket, machine, opts == null ? ServerOptions.defaults() : opts);
        s.acceptor.start();
        if (!s.opts.maxPluginTime().isZero()) {
            s.watcher.start();
        }
        return s;
    }

    public Path socket() {
        return socket;
    }

    public GapLog gaps() {
        return opts.gaps();
    }

    /** How many opens of /dev/iommu (and of VFIO device cdevs) the server has served. */
    public int opened() {
        return opened.get();
    }

    private void acceptLoop() {
        while (!closing) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closing && trace != null) {
                    trace.println("iommufd-sim: accept: " + e.getMessage());
                }
                return;
            }
            int n = opened.incrementAndGet();
            ShimConnection c = new ShimConnection(ch, machine, opts, n, byNumber::get);
            Watched w = new Watched(n);
            live.put(c, w);
            byNumber.put(n, c);
            startThread(c, w, c::run, "iommufd-sim-ctx-" + n);
        }
    }

    /** Serves a connection on a watched thread (a daemon: an abandoned one may never end). */
    private void startThread(ShimConnection c, Watched w, Runnable body, String name) {
        Thread t = DriverCallWatch.newThread(() -> {
            try {
                body.run();
            } finally {
                if (live.remove(c, w)) {
                    byNumber.remove(w.number, c);
                }
            }
        }, name, 0);
        w.thread = t;
        t.start();
    }

    /** Every twentieth of the bound (at most 0.1 s): gives up on driver calls that ran for the whole bound. */
    private void watchLoop() {
        long bound = opts.maxPluginTime().toNanos();
        long poll = Math.max(1, Math.min(100, bound / 20_000_000));
        while (!closing) {
            try {
                Thread.sleep(poll);
            } catch (InterruptedException e) {
                return;
            }
            for (Map.Entry<ShimConnection, Watched> e : live.entrySet()) {
                Watched w = e.getValue();
                Thread t = w.thread;
                DriverCallWatch watch = t == null ? null : DriverCallWatch.of(t);
                DriverCallWatch.Call call = watch == null ? null : watch.running();
                long now = System.nanoTime();
                if (call == null || w.seen == null || call.stamp() != w.seen.stamp()) {
                    w.seen = call;
                    w.seenAt = now;
                } else if (now - w.seenAt >= bound && watch.abandon(call)) {
                    abandoned(e.getKey(), w, t, call);
                }
            }
        }
    }

    /**
     * A connection's thread is stuck in a driver call (DriverCallWatch.abandon succeeded): as
     * Sim does for a script, disable the plugin and say so; then take the machine's lock back
     * from the thread, and let a fresh thread answer the call -EIO and serve the connection on.
     */
    private void abandoned(ShimConnection c, Watched w, Thread stuck, DriverCallWatch.Call call) {
        stuck.interrupt(); // a plugin that waits or sleeps may return; the thread then parks for good
        String id = call.plugin().pluginId();
        String why = call.hook() + " did not return within " + dev.iommufdsim.repl.host.Limits.seconds(opts.maxPluginTime());
        call.plugin().disable(why);
        opts.err().println("iommufd-sim: plugin " + id + ": " + why + "; plugin disabled; " + c.inFlight() + " of connection " + w.number
                + " (pid " + c.pid() + ") answered EIO (the call was abandoned where it stood and may still be running: what it"
                + " had changed in the kernel is not undone)");
        opts.err().flush();
        MachineLock.of(machine).breakFrom(stuck);
        startThread(c, w, c::resumeAfterAbandon, "iommufd-sim-ctx-" + w.number + "-resumed");
    }

    @Override
    public void close() {
        closing = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        watcher.interrupt();
        for (ShimConnection c : live.keySet()) {
            c.shutdown();
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // a temporary directory's cleanup takes it
        }
    }
}
