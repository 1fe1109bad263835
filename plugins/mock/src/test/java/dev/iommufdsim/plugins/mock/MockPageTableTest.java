package dev.iommufdsim.plugins.mock;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_APERTURE_START;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_PAGE_SIZE;
import static dev.iommufdsim.plugins.mock.MockIommuTest.errno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.DirtyBitmap;
import dev.iommufdsim.kernel.spi.IoPageTable;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The mock domain's IOPTEs and dirty bits (generic_pt's AMDv1 mock format, selftest.c's
 * dirty ops). The expected records are what the 7.2 kernel oracle reported for the same
 * mappings (native/examples/dirty-bitmap.expected): 4 KiB pages are two 2 KiB items and
 * report their first item, a 2 MiB page is two 1 MiB items and reports its first.
 */
class MockPageTableTest {
    static final long BASE = MOCK_APERTURE_START;
    static final long K2 = MOCK_PAGE_SIZE;
    static final long M1 = 1L << 20;

    private static final int RW = ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE;

    private final IoPageTable t = new IoPageTable(MockInstance.MOCK_PT_FORMAT);

    private List<long[]> read(long iova, long size, long flags) {
        List<long[]> out = new ArrayList<>();
        t.readAndClearDirty(iova, size, flags, (va, len) -> out.add(new long[] {va - BASE, len}));
        return out;
    }

    private static String str(List<long[]> records) {
        StringBuilder b = new StringBuilder();
        for (long[] r : records) {
            b.append(String.format("[+0x%x 0x%x]", r[0], r[1]));
        }
        return b.toString();
    }

    /** IOMMU_OPTION_HUGE_PAGES off: 4 KiB at a time, each a contiguous entry of two items. */
    @Test
    void smallPagesReportTheirFirstItem() {
        for (long off = 0; off < 64 * 1024; off += 4096) {
            t.map(BASE + off, 4096, 1, RW);
        }
        t.setDirty(BASE + K2); // item 1: the second half of the first 4K page
        t.setDirty(BASE + 4 * K2);
        assertEquals("[+0x0 0x800][+0x2000 0x800]", str(read(BASE, 64 * 1024, 0))); // oracle: "test_dirty 1,4 / get: bits 0,4"
        assertEquals("", str(read(BASE, 64 * 1024, 0)));
        t.setDirty(BASE + 2 * K2);
        t.setDirty(BASE + 3 * K2); // both items of one page: still one record
        assertEquals("[+0x1000 0x800]", str(read(BASE, 64 * 1024, DirtyBitmap.IOMMU_DIRTY_NO_CLEAR)));
        assertEquals("[+0x1000 0x800]", str(read(BASE, 64 * 1024, 0)));
        assertEquals("", str(read(BASE, 64 * 1024, 0)));
        // a range ending inside a page is cut at its end (pts->end_index)
        t.setDirty(BASE + 31 * K2);
        assertEquals("[+0xf000 0x800]", str(read(BASE + 60 * 1024, 4096, 0)));
        // the whole entry's dirty bits count, also those of items past the range
        t.setDirty(BASE + 31 * K2);
        assertEquals("[+0xf000 0x800]", str(read(BASE + 60 * 1024, 2048, 0)));
        assertEquals("", str(read(BASE, 64 * 1024, 0)));
    }

    /** The default page table over 2 MiB of hugetlb memory: one 2 MiB entry of two 1 MiB items. */
    @Test
    void twoMegabytePageReportsItsFirstMegabyte() {
        t.map(BASE, 2 * M1, 1, RW);
        assertEquals(1, t.leafCount());
        t.setDirty(BASE + 600 * K2); // oracle: "huge: test_dirty 600 / get: bits 0-511"
        assertEquals("[+0x0 0x100000]", str(read(BASE, 2 * M1, 0)));
        t.setDirty(BASE);
        // starting on the entry's last item: a zero-length record (record_dirty's index arithmetic)
        assertEquals("[+0x100000 0x0]", str(read(BASE + M1, M1, 0)));
        assertEquals("", str(read(BASE, 2 * M1, 0)));
    }

    /** MOCK_IOMMUPT_HUGE: 1 MiB leaves are single items, reported whole from where the walk is. */
    @Test
    void hugePagesAreSingleItems() {
        t.map(BASE, M1, 2, RW);
        t.setDirty(BASE + 3 * K2);
        t.setDirty(BASE + 600 * K2);
        assertEquals("[+0x0 0x100000][+0x100000 0x100000]", str(read(BASE, 2 * M1, DirtyBitmap.IOMMU_DIRTY_NO_CLEAR)));
        // a read starting inside the leaf reports 1 MiB from there, past the range read
        assertEquals("[+0x2000 0x100000]", str(read(BASE + 8192, 8192, 0)));
        assertEquals("[+0x100000 0x100000]", str(read(BASE, 2 * M1, 0)));
    }

    @Test
    void setDirtyOnUnmappedIovaAndUnmap() {
        assertEquals(ENOENT, errno(() -> t.setDirty(BASE)));
        t.map(BASE, 4096, 4, RW);
        t.setDirty(BASE + 4096);
        t.unmap(BASE, 4 * 4096);
        assertEquals(0, t.leafCount());
        t.map(BASE, 4096, 4, RW);
        assertEquals("", str(read(BASE, 4 * 4096, 0))); // the new IOPTEs are clean
    }

    /** mock_domain_set_dirty_tracking() and the selftest's gate on MOCK_DIRTY_TRACK. */
    @Test
    void dirtyOpsOfTheInstance() {
        MockInstance iommu = (MockInstance) new MockIommuDriver().probe("mock_iommu", Map.of());
        DeviceInfo dev = new DeviceInfo("mock0", null, Map.of("dev_flags", 0L));
        PagingDomain d = iommu.domainAllocPagingFlags(dev, Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, new byte[0]);
        PagingDomain plain = iommu.domainAllocPagingFlags(dev, 0, 0, new byte[0]);
        assertTrue(d.dirtyTracking());
        assertFalse(iommu.selftestCanSetDirty(d));
        assertEquals(EINVAL, errno(() -> iommu.setDirtyTracking(plain, true)));
        iommu.setDirtyTracking(d, true);
        assertTrue(iommu.selftestCanSetDirty(d));
        iommu.mapPages(d, BASE, 0x400000000000L, 4096, 2, 3);
        iommu.selftestSetDirty(d, BASE + 4096 + K2);
        List<long[]> out = new ArrayList<>();
        iommu.readAndClearDirty(d, BASE, 8192, 0, (va, len) -> out.add(new long[] {va - BASE, len}));
        assertEquals("[+0x1000 0x800]", str(out));
        iommu.setDirtyTracking(d, false);
        assertFalse(iommu.selftestCanSetDirty(d));
        assertEquals(EOPNOTSUPP, errno(() -> new dev.iommufdsim.kernel.spi.IommuInstance() {
            @Override
            public dev.iommufdsim.kernel.spi.IommuDriver driver() {
                return null;
            }

            @Override
            public List<dev.iommufdsim.kernel.spi.ResvRegion> getResvRegions(DeviceInfo dev) {
                return List.of();
            }

            @Override
            public dev.iommufdsim.kernel.spi.DeviceCaps capabilities(DeviceInfo dev) {
                return null;
            }

            @Override
            public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
                return null;
            }

            @Override
            public dev.iommufdsim.kernel.spi.HwInfo hwInfo(DeviceInfo dev, int requestedType) {
                return null;
            }
        }.setDirtyTracking(d, true))); // a driver without dirty_ops
    }
}
