package dev.iommufdsim.repl.server;

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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The emulated /dev/iommu as a UNIX socket: each connection (an open() through the shim) is
 * a fresh iommufd context on one shared {@link Machine}; calls on all contexts are
 * serialized on the machine, as one kernel serves every process.
 */
public final class SimServer implements AutoCloseable {
    private final Path socket;
    private final Machine machine;
    private final ServerOptions opts;
    private final PrintStream trace;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final Set<ShimConnection> live = ConcurrentHashMap.newKeySet();
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
        return s;
    }

    public Path socket() {
        return socket;
    }

    public GapLog gaps() {
        return opts.gaps();
    }

    /** How many opens of /dev/iommu the server has served. */
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
            opened.incrementAndGet();
            ShimConnection c = new ShimConnection(ch, machine, opts);
            live.add(c);
            Thread t = new Thread(() -> {
                try {
                    c.run();
                } finally {
                    live.remove(c);
                }
            }, "iommufd-sim-ctx-" + opened.get());
            t.setDaemon(true);
            t.start();
        }
    }

    @Override
    public void close() {
        closing = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (ShimConnection c : live) {
            c.shutdown();
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // a temporary directory's cleanup takes it
        }
    }
}
