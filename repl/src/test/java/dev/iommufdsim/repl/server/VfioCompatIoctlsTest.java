package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.repl.server.FakeProcess.Struct;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The decoding of IOMMU_VFIO_IOAS and the VFIO type1 ioctls on the iommufd (vfio_compat.c)
 * against an in-memory process: integer arguments, argsz instead of size, the copy-backs and
 * where a fault stops them.
 */
class VfioCompatIoctlsTest extends DispatcherFixture {
    private static final int ENOENT = 2;
    private static final int EFAULT = 14;
    private static final int ENODEV = 19;
    private static final int EINVAL = 22;
    private static final int ENOTTY = 25;
    private static final int EOPNOTSUPP = 95;

    private static final int VFIO_GET_API_VERSION = 0x3b64;
    private static final int VFIO_CHECK_EXTENSION = 0x3b65;
    private static final int VFIO_SET_IOMMU = 0x3b66;
    private static final int VFIO_IOMMU_GET_INFO = 0x3b70;
    private static final int VFIO_IOMMU_MAP_DMA = 0x3b71;
    private static final int VFIO_IOMMU_UNMAP_DMA = 0x3b72;
    private static final int VFIO_IOMMU_DIRTY_PAGES = 0x3b75;
    private static final long MOCK_APERTURE_START = 0x1000000;
    private static final long MOCK_APERTURE_LAST = 0x7fffffff;

    private static final long BUF = 0x7f00_0000_0000L;
    private static final long BUF_SIZE = 16 * 4096;

    @BeforeEach
    void open() {
        open(new FakeProcess().map(BUF, BUF_SIZE, true));
    }

    /** IOMMU_VFIO_IOAS {size 12, ioas_id, op, __reserved}. */
    private long vfioIoas(int op, int ioasId) {
        return iommufd(0x88, new Struct(12).u32(4, ioasId).u16(8, op));
    }

    /** The vfio_compat_mock_domain fixture: IOAS 1 with a mock device, the compat IOAS, type1v2. */
    private void fixture() {
        assertEquals(0, iommufd(0x81, new Struct(12)));
        assertEquals(1, p.u32(S + 8));
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 2).u32(8, 1)));
        assertEquals(0, vfioIoas(1, 1));
        assertEquals(0, d.ioctl(VFIO_SET_IOMMU, 3, p));
    }

    private static Struct dmaMap(long vaddr, long iova, long size) {
        return new Struct(32).u32(4, 3).u64(8, vaddr).u64(16, iova).u64(24, size);
    }

    private static Struct dmaUnmap(int flags, long iova, long size) {
        return new Struct(24).u32(4, flags).u64(8, iova).u64(16, size);
    }

    @Test
    void integerArgumentsAndUnknownRequests() {
        assertEquals(0, d.ioctl(VFIO_GET_API_VERSION, 0, p)); // VFIO_API_VERSION
        assertEquals(1, d.ioctl(VFIO_CHECK_EXTENSION, 3, p)); // VFIO_TYPE1v2_IOMMU
        assertEquals(1, d.ioctl(VFIO_CHECK_EXTENSION, 9, p)); // VFIO_UNMAP_ALL
        assertEquals(0, d.ioctl(VFIO_CHECK_EXTENSION, 8, p)); // VFIO_NOIOMMU_IOMMU
        assertEquals(-ENODEV, d.ioctl(VFIO_CHECK_EXTENSION, 4, p)); // VFIO_DMA_CC_IOMMU needs the compat IOAS
        assertEquals(-ENODEV, d.ioctl(VFIO_SET_IOMMU, 3, p));
        assertEquals(-EINVAL, d.ioctl(VFIO_SET_IOMMU, 8, p));
        assertEquals(-ENOTTY, d.ioctl(VFIO_IOMMU_DIRTY_PAGES, S, p));
        assertEquals(-ENOTTY, d.ioctl(0x3b63, S, p));
        assertEquals(-ENOTTY, d.ioctl(0x80003b64, 0, p)); // _IOR(';', 100, ...): not VFIO_GET_API_VERSION
        // the struct calls read from arg: a bad pointer is EFAULT before any check
        assertEquals(-EFAULT, d.ioctl(VFIO_IOMMU_MAP_DMA, 0, p));
        assertEquals(-EFAULT, d.ioctl(VFIO_IOMMU_UNMAP_DMA, 3, p));
        assertEquals(-EFAULT, d.ioctl(VFIO_IOMMU_GET_INFO, 0x1000, p));
        assertEquals("{}", gaps.gaps().toString());
    }

    @Test
    void vfioIoasCopiesBackOnlyForGet() {
        assertEquals(-ENODEV, vfioIoas(0, 0));
        assertEquals(-ENOENT, vfioIoas(1, 0));
        assertEquals(-EOPNOTSUPP, iommufd(0x88, new Struct(12).u16(8, 0).u16(10, 1)));
        assertEquals(-EOPNOTSUPP, vfioIoas(3, 0));
        assertEquals(0, iommufd(0x81, new Struct(12)));
        int ioas = p.u32(S + 8);
        assertEquals(0, vfioIoas(1, ioas));
        assertEquals(0, iommufd(0x88, new Struct(12).u32(4, 0x55).u16(8, 2)));
        assertEquals(0x55, p.u32(S + 4)); // CLEAR writes nothing back
        assertEquals(-ENODEV, vfioIoas(0, 0x77));
        assertEquals(0x77, p.u32(S + 4));
        assertEquals(0, vfioIoas(1, ioas));
        assertEquals(0, vfioIoas(0, 0x77));
        assertEquals(ioas, p.u32(S + 4));
    }

    @Test
    void mapAndUnmapDma() {
        assertEquals(-EINVAL, ioctl(VFIO_IOMMU_MAP_DMA, dmaMap(BUF, MOCK_APERTURE_START, 4096).u32(0, 1)));
        assertEquals(-EINVAL, ioctl(VFIO_IOMMU_MAP_DMA, dmaMap(BUF, MOCK_APERTURE_START, 4096).u32(4, 1 << 31)));
        assertEquals(-ENODEV, ioctl(VFIO_IOMMU_MAP_DMA, dmaMap(BUF, MOCK_APERTURE_START, 4096)));
        assertEquals(-EINVAL, ioctl(VFIO_IOMMU_UNMAP_DMA, dmaUnmap(1, MOCK_APERTURE_START, 4096))); // GET_DIRTY_BITMAP
        assertEquals(-ENODEV, ioctl(VFIO_IOMMU_UNMAP_DMA, dmaUnmap(0, MOCK_APERTURE_START, 4096)));
        fixture();
        assertEquals(0, ioctl(VFIO_IOMMU_MAP_DMA, dmaMap(BUF, MOCK_APERTURE_START, BUF_SIZE)));
        // UNMAP copies argsz..size (24 bytes) back with size = the bytes unmapped; the bitmap area stays
        byte[] tail = new byte[8];
        Arrays.fill(tail, (byte) 0xaa);
        p.put(S + 24, tail);
        assertEquals(0, ioctl(VFIO_IOMMU_UNMAP_DMA, dmaUnmap(0, MOCK_APERTURE_START, BUF_SIZE)));
        assertEquals(BUF_SIZE, p.u64(S + 16));
        assertEquals(0xaaaaaaaaaaaaaaaaL, p.u64(S + 24));
        assertEquals(0, ioctl(VFIO_IOMMU_UNMAP_DMA, dmaUnmap(0, MOCK_APERTURE_START, BUF_SIZE)));
        assertEquals(0, p.u64(S + 16)); // unmap of nothing succeeds with size 0
        // a failed unmap still writes size back: one area of two unmapped, then ENOENT
        assertEquals(0, ioctl(VFIO_IOMMU_MAP_DMA, dmaMap(BUF, MOCK_APERTURE_START, 2 * 4096)));
        assertEquals(0, ioctl(VFIO_IOMMU_MAP_DMA, dmaMap(BUF + 0x2000, MOCK_APERTURE_START + 0x2000, 2 * 4096)));
        assertEquals(-ENOENT, ioctl(VFIO_IOMMU_UNMAP_DMA, dmaUnmap(0, MOCK_APERTURE_START, 3 * 4096)));
        assertEquals(2 * 4096, p.u64(S + 16));
        // UNMAP_ALL's iova/size check is before the unmap: nothing written back
        assertEquals(-EINVAL, ioctl(VFIO_IOMMU_UNMAP_DMA, dmaUnmap(2, MOCK_APERTURE_START, 0)));
        assertEquals(0, p.u64(S + 16));
        assertEquals(0, ioctl(VFIO_IOMMU_UNMAP_DMA, dmaUnmap(2, 0, 0)));
        assertEquals(2 * 4096, p.u64(S + 16));
        // pinning asks the process: unmapped memory is EFAULT
        assertEquals(-EFAULT, ioctl(VFIO_IOMMU_MAP_DMA, dmaMap(0x1000_0000, MOCK_APERTURE_START, 4096)));
    }

    @Test
    void getInfoLaysOutTheCapChain() {
        fixture();
        byte[] fill = new byte[0x2000];
        Arrays.fill(fill, (byte) 0xaa);
        // pre-cap ABI: argsz 16, only 16 bytes written
        p.put(S, fill);
        p.put(S, new Struct(4).u32(0, 16).bytes());
        assertEquals(0, d.ioctl(VFIO_IOMMU_GET_INFO, S, p));
        assertEquals(72, p.u32(S)); // argsz: the size that holds every cap
        assertEquals(3, p.u32(S + 4)); // PGSIZES | CAPS
        assertTrue(p.u64(S + 8) != 0);
        assertEquals(0xaaaaaaaaaaaaaaaaL, p.u64(S + 16));
        // the full chain: dma_avail at 24 (next 40), iova_range at 40 with the aperture
        p.put(S, fill);
        p.put(S, new Struct(4).u32(0, 72).bytes());
        assertEquals(0, d.ioctl(VFIO_IOMMU_GET_INFO, S, p));
        assertEquals(24, p.u32(S + 16)); // cap_offset
        assertEquals(0, p.u32(S + 20)); // pad
        assertEquals(3 | 1 << 16, p.u32(S + 24)); // DMA_AVAIL, version 1
        assertEquals(40, p.u32(S + 28));
        assertEquals(0xffffffff, p.u32(S + 32));
        assertEquals(1 | 1 << 16, p.u32(S + 40)); // IOVA_RANGE, version 1
        assertEquals(0, p.u32(S + 44));
        assertEquals(1, p.u32(S + 48)); // nr_iovas
        assertEquals(MOCK_APERTURE_START, p.u64(S + 56));
        assertEquals(MOCK_APERTURE_LAST, p.u64(S + 64));
        assertEquals(0xaaaaaaaaaaaaaaaaL, p.u64(S + 72));
        // a buffer running off mapped memory: the dma_avail cap is written, the range faults, the struct is not
        long at = S + 0x2000 - 40;
        p.put(at, new Struct(40).u32(0, 200).bytes());
        assertEquals(-EFAULT, d.ioctl(VFIO_IOMMU_GET_INFO, at, p));
        assertEquals(200, p.u32(at));
        assertEquals(3 | 1 << 16, p.u32(at + 24));
    }

    /** Random argsz, flags and pointers on every compat request: answers, never an emulator error. */
    @Test
    void malformedStructsNeverBreakTheServer() {
        fixture();
        Random r = new Random(11);
        int[] cmds = {VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA,
            VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_DIRTY_PAGES};
        long[] values = {0, 1, 3, 4096, BUF, MOCK_APERTURE_START, -1L, BUF_SIZE, 0x7fffe000};
        for (int i = 0; i < 3000; i++) {
            int cmd = cmds[r.nextInt(cmds.length)];
            Struct s = new Struct(40).u32(0, r.nextInt(3) == 0 ? r.nextInt(300) : new int[] {16, 24, 32, 72}[r.nextInt(4)])
                    .u32(4, r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(4));
            for (int off = 8; off < 40; off += 8) {
                s.u64(off, values[r.nextInt(values.length)] + (r.nextInt(4) == 0 ? r.nextInt(0x3000) : 0));
            }
            long arg = cmd <= VFIO_SET_IOMMU ? r.nextInt(12) : r.nextInt(8) == 0 ? 0 : S;
            p.put(S, s.bytes());
            long rc = d.ioctl(cmd, arg, p);
            assertTrue(rc <= 1, "0x" + Integer.toHexString(cmd) + " returned " + rc);
        }
        assertEquals("{}", gaps.bugs().toString());
    }
}
