package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.ObjType;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.server.FakeProcess.Struct;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The VFIO device file's ioctls (drivers/vfio/device_cdev.c, vfio_main.c, vfio_pci_core.c of
 * 7.2) against an in-memory process: the order of the checks and their errnos, the copy-backs,
 * and that a failed call leaves nothing bound or attached.
 */
class VfioDeviceFileTest {
    private static final int EBADF = 9;
    private static final int ENOENT = 2;
    private static final int EFAULT = 14;
    private static final int EINVAL = 22;
    private static final int ENOTTY = 25;
    private static final int E2BIG = 7;
    private static final int EBADFD = 77;

    private static final int BIND = VfioDeviceFile.VFIO_DEVICE_BIND_IOMMUFD;
    private static final int ATTACH = VfioDeviceFile.VFIO_DEVICE_ATTACH_IOMMUFD_PT;
    private static final int DETACH = VfioDeviceFile.VFIO_DEVICE_DETACH_IOMMUFD_PT;
    private static final int GET_INFO = VfioDeviceFile.VFIO_DEVICE_GET_INFO;

    private static final long S = 0x7000_0000_0000L;
    /** A read-only page: the copy-backs fail there. */
    private static final long RO = 0x7100_0000_0000L;
    private static final long UNMAPPED = 0x7200_0000_0000L;
    /** The program's iommufd (number 1 on the server) and a descriptor of another file. */
    private static final int IOMMUFD = 3;
    private static final int OTHER_FILE = 5;

    private static PluginHost plugins;
    private FakeProcess p;
    private GapLog gaps;
    private PhysDevice nic;
    private IommufdCtx ctx;
    private TestFile file;
    private VfioDeviceFile df;

    /** An iommufd as a device file holds it. */
    private static final class TestFile implements VfioDeviceFile.IommufdFile {
        final IommufdCtx ctx;
        int refs;

        TestFile(IommufdCtx ctx) {
            this.ctx = ctx;
        }

        @Override
        public IommufdCtx ctx() {
            return ctx;
        }

        @Override
        public void get() {
            refs++;
        }

        @Override
        public void put() {
            refs--;
        }

        @Override
        public void lend(UserAccess caller) {
        }
    }

    @BeforeAll
    static void loadPlugins() {
        plugins = PluginHost.load(List.of(TestPaths.pluginsDir()));
    }

    @BeforeEach
    void open() {
        Machine m = ExecCommand.machine(plugins, KernelProfile.MAINLINE);
        m.declareIommu("smmu0", "arm_smmuv3", Map.of());
        nic = m.declareDevice("nic0", "smmu0", "0000:01:00.0", null, Map.of());
        ctx = m.open();
        file = new TestFile(ctx);
        p = new FakeProcess().map(S, 0x2000, true).map(RO, 0x1000, false);
        p.iommufds.put(IOMMUFD, 1);
        p.files.put(OTHER_FILE, dev.iommufdsim.kernel.MappedFile.of(new dev.iommufdsim.kernel.MappedFile.Id(0, 5, 42), 4096, true));
        gaps = new GapLog();
        df = newFile();
    }

    private VfioDeviceFile newFile() {
        return new VfioDeviceFile(nic, 0, n -> n == 1 ? file : null, new ServerOptions(gaps, null), d -> { });
    }

    private long call(VfioDeviceFile f, int cmd, Struct s) {
        p.put(S, s.bytes());
        return f.ioctl(cmd, S, p);
    }

    /** struct vfio_device_bind_iommufd {argsz, flags, iommufd, out_devid, token_uuid_ptr}. */
    private static Struct bind(int argsz, int flags, int iommufd) {
        return new Struct(Math.max(argsz, 24)).u32(0, argsz).u32(4, flags).u32(8, iommufd);
    }

    private boolean noDeviceObject() {
        return ctx.objectList().stream().noneMatch(o -> o.type() == ObjType.DEVICE);
    }

    @Test
    void beforeBindEveryCallIsEinval() {
        assertEquals(-EINVAL, call(df, ATTACH, new Struct(16).u32(0, 16).u32(8, 1)));
        assertEquals(-EINVAL, call(df, DETACH, new Struct(12).u32(0, 12)));
        assertEquals(-EINVAL, call(df, GET_INFO, new Struct(24).u32(0, 24)));
        assertEquals(-EINVAL, call(df, 0x3b6e, new Struct(16))); // VFIO_DEVICE_RESET: still EINVAL, not ENOTTY
        assertTrue(gaps.gaps().isEmpty());
    }

    @Test
    void bindChecksInTheKernelsOrder() {
        assertEquals(-EFAULT, df.ioctl(BIND, UNMAPPED, p)); // get_user(argsz)
        assertEquals(-EINVAL, call(df, BIND, bind(15, 0, IOMMUFD))); // argsz < offsetofend(out_devid)
        assertEquals(-E2BIG, call(df, BIND, bind(32, 0, IOMMUFD).u32(28, 1))); // copy_struct_from_user's tail
        assertEquals(-EINVAL, call(df, BIND, bind(24, 0, -1)));
        assertEquals(-EINVAL, call(df, BIND, bind(24, 2, IOMMUFD)));
        // a VF token: read (EFAULT), then refused: nic0 is neither a PF nor a VF
        assertEquals(-EFAULT, call(df, BIND, bind(24, 1, IOMMUFD).u64(16, UNMAPPED)));
        assertEquals(-EINVAL, call(df, BIND, bind(24, 1, 42).u64(16, S + 0x1000)));
        // iommufd_ctx_from_fd()
        assertEquals(-EBADF, call(df, BIND, bind(24, 0, 42)));
        assertEquals(-EBADFD, call(df, BIND, bind(24, 0, OTHER_FILE)));
        assertNull(nic.boundTo());
        assertTrue(noDeviceObject());
        assertEquals(0, file.refs);
    }

    @Test
    void bindWritesOutDevidAndHoldsTheIommufd() {
        assertEquals(0, call(df, BIND, bind(16, 0, IOMMUFD))); // the 6.x size without token_uuid_ptr
        assertNotNull(nic.boundTo());
        assertEquals(nic.boundTo().id(), p.u32(S + 12));
        assertEquals(1, file.refs);
        // the same file again: EINVAL before the iommufd is looked at
        assertEquals(-EINVAL, call(df, BIND, bind(24, 0, 42)));
        // another open of the device: the iommufd is looked at first, then vfio_df_open() refuses
        VfioDeviceFile other = newFile();
        assertEquals(-EBADF, call(other, BIND, bind(24, 0, 42)));
        assertEquals(-EINVAL, call(other, BIND, bind(24, 0, IOMMUFD)));
        assertEquals(1, file.refs);
        df.release();
        assertNull(nic.boundTo());
        assertTrue(noDeviceObject());
        assertEquals(0, file.refs);
        assertEquals(0, call(other, BIND, bind(24, 0, IOMMUFD)));
    }

    @Test
    void aFailedCopyOfOutDevidUnbinds() {
        p.put(RO, bind(24, 0, IOMMUFD).bytes()); // readable, not writable
        assertEquals(-EFAULT, df.ioctl(BIND, RO, p));
        assertNull(nic.boundTo());
        assertTrue(noDeviceObject());
        assertEquals(0, file.refs);
        assertEquals(-EINVAL, call(df, GET_INFO, new Struct(24).u32(0, 24))); // still not bound
    }

    @Test
    void attachAndDetach() {
        assertEquals(0, call(df, BIND, bind(24, 0, IOMMUFD)));
        int devId = p.u32(S + 12);
        int ioas = ctx.ioasAlloc(0);
        assertEquals(-EFAULT, df.ioctl(ATTACH, UNMAPPED, p));
        assertEquals(-EINVAL, call(df, ATTACH, new Struct(16).u32(0, 11).u32(8, ioas)));
        assertEquals(-EINVAL, call(df, ATTACH, new Struct(16).u32(0, 16).u32(4, 2).u32(8, ioas)));
        assertEquals(-EINVAL, call(df, ATTACH, new Struct(16).u32(0, 12).u32(4, 1).u32(8, ioas))); // PASID needs argsz 16
        assertEquals(-ENOENT, call(df, ATTACH, new Struct(16).u32(0, 16).u32(8, 999)));
        assertTrue(nic.boundTo().id() == devId);
        // attached: pt_id is the automatic domain's HWPT
        assertEquals(0, call(df, ATTACH, new Struct(12).u32(0, 12).u32(8, ioas)));
        int hwpt = p.u32(S + 8);
        assertEquals(ObjType.HWPT_PAGING, ctx.object(hwpt).type());
        // a failed copy-back of pt_id detaches again: the automatic domain goes with it
        p.put(RO, new Struct(12).u32(0, 12).u32(8, ioas).bytes());
        int ioas2 = ctx.ioasAlloc(0);
        p.put(RO, new Struct(12).u32(0, 12).u32(8, ioas2).bytes());
        assertEquals(-EFAULT, df.ioctl(ATTACH, RO, p));
        // detach
        assertEquals(-EFAULT, df.ioctl(DETACH, UNMAPPED, p));
        assertEquals(-EINVAL, call(df, DETACH, new Struct(12).u32(0, 7)));
        assertEquals(-EINVAL, call(df, DETACH, new Struct(12).u32(0, 12).u32(4, 2)));
        assertEquals(-EINVAL, call(df, DETACH, new Struct(12).u32(0, 8).u32(4, 1))); // PASID needs argsz 12
        assertEquals(0, call(df, DETACH, new Struct(8).u32(0, 8)));
        assertEquals(0, call(df, DETACH, new Struct(8).u32(0, 8))); // nothing attached: still 0
        assertEquals(0, call(df, ATTACH, new Struct(12).u32(0, 12).u32(8, ioas)));
        df.release(); // detaches and unbinds
        assertTrue(noDeviceObject());
        ctx.destroy(ioas); // nothing holds the IOAS any more
    }

    @Test
    void aFailedCopyBackOfAPasidAttachDetachesTheRidAsTheKernelDoes() {
        assertEquals(0, call(df, BIND, bind(24, 0, IOMMUFD)));
        int devId = nic.boundTo().id();
        int ioas = ctx.ioasAlloc(0);
        int hwpt = ctx.hwptAlloc(dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_PASID, devId, ioas, 0, new byte[0], 0, 0);
        assertEquals(0, call(df, ATTACH, new Struct(12).u32(0, 12).u32(8, hwpt)));
        p.put(RO, new Struct(16).u32(0, 16).u32(4, 1).u32(8, hwpt).u32(12, 5).bytes());
        assertEquals(-EFAULT, df.ioctl(ATTACH, RO, p));
        // vfio_df_ioctl_attach_pt()'s out_detach is detach_ioas() even for a PASID attach:
        // the RID is detached and PASID 5 stays attached
        assertEquals(java.util.Set.of(5), nic.boundTo().vfioAttachedPasids());
        assertEquals(0, call(df, DETACH, new Struct(12).u32(0, 12).u32(4, 1).u32(8, 5)));
        assertTrue(nic.boundTo().vfioAttachedPasids().isEmpty());
    }

    @Test
    void aPasidAttachBeyondIntMaxIsEnospcFromTheIda() {
        assertEquals(0, call(df, BIND, bind(24, 0, IOMMUFD)));
        int devId = nic.boundTo().id();
        int ioas = ctx.ioasAlloc(0);
        int hwpt = ctx.hwptAlloc(dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_PASID, devId, ioas, 0, new byte[0], 0, 0);
        // vfio_iommufd_physical_pasid_attach_ioas(): ida_alloc_range(&vdev->pasids, pasid, pasid)
        // refuses a min above INT_MAX with ENOSPC before iommufd_device_attach() is called
        assertEquals(-dev.iommufdsim.kernel.uapi.Errno.ENOSPC.number(),
                call(df, ATTACH, new Struct(16).u32(0, 16).u32(4, 1).u32(8, hwpt).u32(12, 0x8000_0000)));
        assertTrue(nic.boundTo().vfioAttachedPasids().isEmpty());
        // detaching it is a silent no-op (ida_exists() is false)
        assertEquals(0, call(df, DETACH, new Struct(12).u32(0, 12).u32(4, 1).u32(8, 0x8000_0000)));
    }

    @Test
    void aPasidAttachOfPasidZeroIsTheIdasNotIommufdAttached() {
        assertEquals(0, call(df, BIND, bind(24, 0, IOMMUFD)));
        int ioas = ctx.ioasAlloc(0);
        // the PASID flag with IOMMU_NO_PASID: the ida takes 0, iommufd_device_attach() attaches the RID
        assertEquals(0, call(df, ATTACH, new Struct(16).u32(0, 16).u32(4, 1).u32(8, ioas).u32(12, 0)));
        assertEquals(java.util.Set.of(0), nic.boundTo().vfioAttachedPasids());
        // iommufd_attached is false: a RID attach is an attach, and the core finds the RID taken
        assertEquals(-dev.iommufdsim.kernel.uapi.Errno.EBUSY.number(), call(df, ATTACH, new Struct(12).u32(0, 12).u32(8, ioas)));
        // and a RID detach detaches nothing
        assertEquals(0, call(df, DETACH, new Struct(8).u32(0, 8)));
        assertEquals(java.util.Set.of(0), nic.boundTo().vfioAttachedPasids());
        // the PASID detach of 0 does
        assertEquals(0, call(df, DETACH, new Struct(12).u32(0, 12).u32(4, 1).u32(8, 0)));
        assertTrue(nic.boundTo().vfioAttachedPasids().isEmpty());
        df.release();
        assertTrue(noDeviceObject());
    }

    @Test
    void getInfoOfAVfioPciDevice() {
        assertEquals(0, call(df, BIND, bind(24, 0, IOMMUFD)));
        assertEquals(-EINVAL, call(df, GET_INFO, new Struct(24).u32(0, 15)));
        assertEquals(0, call(df, GET_INFO, new Struct(24).u32(0, 16).u32(16, 0xdead)));
        assertEquals(16, p.u32(S));
        assertEquals(VfioDeviceFile.VFIO_DEVICE_FLAGS_PCI | VfioDeviceFile.VFIO_DEVICE_FLAGS_RESET, p.u32(S + 4));
        assertEquals(9, p.u32(S + 8));
        assertEquals(5, p.u32(S + 12));
        assertEquals(0xdead, p.u32(S + 16)); // argsz 16: cap_offset not written
        assertEquals(0, call(df, GET_INFO, new Struct(32).u32(0, 32).u32(16, 0xdead).u32(24, 0xbeef)));
        assertEquals(0, p.u32(S + 16));
        assertEquals(0xbeef, p.u32(S + 24)); // only sizeof(struct vfio_device_info) is written
    }

    @Test
    void unmodelledRequestsAreEnottyAndCounted() {
        assertEquals(0, call(df, BIND, bind(24, 0, IOMMUFD)));
        assertEquals(-ENOTTY, call(df, 0x3b6c, new Struct(32).u32(0, 32))); // VFIO_DEVICE_GET_REGION_INFO
        assertEquals(-ENOTTY, call(df, 0x3b6c, new Struct(32).u32(0, 32)));
        assertEquals(Map.of("vfio device ioctl nr 108", 2), gaps.gaps());
    }

    /** Random bytes in every struct, bound or not: answers, never an exception, never an emulator error. */
    @Test
    void malformedStructsNeverBreakTheServer() {
        java.util.Random r = new java.util.Random(11);
        int ioas = ctx.ioasAlloc(0);
        int[] cmds = {BIND, ATTACH, DETACH, GET_INFO, 0x3b6e};
        int[] fds = {IOMMUFD, OTHER_FILE, 42, -1};
        long[] pointers = {0, S, S + 0x1000, RO, UNMAPPED, -1L};
        java.util.Map<String, Integer> succeeded = new java.util.TreeMap<>();
        for (int i = 0; i < 4000; i++) {
            if (i % 500 == 0) {
                df.release();
                df = newFile();
            }
            int cmd = cmds[r.nextInt(cmds.length)];
            Struct s = new Struct(48);
            for (int k = 0; k < 48; k++) {
                s.u8(k, r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(4));
            }
            s.u32(0, r.nextInt(3) == 0 ? r.nextInt(64) : new int[] {8, 12, 16, 24, 32}[r.nextInt(5)]);
            s.u32(4, new int[] {0, 0, 0, 1, 2, r.nextInt()}[r.nextInt(6)]); // flags
            if (cmd == BIND) {
                s.u32(8, fds[r.nextInt(fds.length)]);
                s.u64(16, r.nextInt(2) == 0 ? 0 : pointers[r.nextInt(pointers.length)]);
            } else if (cmd == ATTACH && r.nextBoolean()) {
                s.u32(8, ioas);
            }
            long rc = r.nextInt(10) == 0 ? df.ioctl(cmd, pointers[r.nextInt(pointers.length)], p) : call(df, cmd, s);
            assertTrue(rc <= 0, VfioDeviceFile.name(cmd) + " returned " + rc);
            if (rc == 0) {
                succeeded.merge(VfioDeviceFile.name(cmd), 1, Integer::sum);
            }
        }
        assertEquals("{}", gaps.bugs().toString());
        // the random calls got past the checks too: every ioctl succeeded now and then
        assertEquals(4, succeeded.size(), succeeded.toString());
    }
}
