package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The time bound on driver plugin calls on the server's connections (serve/exec), with the real
 * broken-test plugin jar's loop mode (its hw_info spins, deaf to interrupts, until healed): the
 * ioctl is answered -EIO after the bound, the server's stderr names plugin and hook, the plugin
 * is disabled, and the connection and the other connections go on.
 */
class ServerPluginContainmentTest {
    @TempDir
    Path dir;

    private static final int IOAS_ALLOC = 0x3b81;
    private static final int GET_HW_INFO = 0x3b8a;

    private static byte[] words(int... w) {
        ByteBuffer b = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : w) {
            b.putInt(x);
        }
        return b.array();
    }

    /** struct iommu_hw_info {size 40, flags 0, dev_id, data_len 0, data_uptr 0, ...}. */
    private static byte[] hwInfo(int devId) {
        return ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 40).putInt(8, devId).array();
    }

    private static void misbehave(Machine m, String hook, String mode) throws ReflectiveOperationException {
        IommuInstance ops = m.iommu("b0").ops();
        ops.getClass().getMethod("misbehave", String.class, String.class).invoke(ops, hook, mode);
    }

    @Test
    void aDriverCallThatNeverReturnsOnAConnectionIsAnsweredEioAndItsPluginDisabled() throws Exception {
        Path jar = TestPaths.root().resolve("target/test-plugins/broken-test.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: build it with mvn -o -pl plugins/broken-test package");
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(jar, plugins.resolve("broken-test.jar"));
        PluginHost host = PluginHost.load(List.of(plugins));
        Machine m = ExecCommand.machine(host, KernelProfile.MAINLINE);
        m.declareIommu("b0", "broken", Map.of());
        PhysDevice d0 = m.declareDevice("d0", "b0", "0000:01:00.0", null, Map.of());
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        ServerOptions so = new ServerOptions(null, null, Duration.ofMillis(300), err);
        try (SimServer s = SimServer.start(dir.resolve("s.sock"), m, so);
                ShimClient c = new ShimClient(s.socket());
                ShimClient other = new ShimClient(s.socket())) {
            // the program's context, with the broken driver's device bound in it (as a VMM's VFIO cdev bind would)
            assertEquals(0, c.call(IOAS_ALLOC, 0x1000, words(12, 0, 0), 77));
            int devId;
            MachineLock lock = MachineLock.of(m);
            lock.lock();
            try {
                IommufdCtx ctx = m.contexts().get(0);
                devId = ctx.vfioDeviceBind(d0, 0);
            } finally {
                lock.unlock();
            }
            assertEquals(0, c.call(GET_HW_INFO, 0x1000, hwInfo(devId), 77), "hw_info answers while the plugin behaves");
            misbehave(m, "hw_info", "loop");

            long t0 = System.nanoTime();
            assertEquals(-5, c.call(GET_HW_INFO, 0x1000, hwInfo(devId), 77), "EIO");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 300 && ms < 2000, "answered after " + ms + " ms");
            String said = errBytes.toString(StandardCharsets.UTF_8);
            assertTrue(said.startsWith("iommufd-sim: plugin broken-test: hw_info did not return within 0.3 s; plugin disabled;"
                    + " IOMMU_GET_HW_INFO of connection 1 (pid 77) answered EIO"), said);
            assertEquals("DISABLED", host.plugins().get(0).state());

            // The connection goes on (a fresh thread serves it), so do the others: the machine's lock is free.
            assertEquals(0, c.call(IOAS_ALLOC, 0x1000, words(12, 0, 0), 77));
            assertEquals(0, other.call(IOAS_ALLOC, 0x1000, words(12, 0, 0), 77));
            // The plugin is not called again: EIO at once.
            t0 = System.nanoTime();
            assertEquals(-5, c.call(GET_HW_INFO, 0x1000, hwInfo(devId), 77));
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 250, "a disabled plugin answers at once");
            assertEquals(1, said.lines().count(), said);

            // The loop ends: the abandoned thread parks for good instead of coming back into the kernel.
            Thread stuck = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("iommufd-sim-ctx-1"))
                    .findFirst().orElseThrow();
            misbehave(m, "none", "");
            long deadline = System.currentTimeMillis() + 5000;
            while (stuck.getState() != Thread.State.WAITING && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(Thread.State.WAITING, stuck.getState());
            assertEquals(0, c.call(IOAS_ALLOC, 0x1000, words(12, 0, 0), 77), "the connection is still served");
        }
    }
}
