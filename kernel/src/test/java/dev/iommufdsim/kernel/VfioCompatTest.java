package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.TestDrivers.MOCK_APERTURE_LAST;
import static dev.iommufdsim.kernel.TestDrivers.MOCK_APERTURE_START;
import static dev.iommufdsim.kernel.WorkedScriptTest.V;
import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_HUGE_PAGES;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_OP_GET;
import static dev.iommufdsim.kernel.uapi.Vfio.IOMMU_VFIO_IOAS_CLEAR;
import static dev.iommufdsim.kernel.uapi.Vfio.IOMMU_VFIO_IOAS_GET;
import static dev.iommufdsim.kernel.uapi.Vfio.IOMMU_VFIO_IOAS_SET;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_DMA_CC_IOMMU;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_DMA_MAP_FLAG_READ;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_DMA_MAP_FLAG_VADDR;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_DMA_MAP_FLAG_WRITE;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_DMA_UNMAP_FLAG_ALL;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_DMA_UNMAP_FLAG_VADDR;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_IOMMU_INFO_CAPS;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_IOMMU_INFO_PGSIZES;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_NOIOMMU_IOMMU;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_TYPE1_IOMMU;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_TYPE1v2_IOMMU;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_UNMAP_ALL;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_UPDATE_VADDR;
import static dev.iommufdsim.kernel.uapi.Vfio.__VFIO_RESERVED_TYPE1_NESTING_IOMMU;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * drivers/iommu/iommufd/vfio_compat.c: the selftest's VFIO compat cases (iommufd.simple_ioctls,
 * unmap_cmd, map_cmd, info_cmd, set_iommu_cmd, vfio_ioas and the vfio_compat_mock_domain
 * fixture in both variants), each check in the kernel's order with its errno.
 */
class VfioCompatTest {
    static final long P = 4096;
    static final int RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    static final long MAP_SZ = 32;
    static final long UNMAP_SZ = 24;

    /** The vfio_compat_mock_domain fixture: IOAS 1 with a mock device, set as compat IOAS, then SET_IOMMU. */
    static IommufdCtx fixture(long version) {
        IommufdCtx ctx = TestDrivers.machine().open();
        int ioas = ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(ioas, 0);
        ctx.vfioIoas(IOMMU_VFIO_IOAS_SET, ioas, 0);
        ctx.vfioSetIommu(version);
        return ctx;
    }

    @Test
    void simpleIoctlsAndExtensions() {
        IommufdCtx ctx = TestDrivers.machine().open();
        assertEquals(0, ctx.vfioGetApiVersion());
        assertEquals(1, ctx.vfioCheckExtension(VFIO_TYPE1v2_IOMMU));
        assertEquals(1, ctx.vfioCheckExtension(VFIO_TYPE1_IOMMU));
        assertEquals(1, ctx.vfioCheckExtension(VFIO_UNMAP_ALL));
        assertEquals(0, ctx.vfioCheckExtension(VFIO_NOIOMMU_IOMMU)); // CONFIG_VFIO_NOIOMMU off
        assertEquals(0, ctx.vfioCheckExtension(__VFIO_RESERVED_TYPE1_NESTING_IOMMU));
        assertEquals(0, ctx.vfioCheckExtension(VFIO_UPDATE_VADDR));
        assertEquals(0, ctx.vfioCheckExtension(0x1234));
        // DMA_CC_IOMMU asks the compat IOAS's HWPTs
        errno(ENODEV, () -> ctx.vfioCheckExtension(VFIO_DMA_CC_IOMMU));
        int ioas = ctx.ioasAlloc(0);
        ctx.vfioIoas(IOMMU_VFIO_IOAS_SET, ioas, 0);
        assertEquals(1, ctx.vfioCheckExtension(VFIO_DMA_CC_IOMMU));
        ctx.selftest().mockDomain(ioas, 0); // the mock domain does not enforce cache coherency
        assertEquals(0, ctx.vfioCheckExtension(VFIO_DMA_CC_IOMMU));
    }

    @Test
    void unmapCmd() {
        IommufdCtx ctx = TestDrivers.machine().open();
        errno(EINVAL, () -> ctx.vfioIommuUnmapDma(1, 0, MOCK_APERTURE_START, P));
        errno(EINVAL, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, 1 << 31, MOCK_APERTURE_START, P));
        errno(EINVAL, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, MOCK_APERTURE_START, P));
        errno(EINVAL, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, VFIO_DMA_UNMAP_FLAG_VADDR, MOCK_APERTURE_START, P));
        errno(ENODEV, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, MOCK_APERTURE_START, P));
        // UNMAP_ALL's iova/size check comes after the compat IOAS look-up
        errno(ENODEV, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, VFIO_DMA_UNMAP_FLAG_ALL, 1, 0));
    }

    @Test
    void mapCmd() {
        IommufdCtx ctx = TestDrivers.machine().open();
        errno(EINVAL, () -> ctx.vfioIommuMapDma(1, 0, V, MOCK_APERTURE_START, P));
        errno(EINVAL, () -> ctx.vfioIommuMapDma(MAP_SZ, 1 << 31, V, MOCK_APERTURE_START, P));
        errno(EINVAL, () -> ctx.vfioIommuMapDma(MAP_SZ, VFIO_DMA_MAP_FLAG_VADDR, V, MOCK_APERTURE_START, P));
        errno(ENODEV, () -> ctx.vfioIommuMapDma(MAP_SZ, RW, V, MOCK_APERTURE_START, P));
    }

    @Test
    void infoAndSetIommuCmd() {
        IommufdCtx ctx = TestDrivers.machine().open();
        errno(EINVAL, () -> ctx.vfioIommuGetInfo(1));
        errno(ENODEV, () -> ctx.vfioIommuGetInfo(24));
        errno(ENODEV, () -> ctx.vfioSetIommu(VFIO_TYPE1v2_IOMMU));
        errno(ENODEV, () -> ctx.vfioSetIommu(VFIO_TYPE1_IOMMU));
        // the type is checked before the compat IOAS
        errno(EINVAL, () -> ctx.vfioSetIommu(VFIO_NOIOMMU_IOMMU));
        errno(EINVAL, () -> ctx.vfioSetIommu(VFIO_UNMAP_ALL));
    }

    @Test
    void vfioIoas() {
        IommufdCtx ctx = TestDrivers.machine().open();
        errno(ENODEV, () -> ctx.vfioIoas(IOMMU_VFIO_IOAS_GET, 0, 0));
        errno(ENOENT, () -> ctx.vfioIoas(IOMMU_VFIO_IOAS_SET, 0, 0));
        int ioas = ctx.ioasAlloc(0);
        ctx.vfioIoas(IOMMU_VFIO_IOAS_SET, ioas, 0);
        assertEquals(ioas, ctx.vfioIoas(IOMMU_VFIO_IOAS_GET, 0, 0));
        ctx.vfioIoas(IOMMU_VFIO_IOAS_CLEAR, 0, 0);
        errno(ENODEV, () -> ctx.vfioIoas(IOMMU_VFIO_IOAS_GET, 0, 0));
        // __reserved before op; unknown op; SET needs an IOAS, not another object type
        errno(EOPNOTSUPP, () -> ctx.vfioIoas(7, 0, 1));
        errno(EOPNOTSUPP, () -> ctx.vfioIoas(3, 0, 0));
        var md = ctx.selftest().mockDomain(ioas, 0);
        errno(ENOENT, () -> ctx.vfioIoas(IOMMU_VFIO_IOAS_SET, md.outHwptId(), 0));
        // destroying the compat IOAS clears it (iommufd_object_remove)
        int other = ctx.ioasAlloc(0);
        ctx.vfioIoas(IOMMU_VFIO_IOAS_SET, other, 0);
        ctx.destroy(other);
        errno(ENODEV, () -> ctx.vfioIoas(IOMMU_VFIO_IOAS_GET, 0, 0));
        assertEquals(other, ctx.ioasAlloc(0)); // the ID is free again, and the new IOAS is not the compat one
        errno(ENODEV, () -> ctx.vfioIoas(IOMMU_VFIO_IOAS_GET, 0, 0));
    }

    @Test
    void compatIoasCreate() {
        IommufdCtx ctx = TestDrivers.machine().open();
        errno(ENODEV, ctx::vfioCompatIoasGetId);
        ctx.vfioCompatIoasCreate();
        assertEquals(1, ctx.vfioCompatIoasGetId());
        assertEquals(1, ctx.vfioIoas(IOMMU_VFIO_IOAS_GET, 0, 0));
        // a second group keeps the compat IOAS; the ID reserved for a new one is released
        ctx.vfioCompatIoasCreate();
        assertEquals(1, ctx.vfioCompatIoasGetId());
        assertEquals(2, ctx.ioasAlloc(0));
        ctx.vfioIoas(IOMMU_VFIO_IOAS_SET, 2, 0);
        ctx.vfioCompatIoasCreate();
        assertEquals(2, ctx.vfioCompatIoasGetId());
        assertEquals(3, ctx.ioasAlloc(0));
        // the auto-created IOAS is a user object: destroy works, and SET/CLEAR never destroy it
        ctx.destroy(1);
    }

    @ParameterizedTest
    @ValueSource(longs = {VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU})
    void optionHugePages(long version) {
        IommufdCtx ctx = fixture(version);
        assertEquals(version == VFIO_TYPE1_IOMMU ? 0 : 1, ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 1, 3, 0));
    }

    @Test
    void setIommuType1RefusedOnceDomainsHavePages() {
        IommufdCtx ctx = fixture(VFIO_TYPE1v2_IOMMU);
        ctx.vfioIommuMapDma(MAP_SZ, RW, V, MOCK_APERTURE_START, P);
        errno(EINVAL, () -> ctx.vfioSetIommu(VFIO_TYPE1_IOMMU));
        assertEquals(1, ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 1, 0, 0));
    }

    /** A user buffer of 0xAA bytes with the kernel's writes applied, as ioctl_check_buf() sees it. */
    static byte[] apply(IommufdCtx.VfioIommuInfo info, int bufSize) {
        byte[] buf = new byte[bufSize];
        Arrays.fill(buf, (byte) 0xAA);
        for (IommufdCtx.UserWrite w : info.userWrites()) {
            System.arraycopy(w.bytes(), 0, buf, (int) w.offset(), w.bytes().length);
        }
        return buf;
    }

    @ParameterizedTest
    @ValueSource(longs = {VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU})
    void getInfo(long version) {
        IommufdCtx ctx = fixture(version);
        // pre-cap ABI: only argsz, flags and iova_pgsizes are written
        var pre = ctx.vfioIommuGetInfo(16);
        byte[] buf = apply(pre, 256);
        assertTrue(pre.userWrites().stream().allMatch(w -> w.offset() + w.bytes().length <= 16));
        assertEquals(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, le(buf).getInt(4));
        // the mock's 2 KiB | 1 MiB pages count as PAGE_SIZE | 1 MiB (vfio_update_pgsize_bitmap)
        assertEquals(P | (1L << 20), le(buf).getLong(8));
        // the chain's size: dma_avail (12, aligned 16) + iova_range with one range (32)
        var sized = ctx.vfioIommuGetInfo(24);
        assertEquals(24 + 16 + 32, sized.argsz());
        assertEquals(0, sized.capOffset());
        assertEquals(List.of(new IovaRange(MOCK_APERTURE_START, MOCK_APERTURE_LAST)), sized.iovaRanges());
        long full = sized.argsz();
        for (int argsz = 24; argsz <= full; argsz++) {
            var info = ctx.vfioIommuGetInfo(argsz);
            byte[] b = apply(info, 256);
            for (int i = argsz; i < b.length; i++) {
                assertEquals((byte) 0xAA, b[i], "argsz " + argsz + ": byte " + i + " beyond argsz written");
            }
            assertEquals(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, le(b).getInt(4));
            assertEquals(full, Integer.toUnsignedLong(le(b).getInt(0)));
            if (argsz < full) {
                assertEquals(0, le(b).getInt(16), "argsz " + argsz);
                continue;
            }
            checkCapChain(b, argsz);
        }
    }

    /** check_vfio_info_cap_chain() of the selftest. */
    private static void checkCapChain(byte[] b, int argsz) {
        ByteBuffer bb = le(b);
        int cap = bb.getInt(16);
        assertEquals(24, cap);
        int seen = 0;
        while (true) {
            int id = bb.getShort(cap);
            int next = bb.getInt(cap + 4);
            int capSize = next != 0 ? next - cap : argsz - cap;
            assertEquals(1, bb.getShort(cap + 2)); // version
            if (id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
                assertEquals(1, bb.getInt(cap + 8));
                assertEquals(MOCK_APERTURE_START, bb.getLong(cap + 16));
                assertEquals(MOCK_APERTURE_LAST, bb.getLong(cap + 24));
            } else if (id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
                assertEquals(0xffffffffL, Integer.toUnsignedLong(bb.getInt(cap + 8)));
                assertEquals(16, capSize); // sizeof(dma_avail) 12, aligned to u64
            } else {
                throw new AssertionError("unknown cap id " + id);
            }
            seen++;
            if (next == 0) {
                break;
            }
            assertTrue(next > cap && next + 8 <= argsz);
            cap = next;
        }
        assertEquals(2, seen);
    }

    @Test
    void getInfoWithoutDomainHasTheWholeSpace() {
        IommufdCtx ctx = TestDrivers.machine().open();
        ctx.vfioCompatIoasCreate();
        var info = ctx.vfioIommuGetInfo(200);
        assertEquals(List.of(new IovaRange(0, -1L)), info.iovaRanges());
        assertEquals(~(P - 1), info.iovaPgsizes()); // ULONG_MAX, sub-page bits folded into PAGE_SIZE
        assertEquals(24, info.capOffset());
        // the written struct: argsz = the chain's size, cap_offset 24; the dma_avail cap's next points at iova_range
        byte[] b = apply(info, 200);
        assertEquals(72, le(b).getInt(0));
        assertEquals(40, le(b).getInt(24 + 4));
        assertEquals(0, le(b).getInt(40 + 4));
    }

    @ParameterizedTest
    @ValueSource(longs = {VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU})
    void map(long version) {
        IommufdCtx ctx = fixture(version);
        long bufSize = 16 * P;
        ctx.vfioIommuMapDma(MAP_SZ, RW, V, MOCK_APERTURE_START, bufSize);
        assertEquals(bufSize, ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, MOCK_APERTURE_START, bufSize));
        assertEquals(0, ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, MOCK_APERTURE_START, bufSize)); // unmap of empty is success
        ctx.vfioIommuMapDma(MAP_SZ, RW, V, MOCK_APERTURE_START, bufSize);
        IommufdException e = errno(EINVAL, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, VFIO_DMA_UNMAP_FLAG_ALL, MOCK_APERTURE_START, bufSize));
        assertNull(e.partialOutput()); // refused before the unmap: nothing copied back
        assertEquals(bufSize, ctx.vfioIommuUnmapDma(UNMAP_SZ, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0));
        // small pages, unmapped in random order
        List<Long> iovas = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            iovas.add(MOCK_APERTURE_START + i * P);
            ctx.vfioIommuMapDma(MAP_SZ, RW, V + i * P, MOCK_APERTURE_START + i * P, P);
        }
        Collections.shuffle(iovas, new Random(7));
        for (long iova : iovas) {
            assertEquals(P, ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, iova, P));
        }
        assertEquals(0, ctx.vfioIommuUnmapDma(UNMAP_SZ, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0));
    }

    @Test
    void mapDmaRules() {
        IommufdCtx ctx = fixture(VFIO_TYPE1v2_IOMMU);
        // flags 0: no READ/WRITE check as in IOAS_MAP, but the domain's page table refuses it
        // after the area was inserted, which goes again (the 7.2 oracle: EINVAL)
        errno(EINVAL, () -> ctx.vfioIommuMapDma(MAP_SZ, 0, V, MOCK_APERTURE_START, P));
        assertEquals(0, ctx.getIoas(1).iopt().areaCount());
        // the IOAS's own checks come first
        ctx.vfioIommuMapDma(MAP_SZ, RW, V, MOCK_APERTURE_START, P);
        errno(EEXIST, () -> ctx.vfioIommuMapDma(MAP_SZ, 0, V, MOCK_APERTURE_START, P));
        ctx.vfioIommuUnmapDma(UNMAP_SZ, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0);
        // without a domain the area stays, with IOMMU_CACHE only
        IommufdCtx bare = TestDrivers.machine().open();
        bare.vfioCompatIoasCreate();
        bare.vfioIommuMapDma(MAP_SZ, 0, V, P, P);
        assertEquals(Area.IOMMU_CACHE, bare.getIoas(1).iopt().areaAt(P).iommuProt());
        // and then no mock domain can join such an IOAS: iopt_fill_domain() -> map_pages refuses the area
        IommufdCtx late = TestDrivers.machine().open();
        late.vfioCompatIoasCreate();
        late.vfioIommuMapDma(MAP_SZ, 0, V, MOCK_APERTURE_START, P);
        errno(EINVAL, () -> late.selftest().mockDomain(1, 0));
        assertEquals(1, late.getIoas(1).iopt().areaCount());
        // always a fixed IOVA: outside the aperture is refused, no IOVA is chosen
        errno(EINVAL, () -> ctx.vfioIommuMapDma(MAP_SZ, RW, V, 0, P));
        errno(EINVAL, () -> ctx.vfioIommuMapDma(MAP_SZ, RW, V, MOCK_APERTURE_START + P, 0));
        errno(EOVERFLOW, () -> ctx.vfioIommuMapDma(MAP_SZ, RW, -P, MOCK_APERTURE_START + P, 2 * P));
    }

    /** huge_map without hugetlb memory: type1 cuts a mapping into pieces, type1v2 refuses (ENOENT). */
    @ParameterizedTest
    @ValueSource(longs = {VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU})
    void unmapInsideAMapping(long version) {
        IommufdCtx ctx = fixture(version);
        long bufSize = 4L << 20;
        ctx.vfioIommuMapDma(MAP_SZ, RW, V, MOCK_APERTURE_START, bufSize);
        long piece = bufSize / 16;
        List<Long> iovas = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            iovas.add(MOCK_APERTURE_START + i * piece);
        }
        Collections.shuffle(iovas, new Random(3));
        for (long iova : iovas) {
            if (version == VFIO_TYPE1_IOMMU) {
                assertEquals(piece, ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, iova, piece));
            } else {
                IommufdException e = errno(ENOENT, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, iova, piece));
                assertEquals(0L, e.partialOutput());
            }
        }
        assertEquals(version == VFIO_TYPE1_IOMMU ? 0 : 1, ctx.getIoas(1).iopt().areaCount());
    }

    @Test
    void type1CutKeepsTheRest() {
        IommufdCtx ctx = fixture(VFIO_TYPE1_IOMMU);
        ctx.vfioIommuMapDma(MAP_SZ, RW, V, MOCK_APERTURE_START, 8 * P);
        assertEquals(2 * P, ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, MOCK_APERTURE_START + 3 * P, 2 * P));
        List<Area> left = ctx.getIoas(1).iopt().areas();
        assertEquals(2, left.size());
        assertEquals(MOCK_APERTURE_START + 3 * P - 1, left.get(0).last());
        assertEquals(MOCK_APERTURE_START + 5 * P, left.get(1).iova());
        assertEquals(V + 5 * P, left.get(1).userVa(left.get(1).iova())); // same pages, shifted
        // a cut off the IOAS alignment: EINVAL, nothing copied back, nothing unmapped
        IommufdException e = errno(EINVAL, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, MOCK_APERTURE_START + 0x800, P));
        assertNull(e.partialOutput());
        assertEquals(2, ctx.getIoas(1).iopt().areaCount());
    }

    @Test
    void failedUnmapReportsWhatWasUnmapped() {
        IommufdCtx ctx = fixture(VFIO_TYPE1v2_IOMMU);
        ctx.vfioIommuMapDma(MAP_SZ, RW, V, MOCK_APERTURE_START, 2 * P);
        ctx.vfioIommuMapDma(MAP_SZ, RW, V + 2 * P, MOCK_APERTURE_START + 2 * P, 2 * P);
        // the first area is inside, the second only partly: ENOENT after unmapping 2 pages, which stay unmapped
        IommufdException e = errno(ENOENT, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, MOCK_APERTURE_START, 3 * P));
        assertEquals(2 * P, e.partialOutput());
        assertEquals(1, ctx.getIoas(1).iopt().areaCount());
        // iopt_unmap_iova's own checks also copy size (0) back
        assertEquals(0L, errno(EINVAL, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, MOCK_APERTURE_START, 0)).partialOutput());
        assertEquals(0L, errno(EOVERFLOW, () -> ctx.vfioIommuUnmapDma(UNMAP_SZ, 0, -P, 2 * P)).partialOutput());
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }
}
