package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.V;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_HUGE_PAGES;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_OP_SET;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP and IOMMU_TEST_OP_DIRTY: the
 * kernel's checks in its order with its errno (hw_pagetable.c, io_pagetable.c, selftest.c),
 * the IOVA bitmap (iova_bitmap.c) and what iommufd tells the driver. The driver here is the
 * test mock, which reports each dirty leaf whole; the selftest mock's own page table is
 * tested in the mock plugin.
 */
class DirtyTrackingTest {
    static final long BASE = TestDrivers.MOCK_APERTURE_START;
    static final long K2 = 2048;
    static final long LEN = 64 * 1024;

    private final IommufdCtx ctx = TestDrivers.machine().open();
    private final int ioas = ctx.ioasAlloc(0);
    private final Selftest.MockDomain mock = ctx.selftest().mockDomain(ioas, 0);

    DirtyTrackingTest() {
        ctx.ioasMap(ioas, FIXED, V, LEN, BASE, 0);
    }

    private int dirtyHwpt() {
        return ctx.hwptAlloc(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, mock.outIdevId(), ioas, 0, null, 0, 0);
    }

    /** IOMMU_TEST_OP_DIRTY of these 2 KiB pages (indexes from BASE); returns out_nr_dirty. */
    private long markDirty(int hwpt, long... pages) {
        byte[] bits = new byte[(int) (LEN / K2 / 8)];
        for (long i : pages) {
            bits[(int) (i / 8)] |= (byte) (1 << (i % 8));
        }
        return ctx.selftest().dirty(hwpt, BASE, LEN, K2, 0x1000, n -> java.util.Arrays.copyOf(bits, (int) n));
    }

    private List<IovaRange> get(int hwpt, int flags, long iova, long length, long pageSize) {
        return ctx.hwptGetDirtyBitmap(hwpt, flags, 0, iova, length, pageSize, 0x1000).dirtyRanges();
    }

    private static List<IovaRange> pages(long... twoK) {
        List<IovaRange> out = new ArrayList<>();
        for (long i : twoK) {
            out.add(new IovaRange(BASE + i * K2, BASE + (i + 1) * K2 - 1));
        }
        return out;
    }

    /** iommufd_hwpt_set_dirty_tracking(): flags, lookup, then dirty_ops. */
    @Test
    void setDirtyTrackingChecksInKernelOrder() {
        int plain = ctx.hwptAlloc(0, mock.outIdevId(), ioas, 0, null, 0, 0);
        int hwpt = dirtyHwpt();
        errno(EOPNOTSUPP, () -> ctx.hwptSetDirtyTracking(2, 9999)); // flags before the lookup
        errno(ENOENT, () -> ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, 9999));
        errno(ENOENT, () -> ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, ioas)); // not a HWPT_PAGING
        errno(EOPNOTSUPP, () -> ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, plain));
        errno(EOPNOTSUPP, () -> ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, mock.outHwptId()));
        ctx.hwptSetDirtyTracking(0, hwpt); // disabling what is off
        ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt);
        ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt); // twice is fine
    }

    /** iommufd_hwpt_get_dirty_bitmap() then iommufd_check_iova_range(), then dirty_ops. */
    @Test
    void getDirtyBitmapChecksInKernelOrder() {
        int plain = ctx.hwptAlloc(0, mock.outIdevId(), ioas, 0, null, 0, 0);
        int hwpt = dirtyHwpt();
        errno(EOPNOTSUPP, () -> ctx.hwptGetDirtyBitmap(9999, 2, 0, BASE, LEN, K2, 0x1000));
        errno(EOPNOTSUPP, () -> ctx.hwptGetDirtyBitmap(9999, 0, 1, BASE, LEN, K2, 0x1000));
        errno(ENOENT, () -> ctx.hwptGetDirtyBitmap(9999, 0, 0, BASE, LEN, 0, 0x1000)); // lookup before the range
        errno(ENOENT, () -> ctx.hwptGetDirtyBitmap(ioas, 0, 0, BASE, LEN, K2, 0x1000));
        errno(EOVERFLOW, () -> ctx.hwptGetDirtyBitmap(hwpt, 0, 0, BASE, 0, K2, 0x1000)); // length - 1 wraps
        errno(EOVERFLOW, () -> ctx.hwptGetDirtyBitmap(hwpt, 0, 0, -4096, 8192, K2, 0x1000));
        errno(EINVAL, () -> ctx.hwptGetDirtyBitmap(hwpt, 0, 0, BASE + 1, 4095, K2, 0x1000)); // IOAS alignment 2K
        errno(EINVAL, () -> ctx.hwptGetDirtyBitmap(hwpt, 0, 0, BASE, LEN, 0, 0x1000));
        errno(EINVAL, () -> ctx.hwptGetDirtyBitmap(hwpt, 0, 0, BASE + 4096, LEN - 4096, LEN, 0x1000));
        errno(EINVAL, () -> ctx.hwptGetDirtyBitmap(hwpt, 0, 0, BASE, 12288, 8192, 0x1000));
        errno(EINVAL, () -> ctx.hwptGetDirtyBitmap(plain, 0, 0, BASE, LEN, 0, 0x1000)); // range before dirty_ops
        errno(EOPNOTSUPP, () -> ctx.hwptGetDirtyBitmap(plain, 0, 0, BASE, LEN, K2, 0x1000));
        // page_size 6K passes (16M and 16M+48K are 0x17ff-aligned) and counts in 2K bits (__ffs)
        assertEquals(List.of(), get(hwpt, 0, BASE, 48 * 1024, 6 * 1024));
    }

    /** The bits, clearing, NO_CLEAR, other page sizes, and a range inside the mapping. */
    @Test
    void readAndClear() {
        int hwpt = dirtyHwpt();
        ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt);
        assertEquals(3, markDirty(hwpt, 1, 4, 31));
        assertEquals(pages(1, 4, 31), get(hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, BASE, LEN, K2));
        assertEquals(pages(1, 4, 31), get(hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, BASE, LEN, K2));
        assertEquals(List.of(new IovaRange(BASE, BASE + LEN - 1)), get(hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, BASE, LEN, LEN));
        assertEquals(pages(4), get(hwpt, 0, BASE + 8192, 8192, K2)); // reads and clears only 4..7
        assertEquals(pages(1, 31), get(hwpt, 0, BASE, LEN, K2));
        assertEquals(List.of(), get(hwpt, 0, BASE, LEN, K2));
    }

    /** A 4K page size rounds each dirty 2K leaf to its 4K bit. */
    @Test
    void coarserPageSize() {
        int hwpt = dirtyHwpt();
        ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt);
        markDirty(hwpt, 1, 4, 31);
        assertEquals(List.of(new IovaRange(BASE, BASE + 4095), new IovaRange(BASE + 8192, BASE + 12287),
                new IovaRange(BASE + 15 * 4096, BASE + LEN - 1)), get(hwpt, 0, BASE, LEN, 4096));
    }

    /** __iommu_read_and_clear_dirty(): only the run of contiguous areas from iova; the rest succeeds unread. */
    @Test
    void unmappedAndPartlyMappedRanges() {
        int hwpt = dirtyHwpt();
        ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt);
        TestDrivers.Ioptes t = (TestDrivers.Ioptes) ctx.getHwptPaging(hwpt).domain().driverState();
        markDirty(hwpt, 0, 31);
        t.reads.clear();
        assertEquals(List.of(), get(hwpt, 0, BASE - 4096, 2 * LEN, K2)); // starts in a hole: nothing read
        assertEquals(0, t.reads.size());
        assertEquals(pages(31), get(hwpt, 0, BASE + LEN - 4096, 8192, K2)); // ends in a hole: the mapped part
        assertArrayEquals(new long[] {BASE + LEN - 4096, 4096}, t.reads.get(0));
        assertEquals(pages(0), get(hwpt, 0, BASE, LEN, K2)); // still dirty: the hole read nothing
        // two touching areas are one run, read area by area
        ctx.ioasMap(ioas, FIXED, V + LEN, LEN, BASE + LEN, 0);
        t.reads.clear();
        get(hwpt, 0, BASE, 2 * LEN, K2);
        assertEquals(2, t.reads.size());
        assertArrayEquals(new long[] {BASE + LEN, LEN}, t.reads.get(1));
    }

    /** Enabling clears what was dirty; disabling stops the selftest, not reading; unmap drops the IOPTEs. */
    @Test
    void enableClearsAndUnmapDrops() {
        int hwpt = dirtyHwpt();
        errno(EINVAL, () -> markDirty(hwpt, 0)); // tracking is off
        ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt);
        markDirty(hwpt, 8);
        ctx.hwptSetDirtyTracking(0, hwpt);
        errno(EINVAL, () -> markDirty(hwpt, 9));
        assertEquals(pages(8), get(hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, BASE, LEN, K2));
        ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt);
        assertEquals(List.of(), get(hwpt, 0, BASE, LEN, K2));
        markDirty(hwpt, 10);
        ctx.ioasUnmap(ioas, BASE, LEN);
        ctx.ioasMap(ioas, FIXED, V, LEN, BASE, 0);
        assertEquals(List.of(), get(hwpt, 0, BASE, LEN, K2));
    }

    /** iopt_table_add_domain() fills a new dirty domain with the areas already mapped, as the kernel's iommu_map splits them. */
    @Test
    void areasAreMappedIntoTheDriver() {
        int hwpt = dirtyHwpt();
        TestDrivers.Ioptes t = (TestDrivers.Ioptes) ctx.getHwptPaging(hwpt).domain().driverState();
        assertEquals(32, t.leaves.size()); // 64K of 2K pages: the test mock has no 4K page
        ctx.ioasMap(ioas, FIXED, V + (1L << 20), 1L << 20, BASE + (1L << 20), 0);
        assertEquals(32 + 1, t.leaves.size()); // one 1M page
        ctx.ioasUnmap(ioas, 0, -1L);
        assertEquals(0, t.leaves.size());
        ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas, 0, 0);
        ctx.ioasMap(ioas, FIXED, V + (1L << 20), 1L << 20, BASE + (1L << 20), 0); // PAGE_SIZE at a time now
        assertEquals(512, t.leaves.size());
    }

    /** iommufd_test_dirty(): argument checks, then the lookup, then tracking, then the copy. */
    @Test
    void selftestDirtyChecksInKernelOrder() {
        int hwpt = dirtyHwpt();
        int plain = ctx.hwptAlloc(0, mock.outIdevId(), ioas, 0, null, 0, 0);
        Selftest st = ctx.selftest();
        java.util.function.LongFunction<byte[]> ones = n -> {
            byte[] b = new byte[(int) n];
            java.util.Arrays.fill(b, (byte) 0xff);
            return b;
        };
        errno(EINVAL, () -> st.dirty(9999, BASE, LEN, 0, 0x1000, ones));
        errno(EINVAL, () -> st.dirty(9999, BASE, 0, K2, 0x1000, ones));
        errno(EINVAL, () -> st.dirty(9999, BASE + 1024, LEN, K2, 0x1000, ones));
        errno(EINVAL, () -> st.dirty(9999, BASE, LEN + 1024, K2, 0x1000, ones));
        errno(EINVAL, () -> st.dirty(9999, BASE, LEN, K2, 0, ones));
        errno(EOVERFLOW, () -> st.dirty(9999, 0, Selftest.DIRTY_MAX_BITS + 1, 1, 0x1000, ones));
        errno(ENOENT, () -> st.dirty(9999, BASE, LEN, K2, 0x1000, ones));
        errno(ENOENT, () -> st.dirty(ioas, BASE, LEN, K2, 0x1000, ones));
        errno(EINVAL, () -> st.dirty(plain, BASE, LEN, K2, 0x1000, ones)); // no dirty_ops
        errno(EINVAL, () -> st.dirty(hwpt, BASE, LEN, K2, 0x1000, ones)); // tracking off
        ctx.hwptSetDirtyTracking(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt);
        errno(EFAULT, () -> st.dirty(hwpt, BASE, LEN, K2, 0x1000, n -> null));
        long[] asked = {0};
        // 64 bits over 32 mapped pages: every set bit counts, the unmapped ones change nothing
        assertEquals(64, st.dirty(hwpt, BASE, 2 * LEN, K2, 0x1000, n -> {
            asked[0] = n;
            return ones.apply(n);
        }));
        assertEquals(8, asked[0]); // DIV_ROUND_UP(64, 8) bytes
        assertEquals(List.of(new IovaRange(BASE, BASE + LEN - 1)), get(hwpt, 0, BASE, 2 * LEN, K2));
    }

    /** iova_bitmap_set(): pinned windows, bitmaps the kernel cannot pin, unaligned bitmaps, bits past the end. */
    @Test
    void iovaBitmapPinsAndWrites() {
        // a bitmap whose second page cannot be pinned: bits there are dropped without an error
        IovaBitmap b = new IovaBitmap(BASE, LEN, K2, 0x10000 - 2, (va, len) -> va + len <= 0x10000);
        b.set(BASE, K2); // bit 0: byte 0 at 0xfffe
        b.set(BASE + 20 * K2, K2); // bit 20: byte 2 at 0x10000, unpinnable
        assertEquals(1, b.writes().size());
        assertEquals(0xfffe, b.writes().get(0).va());
        assertArrayEquals(new byte[] {1}, b.writes().get(0).bits());
        assertEquals(pages(0), b.dirtyRanges());

        // a range longer than the bitmap sets bits past its end, up to the end of the pinned page
        IovaBitmap past = new IovaBitmap(BASE, 4 * K2, K2, 0x20000, (va, len) -> true);
        past.set(BASE, 1L << 20); // 512 bits over a 1-byte bitmap
        assertEquals(1, past.writes().size());
        assertEquals(64, past.writes().get(0).bits().length);
        // ... not past the pinned page: 1G of 2K bits is 64K bytes, the page holds 4K of them
        IovaBitmap end = new IovaBitmap(BASE, 4 * K2, K2, 0x20000, (va, len) -> true);
        end.set(BASE, 1L << 30);
        assertEquals(List.of(new IovaRange(BASE, BASE + 4096 * 8 * K2 - 1)), end.dirtyRanges());
        // ... unless the bitmap is unaligned: then the window is two pages (npages + 1)
        IovaBitmap unaligned = new IovaBitmap(BASE, 4 * K2, K2, 0x20ffe, (va, len) -> true);
        unaligned.set(BASE, 1L << 20);
        assertEquals(List.of(new IovaRange(BASE, BASE + (1L << 20) - 1)), unaligned.dirtyRanges());
        assertEquals(2, unaligned.writes().size());
        assertEquals(0x21000, unaligned.writes().get(1).va());
        assertEquals(62, unaligned.writes().get(1).bits().length);

        // a bitmap of more than 512 pages: the window moves, and still lands each bit in its byte
        long bits = 3L * 4096 * 8 * 512; // 3 windows of 512 pages
        IovaBitmap big = new IovaBitmap(0, bits * K2, K2, 0x40000000, (va, len) -> true);
        big.set((bits - 1) * K2, K2);
        big.set(0, K2);
        assertEquals(List.of(new IovaRange(0, K2 - 1), new IovaRange((bits - 1) * K2, bits * K2 - 1)), big.dirtyRanges());
        assertEquals(0x40000000 + bits / 8 - 1, big.writes().get(1).va());
        assertTrue(!big.gaveUp());

        // a zero-length range at the window's start: last_bit wraps, every bit of the pinned
        // page is set, and the 7.2 kernel then retries the same window forever (the oracle hangs
        // there); the emulator stops and says so
        IovaBitmap zero = new IovaBitmap(BASE + (1L << 20), 1L << 20, K2, 0x30000, (va, len) -> true);
        zero.set(BASE + (1L << 20), 0);
        assertTrue(zero.gaveUp());
        assertEquals(List.of(new IovaRange(BASE + (1L << 20), BASE + (1L << 20) + 4096 * 8 * K2 - 1)), zero.dirtyRanges());
    }

    /** iommu_pgsize(): the biggest page that fits, and how many before a bigger one could start. */
    @Test
    void iommuPgsize() {
        long amdv1Mock = ((1L << 31) - 1) & ~(K2 - 1); // 2K..1G
        long[] count = new long[1];
        assertEquals(4096, IommuMap.iommuPgsize(amdv1Mock, BASE, V, 4096, count));
        assertEquals(1, count[0]);
        assertEquals(8192, IommuMap.iommuPgsize(amdv1Mock, BASE, V, 12288, count)); // then 4K
        assertEquals(1, count[0]);
        assertEquals(2L << 20, IommuMap.iommuPgsize(amdv1Mock, BASE, V, 2L << 20, count));
        long huge = (1L << 20) | 4096;
        assertEquals(4096, IommuMap.iommuPgsize(huge, BASE + 4096, V + 4096, 2L << 20, count));
        assertEquals(255, count[0]); // up to the next 1M boundary
        assertEquals(1L << 20, IommuMap.iommuPgsize(huge, BASE, V, 3L << 20, count));
        assertEquals(3, count[0]);
        assertEquals(4096, IommuMap.iommuPgsize(huge, BASE, V + 4096, 2L << 20, count)); // iova, paddr offset differ
        assertEquals(512, count[0]);
    }
}
