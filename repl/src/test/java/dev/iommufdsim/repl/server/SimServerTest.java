package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wire protocol as the shim speaks it (native/shim/protocol.h), from a Java client. */
class SimServerTest {
    @TempDir
    Path dir;

    private static byte[] le(int... words) {
        ByteBuffer b = ByteBuffer.allocate(4 * words.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : words) {
            b.putInt(w);
        }
        return b.array();
    }

    @Test
    void eachConnectionIsAContextDrivenByRequests() throws Exception {
        Machine m = ExecCommand.machine(PluginHost.load(List.of(TestPaths.pluginsDir())), KernelProfile.MAINLINE);
        try (SimServer s = SimServer.start(dir.resolve("s.sock"), m, ServerOptions.defaults())) {
            for (int round = 0; round < 2; round++) {
                try (ShimClient c = new ShimClient(s.socket())) {
                    // IOAS_ALLOC with the struct prefetched: the server only writes it back
                    c.ioctl(0x3b81, 0x1000, le(12, 0, 0));
                    ByteBuffer w = c.recv(Wire.S_WRITE);
                    assertEquals(0x1000, w.getLong(0));
                    byte[] back = new byte[12];
                    w.position(8).get(back);
                    assertArrayEquals(le(12, 0, 1), back); // out_ioas_id 1 in a fresh context
                    c.send(Wire.R_OK, new byte[0]);
                    assertEquals(0, c.recv(Wire.S_DONE).getLong(0));
                    // DESTROY with nothing prefetched: the server reads, the read faults
                    c.ioctl(0x3b80, 0x2000, new byte[0]);
                    ByteBuffer r = c.recv(Wire.S_READ);
                    assertEquals(0x2000, r.getLong(0));
                    assertEquals(4, r.getInt(8));
                    c.send(Wire.R_FAULT, new byte[0]);
                    assertEquals(-14, c.recv(Wire.S_DONE).getLong(0));
                    // a queue fd the server never gave is ignored; an unknown ioctl is ENOTTY
                    c.send(Wire.T_CLOSEFD, le(42));
                    c.ioctl(0x5401, 0, new byte[0]); // TCGETS
                    assertEquals(-25, c.recv(Wire.S_DONE).getLong(0));
                }
            }
            long deadline = System.currentTimeMillis() + 5000;
            while (!m.contexts().isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(10); // the contexts close when the connections end
            }
            assertEquals(0, m.contexts().size());
            assertEquals(2, s.opened());
        }
    }

    /** A struct with its size field, little-endian words from offset 4 on, and u64s at given offsets. */
    private static byte[] struct(int size, int op, int id, long... u64AtOffsetValue) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, size).putInt(4, op).putInt(8, id);
        for (int i = 0; i < u64AtOffsetValue.length; i += 2) {
            b.putLong((int) u64AtOffsetValue[i], u64AtOffsetValue[i + 1]);
        }
        return b.array();
    }

    @Test
    void aClosedContextsPinsAreGoneForTheNextCheck() throws Exception {
        // the selftest's teardown: close(fd), open("/dev/iommu"), MD_CHECK_REFS refs 0 at once
        Machine m = ExecCommand.machine(PluginHost.load(List.of(TestPaths.pluginsDir())), KernelProfile.MAINLINE);
        int pid = 4242;
        long buf = 0x7f0000000000L;
        try (SimServer s = SimServer.start(dir.resolve("s.sock"), m, ServerOptions.defaults())) {
            for (int round = 0; round < 20; round++) {
                ShimClient c1 = new ShimClient(s.socket());
                c1.ioctl(0x3b81, 0x1000, le(12, 0, 0), pid); // IOAS_ALLOC
                assertEquals(0, c1.drive());
                c1.ioctl(0x3ba0, 0x1000, struct(72, 2, 1), pid); // MOCK_DOMAIN on IOAS 1
                assertEquals(0, c1.drive());
                // IOAS_MAP {flags FIXED|WRITEABLE|READABLE, ioas 1, user_va, length, iova}: pinned
                c1.ioctl(0x3b85, 0x1000, struct(40, 7, 1, 16, buf, 24, 0x1000, 32, 0x1000000), pid);
                assertEquals(0, c1.drive());
                ShimClient c2 = new ShimClient(s.socket());
                byte[] check = struct(72, 4, 0, 16, 0x1000, 24, buf); // MD_CHECK_REFS refs 0
                MachineLock lock = MachineLock.of(m);
                lock.lock();
                try {
                    // both the end of c1 and the check on c2 wait for the machine: either may go first
                    c1.close();
                    c2.ioctl(0x3ba0, 0x1000, check, pid);
                    Thread.sleep(round % 2 == 0 ? 0 : 20);
                } finally {
                    lock.unlock();
                }
                assertEquals(0, c2.drive());
                c2.close();
            }
        }
    }

    @Test
    void vmStatAnswersTheEmulatorsPinnedVm() throws Exception {
        // what the shim asks when the program opens /proc/PID/status (VmPin, VmLck)
        Machine m = ExecCommand.machine(PluginHost.load(List.of(TestPaths.pluginsDir())), KernelProfile.MAINLINE);
        int pid = (int) ProcessHandle.current().pid(); // a real process: its CapEff and limits are read
        long buf = 0x7f0000000000L;
        try (SimServer s = SimServer.start(dir.resolve("s.sock"), m, ServerOptions.defaults()); ShimClient c = new ShimClient(s.socket())) {
            c.send(Wire.T_VMSTAT, le(pid));
            ByteBuffer none = c.recv(Wire.S_DONE);
            assertEquals(16, none.remaining());
            assertEquals(0, none.getLong(0));
            c.ioctl(0x3b81, 0x1000, le(12, 0, 0), pid); // IOAS_ALLOC
            assertEquals(0, c.drive());
            c.ioctl(0x3ba0, 0x1000, struct(72, 2, 1), pid); // MOCK_DOMAIN on IOAS 1
            assertEquals(0, c.drive());
            c.ioctl(0x3b85, 0x1000, struct(40, 7, 1, 16, buf, 24, 0x3000, 32, 0x1000000), pid); // IOAS_MAP 3 pages
            assertEquals(0, c.drive());
            c.send(Wire.T_VMSTAT, le(pid));
            ByteBuffer st = c.recv(Wire.S_DONE);
            assertEquals(12, st.getLong(0), "pinned_vm in kB: charged in every mode");
            assertEquals(0, st.getLong(8), "locked_vm: only RLIMIT_MODE 1 charges the mm");
            c.send(Wire.T_VMSTAT, le(pid + 1)); // another process: nothing
            assertEquals(0, c.recv(Wire.S_DONE).getLong(0));
        }
    }

    /**
     * A VFIO device file's connection: T_VFIO_OPEN names the cdev, BIND_IOMMUFD asks the shim
     * which iommufd the program's fd is (S_IOMMUFD, the number T_WHO tells), and the bound device
     * keeps the context alive after the iommufd's connection ended, until the device file's does.
     */
    @Test
    @org.junit.jupiter.api.Timeout(30)
    void aDeviceFileBindsToAnIommufdByItsNumberAndHoldsItsContext() throws Exception {
        Machine m = ExecCommand.machine(PluginHost.load(List.of(TestPaths.pluginsDir())), KernelProfile.MAINLINE);
        m.declareIommu("smmu0", "arm_smmuv3", java.util.Map.of());
        dev.iommufdsim.kernel.PhysDevice nic = m.declareDevice("nic0", "smmu0", "0000:01:00.0", null, java.util.Map.of());
        try (SimServer s = SimServer.start(dir.resolve("s.sock"), m, ServerOptions.defaults())) {
            ShimClient iommufd = new ShimClient(s.socket());
            iommufd.send(Wire.T_WHO, new byte[0]);
            ByteBuffer who = iommufd.recv(Wire.S_DONE);
            assertEquals(Wire.KIND_IOMMUFD, who.getInt(0));
            int number = who.getInt(4);
            try (ShimClient none = new ShimClient(s.socket())) {
                none.send(Wire.T_VFIO_OPEN, le(1, 0)); // vfio1: the machine has one device
                assertEquals(-2, none.recv(Wire.S_DONE).getLong(0));
            }
            ShimClient df = new ShimClient(s.socket());
            df.send(Wire.T_VFIO_OPEN, le(0, 0));
            assertEquals(0, df.recv(Wire.S_DONE).getLong(0));
            df.send(Wire.T_WHO, new byte[0]);
            assertEquals(Wire.KIND_VFIO, df.recv(Wire.S_DONE).getInt(0));
            // VFIO_DEVICE_BIND_IOMMUFD {argsz 24, flags 0, iommufd 3}
            df.ioctl(VfioDeviceFile.VFIO_DEVICE_BIND_IOMMUFD, 0x1000, le(24, 0, 3, 0, 0, 0));
            assertEquals(3, df.recv(Wire.S_IOMMUFD).getInt(0));
            // meanwhile the iommufd's connection has a close of a queue fd to handle (it takes
            // the machine lock) before the shim's T_WHO: the bind must not hold the lock now
            iommufd.send(Wire.T_CLOSEFD, le(42));
            iommufd.send(Wire.T_WHO, new byte[0]);
            assertEquals(number, iommufd.recv(Wire.S_DONE).getInt(4));
            df.send(Wire.R_FD, le(number));
            ByteBuffer w = df.recv(Wire.S_WRITE);
            assertEquals(0x100c, w.getLong(0));
            assertEquals(1, w.getInt(8)); // out_devid
            df.send(Wire.R_OK, new byte[0]);
            assertEquals(0, df.recv(Wire.S_DONE).getLong(0));
            assertEquals(1, m.contexts().size());
            // the program closes the iommufd: the bound device still holds the context
            iommufd.close();
            Thread.sleep(200);
            assertEquals(1, m.contexts().size());
            assertEquals(1, nic.boundTo().id());
            // closing the device file unbinds, and releases the context with it
            df.close();
            long deadline = System.currentTimeMillis() + 5000;
            while (!m.contexts().isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, m.contexts().size());
            assertEquals(null, nic.boundTo());
        }
    }
}
