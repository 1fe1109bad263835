package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.server.FakeProcess.Struct;
import java.util.List;
import org.junit.jupiter.api.Test;

/** iommufd_viommu.viommu_alloc_with_data through the dispatcher: the mock vIOMMU's mmap page. */
class MmapIoTest {
    private static final long S = 0x7000_0000_0000L;
    private static final long DATA = 0x7000_0010_0000L;
    private static final long MAP = 0x7100_0000_0000L;
    private static final int PROT_RW = 3;
    private static final int MAP_SHARED = 1;

    @Test
    void viommuPageIsMappedOnlyExactlyAndHoldsTheVIommu() {
        PluginHost plugins = PluginHost.load(List.of(TestPaths.pluginsDir()));
        Machine m = ExecCommand.machine(plugins, KernelProfile.MAINLINE);
        FakeProcess p = new FakeProcess().map(S, 0x2000, true).map(DATA, 0x1000, true).map(MAP, 0x2000, true);
        IommufdCtx ctx = m.open();
        IoctlDispatcher d = new IoctlDispatcher(ctx, new ServerOptions(new GapLog(), null));
        p.put(S, new Struct(12).bytes());
        assertEquals(0, d.ioctl(0x3b81, S, p)); // IOAS_ALLOC
        int ioas = p.u32(S + 8);
        p.put(S, new Struct(72).u32(4, 2).u32(8, ioas).bytes());
        assertEquals(0, d.ioctl(0x3ba0, S, p)); // MOCK_DOMAIN
        int idev = p.u32(S + 24);
        p.put(S, new Struct(48).u32(4, 1).u32(8, idev).u32(12, ioas).bytes()); // HWPT_ALLOC NEST_PARENT
        assertEquals(0, d.ioctl(0x3b89, S, p));
        int parent = p.u32(S + 16);
        p.put(DATA, new Struct(24).u32(0, 0xbeef).bytes());
        // VIOMMU_ALLOC {size, flags, type, dev_id, hwpt_id, out_viommu_id, data_len, __reserved, data_uptr}
        p.put(S, new Struct(40).u32(8, 0xdeadbeef).u32(12, idev).u32(16, parent).u32(24, 24).u64(32, DATA).bytes());
        assertEquals(0, d.ioctl(0x3b90, S, p));
        int viommu = p.u32(S + 20);
        long off = p.u64(DATA + 8);
        long len = p.u64(DATA + 16);
        assertEquals(0x2000, len);

        assertEquals(-6, d.mmap(MAP, len, off + 4096, PROT_RW, MAP_SHARED, p)); // ENXIO
        assertEquals(-6, d.mmap(MAP, len / 2, off, PROT_RW, MAP_SHARED, p));
        assertEquals(-22, d.mmap(MAP, len, off, PROT_RW, 2, p)); // MAP_PRIVATE: EINVAL
        assertEquals(-1, d.mmap(MAP, len, off, PROT_RW | 4, MAP_SHARED, p)); // PROT_EXEC: EPERM
        assertEquals(-22, d.mmap(MAP, len, off + 1, PROT_RW, MAP_SHARED, p)); // unaligned offset
        long id = d.mmap(MAP, len, off, PROT_RW, MAP_SHARED, p);
        assertTrue(id > 0);
        assertEquals(0xbeef, p.u32(MAP)); // the loopback page
        p.put(S, new Struct(8).u32(4, viommu).bytes());
        assertEquals(-16, d.ioctl(0x3b80, S, p)); // DESTROY while mapped: EBUSY
        d.munmap((int) id);
        assertEquals(0, d.ioctl(0x3b80, S, p));
    }
}
