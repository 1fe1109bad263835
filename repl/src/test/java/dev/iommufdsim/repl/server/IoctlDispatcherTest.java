package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.repl.server.FakeProcess.Struct;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher against an in-memory process: iommufd_fops_ioctl()'s size rules, the
 * copy-backs, the memory the structs point to, and errno values the 7.2 selftest asserts.
 */
class IoctlDispatcherTest extends DispatcherFixture {
    private static final int ENOENT = 2;
    private static final int EIO = 5;
    private static final int EEXIST = 17;
    private static final int EOVERFLOW = 75;
    private static final int EBADF = 9;
    private static final int ENODEV = 19;
    private static final int E2BIG = 7;
    private static final int EBADE = 52;
    private static final int EBADFD = 77;
    private static final int EFAULT = 14;
    private static final int EBUSY = 16;
    private static final int EINVAL = 22;
    private static final int ENOTTY = 25;
    private static final int EMSGSIZE = 90;
    private static final int EOPNOTSUPP = 95;
    private static final int EADDRINUSE = 98;

    /** An array area and a 2 MiB aligned 16-page user buffer (the structs go at S). */
    private static final long DATA = 0x7000_0010_0000L;
    private static final long BUF = 0x7f00_0000_0000L;
    private static final long BUF_SIZE = 16 * 4096;



    @BeforeEach
    void open() {
        open(new FakeProcess().map(DATA, 0x2000, true).map(BUF, BUF_SIZE, true));
    }

    private static int io(int nr) {
        return 0x3b00 | nr;
    }


    private int ioasAlloc() {
        assertEquals(0, iommufd(0x81, new Struct(12)));
        return p.u32(S + 8);
    }

    /** IOMMU_TEST_OP_MOCK_DOMAIN on pt: {stdev, hwpt, idev}. */
    private int[] mockDomain(int pt) {
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 2).u32(8, pt)));
        return new int[] {p.u32(S + 16), p.u32(S + 20), p.u32(S + 24)};
    }

    private long map(int ioas, long va, long len) {
        return iommufd(0x85, new Struct(40).u32(4, 6).u32(8, ioas).u64(16, va).u64(24, len));
    }

    @Test
    void cmdFail() {
        assertEquals(-ENOENT, iommufd(0x80, new Struct(8).u32(4, 0)));
        assertEquals(-EFAULT, d.ioctl(io(0x80), 0, p)); // NULL
        assertEquals(-ENOTTY, iommufd(0x7f, new Struct(8))); // below the table: VFIO compat
        assertEquals(-ENOTTY, iommufd(0x95, new Struct(8))); // a hole in the table
        assertEquals(-ENOTTY, iommufd(0xa1, new Struct(8))); // above it
        assertEquals(-ENOTTY, d.ioctl(0x40083b80, S, p)); // _IOW(';', 0x80, u64): not IOMMU_DESTROY
    }

    @Test
    void sizeRulesOfCopyStructFromUser() {
        // cmd_ex_fail: DESTROY {size 16, id 0, 8 more bytes}
        assertEquals(-ENOENT, iommufd(0x80, new Struct(16)));
        assertEquals(-E2BIG, iommufd(0x80, new Struct(16).u64(8, 1)));
        assertEquals(-ENOENT, iommufd(0x80, new Struct(8)));
        assertEquals(-EINVAL, iommufd(0x80, new Struct(7)));
        // cmd_length for every table entry: min-1 EINVAL, sizeof+1 with 0xff E2BIG, with 0 like sizeof
        int[][] table = {{0x80, 8, 8}, {0x81, 12, 12}, {0x82, 24, 24}, {0x83, 40, 40}, {0x84, 32, 32}, {0x85, 40, 40},
            {0x86, 24, 24}, {0x87, 24, 24}, {0x88, 12, 12}, {0x89, 48, 24}, {0x8a, 40, 32}, {0x8b, 16, 16},
            {0x8c, 48, 48}, {0x8d, 32, 32}, {0x8e, 16, 16}, {0x8f, 40, 40}, {0x90, 40, 24}, {0x91, 24, 24},
            {0x92, 8, 8}, {0x93, 32, 28}, {0x94, 40, 40}, {0xa0, 72, 68}};
        for (int[] t : table) {
            Struct s = new Struct(t[1] + 1).u32(0, t[2] - 1).u8(t[1], 0xff);
            assertEquals(-EINVAL, iommufd(t[0], s), "min-1 of 0x" + Integer.toHexString(t[0]));
            assertEquals(-E2BIG, iommufd(t[0], s.u32(0, t[1] + 1)), "sizeof+1 of 0x" + Integer.toHexString(t[0]));
        }
        // a tail running off the end of mapped memory: check_zeroed_user() faults
        p.put(S + 0x2000 - 8, new Struct(8).u32(0, 64).bytes());
        assertEquals(-EFAULT, d.ioctl(io(0x80), S + 0x2000 - 8, p));
    }

    @Test
    void respondCopiesMinOfUserAndKernelSize() {
        int ioas = ioasAlloc();
        int[] mock = mockDomain(ioas);
        byte[] junk = new byte[16];
        Arrays.fill(junk, (byte) 0xaa);
        p.put(DATA, junk);
        // GET_HW_INFO with size 32 (no out_capabilities): 8 bytes of data, 8 zeroed, 32 bytes back
        Struct s = new Struct(40).u32(0, 32).u32(8, mock[2]).u32(12, 16).u64(16, DATA).u64(32, 0x5555555555555555L);
        assertEquals(0, iommufd(0x8a, s));
        assertEquals(0, p.u32(DATA)); // flags
        assertEquals(0xdeadbeef, p.u32(DATA + 4)); // test_reg
        assertEquals(0, p.u64(DATA + 8)); // clear_user() of the rest
        assertEquals(8, p.u32(S + 12)); // data_len: the kernel's length
        assertEquals(0xfeedbeef, p.u32(S + 24)); // out_data_type
        assertEquals(0x5555555555555555L, p.u64(S + 32)); // beyond the user size: untouched
    }

    @Test
    void iovaRangesWritesBackOnEmsgsize() {
        int ioas = ioasAlloc();
        p.put(DATA, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertEquals(-EMSGSIZE, iommufd(0x84, new Struct(32).u32(4, ioas).u32(8, 0).u64(16, DATA)));
        assertEquals(1, p.u32(S + 8));
        assertEquals(1, p.u64(S + 24));
        assertEquals(0x0807060504030201L, p.u64(DATA)); // the array untouched
        assertEquals(0, iommufd(0x84, new Struct(32).u32(4, ioas).u32(8, 4).u64(16, DATA)));
        assertEquals(0, p.u64(DATA));
        assertEquals(-1L, p.u64(DATA + 8));
        assertEquals(-EFAULT, iommufd(0x84, new Struct(32).u32(4, ioas).u32(8, 4).u64(16, 0x1000)));
        // with a mock domain: [0x1000000, 0x7fffffff], alignment 2048
        mockDomain(ioas);
        assertEquals(0, iommufd(0x84, new Struct(32).u32(4, ioas).u32(8, 4).u64(16, DATA)));
        assertEquals(1, p.u32(S + 8));
        assertEquals(2048, p.u64(S + 24));
        assertEquals(0x1000000, p.u64(DATA));
        assertEquals(0x7fffffff, p.u64(DATA + 8));
    }

    @Test
    void allowIovasReadsTheArrayLikeTheKernel() {
        int ioas = ioasAlloc();
        long end = DATA + 0x2000 - 16; // the last entry that fits in mapped memory
        p.put(end, new Struct(16).u32(0, 0).u64(0, 0x10000).u64(8, 0x1ffff).bytes());
        assertEquals(0, iommufd(0x82, new Struct(24).u32(4, ioas).u32(8, 1).u64(16, end)));
        // entry 1 unmapped: EFAULT ...
        assertEquals(-EFAULT, iommufd(0x82, new Struct(24).u32(4, ioas).u32(8, 2).u64(16, end)));
        // ... unless entry 0 was refused first (start >= last)
        p.put(end, new Struct(16).u32(0, 0).u64(0, 0x20000).u64(8, 0x20000).bytes());
        assertEquals(-EINVAL, iommufd(0x82, new Struct(24).u32(4, ioas).u32(8, 2).u64(16, end)));
        // __reserved and the IOAS come before the array
        assertEquals(-EOPNOTSUPP, iommufd(0x82, new Struct(24).u32(4, ioas).u32(8, 2).u32(12, 1).u64(16, end)));
        assertEquals(-ENOENT, iommufd(0x82, new Struct(24).u32(4, 99).u32(8, 2).u64(16, end)));
    }

    @Test
    void pinningAsksTheProcess() {
        int ioas = ioasAlloc();
        assertEquals(0, map(ioas, BUF, BUF_SIZE)); // no domain: nothing pinned
        assertEquals(0x10000, p.u64(S + 32));
        assertEquals(-EADDRINUSE, iommufd(0xa0, new Struct(72).u32(4, 2).u32(8, ioas)));
        assertEquals(0, iommufd(0x86, new Struct(24).u32(4, ioas).u64(8, 0).u64(16, -1L)));
        assertEquals(BUF_SIZE, p.u64(S + 16));
        mockDomain(ioas);
        assertEquals(0, map(ioas, BUF, BUF_SIZE));
        assertEquals(0x1000000, p.u64(S + 32));
        p.unmap(BUF + BUF_SIZE / 2, BUF_SIZE / 2);
        assertEquals(-EFAULT, map(ioas, BUF, BUF_SIZE));
        assertTrue(p.probes > 0);
    }

    @Test
    void aFailedCopyBackAbortsTheNewObject() {
        int ioas = ioasAlloc();
        long ro = 0x7000_0020_0000L;
        p.map(ro, 4096, false);
        p.put(ro, new Struct(72).u32(4, 2).u32(8, ioas).bytes());
        assertEquals(-EFAULT, d.ioctl(io(0xa0), ro, p));
        assertArrayEquals(new int[] {2, 4, 3}, mockDomain(ioas)); // the IDs were given back
        p.put(ro, new Struct(12).bytes());
        assertEquals(-EFAULT, d.ioctl(io(0x81), ro, p));
        assertEquals(5, ioasAlloc());
    }

    /** A NEST_PARENT paging HWPT and a mock nested HWPT on it: {idev, parent, nested}. */
    private int[] nested() {
        int ioas = ioasAlloc();
        int idev = mockDomain(ioas)[2];
        assertEquals(0, iommufd(0x89, new Struct(48).u32(4, 1).u32(8, idev).u32(12, ioas)));
        int parent = p.u32(S + 16);
        p.put(DATA, new Struct(8).u32(0, 0xbadbeef).u32(4, 0).bytes());
        assertEquals(0, iommufd(0x89, new Struct(48).u32(8, idev).u32(12, parent).u32(24, 0xdead).u32(28, 4).u64(32, DATA)));
        return new int[] {idev, parent, p.u32(S + 16)};
    }

    @Test
    void hwptAllocDataFaultIsEfaultAndLeavesNothing() {
        int[] n = nested();
        assertEquals(-EFAULT, iommufd(0x89, new Struct(48).u32(8, n[0]).u32(12, n[1]).u32(24, 0xdead).u32(28, 4).u64(32, 0)));
        // the kernel's earlier checks still win
        assertEquals(-EOPNOTSUPP, iommufd(0x89, new Struct(48).u32(8, n[0]).u32(12, n[1]).u32(24, 0xdead + 1).u32(28, 4).u64(32, 0)));
        assertEquals(-EINVAL, iommufd(0x89, new Struct(48).u32(8, n[0]).u32(12, n[1]).u32(24, 0).u32(28, 8).u64(32, DATA)));
        assertEquals(0, iommufd(0x89, new Struct(48).u32(8, n[0]).u32(12, n[1]).u32(24, 0xdead).u32(28, 4).u64(32, DATA)));
        assertEquals(n[2] + 1, p.u32(S + 16));
    }

    @Test
    void invalidateWritesEntryNumBack() {
        int[] n = nested();
        long e = DATA + 0x100;
        p.put(e, new Struct(16).u32(0, 0).u32(4, 1).u32(8, 0xffffffffL).u32(12, 0).bytes());
        Struct inv = new Struct(32).u32(4, n[2]).u64(8, e).u32(16, 0xdeadbeefL).u32(20, 8).u32(24, 2);
        assertEquals(-EOPNOTSUPP, iommufd(0x8d, inv));
        assertEquals(1, p.u32(S + 24));
        // MD_CHECK_IOTLB: entry 1 was invalidated (0), entry 0 still the default
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 14).u32(8, n[2]).u32(16, 1).u32(20, 0)));
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 14).u32(8, n[2]).u32(16, 0).u32(20, 0xbadbeef)));
        assertEquals(-EINVAL, iommufd(0xa0, new Struct(72).u32(4, 14).u32(8, n[2]).u32(16, 0).u32(20, 0)));
        // early EINVAL: entry_num written back as 0
        assertEquals(-EINVAL, iommufd(0x8d, inv.u64(8, 0)));
        assertEquals(0, p.u32(S + 24));
        // the second entry in unmapped memory: the first is handled, then EFAULT
        long edge = DATA + 0x2000 - 8;
        p.put(edge, new Struct(8).u32(0, 0).u32(4, 2).bytes());
        assertEquals(-EFAULT, iommufd(0x8d, inv.u64(8, edge)));
        assertEquals(1, p.u32(S + 24));
        // a paging HWPT cannot be invalidated
        assertEquals(-EINVAL, iommufd(0x8d, new Struct(32).u32(4, n[1]).u64(8, e).u32(16, 0xdeadbeefL).u32(20, 8).u32(24, 1)));
    }

    @Test
    void queueFdsComeFromTheProcess() {
        assertEquals(0, iommufd(0x8e, new Struct(16)));
        int id = p.u32(S + 8);
        int fd = p.u32(S + 12);
        assertEquals(10, fd);
        assertEquals(-EBUSY, iommufd(0x80, new Struct(8).u32(4, id))); // the fd holds the object
        d.closeFd(fd);
        assertEquals(0, iommufd(0x80, new Struct(8).u32(4, id)));
        assertEquals(-EOPNOTSUPP, iommufd(0x8e, new Struct(16).u32(4, 1)));
    }

    /** HW_QUEUE_ALLOC {flags @4, viommu_id @8, type @12, index @16, out_hw_queue_id @20, iova @24, length @32}. */
    private long hwQueue(int viommu, int type, int index, long iova, long length) {
        return iommufd(0x94, new Struct(40).u32(8, viommu).u32(12, type).u32(16, index).u64(24, iova).u64(32, length));
    }

    @Test
    void hwQueueAllocDecodesAndLocksItsPages() {
        int ioas = ioasAlloc();
        int[] mock = mockDomain(ioas);
        // a NEST_PARENT HWPT, then a SELFTEST vIOMMU on it
        assertEquals(0, iommufd(0x89, new Struct(48).u32(4, 1).u32(8, mock[2]).u32(12, ioas)));
        int parent = p.u32(S + 16);
        assertEquals(0, iommufd(0x90, new Struct(40).u32(8, 0xdeadbeef).u32(12, mock[2]).u32(16, parent)));
        int viommu = p.u32(S + 20);
        assertEquals(-EOPNOTSUPP, hwQueue(viommu, 0, 0, 0x1000000, 4096)); // TYPE_DEFAULT
        assertEquals(-EOPNOTSUPP, iommufd(0x94, new Struct(40).u32(4, 1).u32(8, viommu).u32(12, 0xdeadbeef).u64(32, 4096)));
        assertEquals(-EINVAL, hwQueue(viommu, 0xdeadbeef, 0, 0x1000000, 0));
        assertEquals(-EOVERFLOW, hwQueue(viommu, 0xdeadbeef, 0, -1L, 4096));
        assertEquals(-ENOENT, hwQueue(viommu, 0xdeadbeef, 0, 0x1000000, 4096));
        assertEquals(0, map(ioas, BUF, 4096));
        long iova = p.u64(S + 32);
        assertEquals(-EIO, hwQueue(viommu, 0xdeadbeef, 1, iova, 4096));
        assertEquals(-EINVAL, hwQueue(viommu, 0xdeadbeef, 2, iova, 4096));
        // a failed copy-back of out_hw_queue_id destroys the queue: its ID is free again
        long ro = 0x7000_0020_0000L;
        p.map(ro, 4096, false);
        p.put(ro, new Struct(40).u32(0, 40).u32(8, viommu).u32(12, 0xdeadbeef).u64(24, iova).u64(32, 4096).bytes());
        assertEquals(-EFAULT, d.ioctl(io(0x94), ro, p));
        assertEquals(0, iommufd(0x86, new Struct(24).u32(4, ioas).u64(8, iova).u64(16, 4096)), "the aborted queue unlocked its page");
        assertEquals(0, map(ioas, BUF, 4096));
        iova = p.u64(S + 32);
        assertEquals(0, hwQueue(viommu, 0xdeadbeef, 0, iova, 4096));
        int q0 = p.u32(S + 20);
        assertEquals(-EEXIST, hwQueue(viommu, 0xdeadbeef, 0, iova, 4096));
        assertEquals(-EBUSY, iommufd(0x86, new Struct(24).u32(4, ioas).u64(8, iova).u64(16, 4096))); // IOAS_UNMAP
        assertEquals(0, hwQueue(viommu, 0xdeadbeef, 1, iova + 2048, 2048));
        int q1 = p.u32(S + 20);
        assertEquals(q0 + 2, q1, "each queue's internal access takes the ID after it");
        assertEquals(-EBUSY, iommufd(0x80, new Struct(8).u32(4, q0)));
        assertEquals(0, iommufd(0x80, new Struct(8).u32(4, q1)));
        assertEquals(0, iommufd(0x80, new Struct(8).u32(4, q0)));
        assertEquals(0, iommufd(0x86, new Struct(24).u32(4, ioas).u64(8, iova).u64(16, 4096)));
    }

    @Test
    void changeProcessDecodesReservedAndCopiesNothingBack() {
        int ioas = ioasAlloc();
        mockDomain(ioas);
        assertEquals(-EOPNOTSUPP, iommufd(0x92, new Struct(8).u32(4, 1)));
        assertEquals(0, iommufd(0x92, new Struct(8)));
        assertEquals(0, map(ioas, BUF, 4096));
        // user memory cannot change process; the struct is left as it was
        assertEquals(-EINVAL, iommufd(0x92, new Struct(16).u32(0, 8).u32(8, 0x5a5a5a5a)));
        assertEquals(0x5a5a5a5a, p.u32(S + 8));
        assertEquals(-E2BIG, iommufd(0x92, new Struct(16).u32(0, 16).u32(8, 1)));
        assertTrue(gaps.gaps().isEmpty(), gaps.gaps().toString());
    }

    @Test
    void testOpsNotEmulatedAreEopnotsuppAndCounted() {
        assertEquals(-EOPNOTSUPP, iommufd(0xa0, new Struct(72).u32(4, 99)));
        // SET_TEMP_MEMORY_LIMIT only checks its argument
        assertEquals(-EINVAL, iommufd(0xa0, new Struct(72).u32(4, 9).u32(16, 11)));
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 9).u32(16, 65536)));
    }

    /** MD_CHECK_REFS {length @16, uptr @24, refs @32}. */
    private long checkRefs(long uptr, long length, int refs) {
        return iommufd(0xa0, new Struct(72).u32(4, 4).u64(16, length).u64(24, uptr).u32(32, refs));
    }

    /**
     * IOMMU_IOAS_MAP_FILE {u32 size, flags, ioas_id; s32 fd; u64 start @16, length @24, iova @32}:
     * decoded, the fd looked up in the program (EBADF when not open), iova written back; the
     * pins land on the file's pages, which MD_CHECK_REFS sees through the program's mapping.
     */
    @Test
    void ioasMapFileDecodesTheStructAndPinsTheFilePages() {
        long mapping = 0x7e00_0000_0000L;
        var id = new dev.iommufdsim.kernel.MappedFile.Id(0, 1, 77);
        p.files.put(5, dev.iommufdsim.kernel.MappedFile.of(id, 16 * 4096, true));
        p.mapFile(mapping, 16 * 4096, id, 0);
        int ioas = ioasAlloc();
        int hwpt = mockDomain(ioas)[1];
        assertEquals(-EOPNOTSUPP, iommufd(0x8f, new Struct(40).u32(4, 8).u32(8, ioas).u32(12, 5).u64(24, 4096)));
        assertEquals(-EINVAL, iommufd(0x8f, new Struct(40).u32(4, 0).u32(8, ioas).u32(12, 5).u64(24, 4096)));
        assertEquals(-ENOENT, iommufd(0x8f, new Struct(40).u32(4, 6).u32(8, 99).u32(12, 5).u64(24, 4096)));
        assertEquals(-EBADF, iommufd(0x8f, new Struct(40).u32(4, 6).u32(8, ioas).u32(12, 6).u64(24, 4096)));
        assertEquals(-EINVAL, iommufd(0x8f, new Struct(40).u32(4, 6).u32(8, ioas).u32(12, 5).u64(24, 16 * 4096 + 1)));
        assertEquals(0, iommufd(0x8f, new Struct(40).u32(4, 6).u32(8, ioas).u32(12, 5).u64(16, 4096).u64(24, 2 * 4096)));
        long iova = p.u64(S + 32);
        assertEquals(0, checkRefs(mapping + 4096, 2 * 4096, 1));
        assertEquals(0, checkRefs(mapping, 4096, 0));
        assertEquals(-EIO, checkRefs(mapping + 4096, 4096, 0));
        // MD_CHECK_MAP {iova @16, length @24, uptr @32}: the IOVA maps the file page behind uptr
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 3).u32(8, hwpt).u64(16, iova).u64(24, 2 * 4096).u64(32, mapping + 4096)));
        assertEquals(-EINVAL, iommufd(0xa0, new Struct(72).u32(4, 3).u32(8, hwpt).u64(16, iova).u64(24, 4096).u64(32, mapping)));
        // FIXED_IOVA: the iova field is read
        assertEquals(0, iommufd(0x8f, new Struct(40).u32(4, 7).u32(8, ioas).u32(12, 5).u64(24, 4096).u64(32, 0x4000000)));
        assertEquals(0x4000000, p.u64(S + 32));
        assertEquals(0, checkRefs(mapping, 4096, 1));
        assertEquals(0, iommufd(0x92, new Struct(8))); // IOAS_CHANGE_PROCESS: only file-backed areas here
    }

    /**
     * IOMMU_TEST_OP_DMABUF_GET {length @16, open_flags @20} returns the program's new fd;
     * DMABUF_REVOKE {dmabuf_fd @16, revoked @20}; IOAS_MAP_FILE of that fd maps the dma-buf.
     */
    @Test
    void dmabufGetRevokeAndMapFile() {
        int ioas = ioasAlloc();
        mockDomain(ioas);
        assertEquals(-EINVAL, iommufd(0xa0, new Struct(72).u32(4, 22).u32(16, 0)));
        long dfd = iommufd(0xa0, new Struct(72).u32(4, 22).u32(16, 4 * 4096).u32(20, 02000000));
        assertTrue(dfd >= 10, "the fd: " + dfd);
        Struct map = new Struct(40).u32(4, 6).u32(8, ioas).u32(12, (int) dfd).u64(24, 4 * 4096);
        assertEquals(-EINVAL, iommufd(0x8f, new Struct(40).u32(4, 6).u32(8, ioas).u32(12, (int) dfd).u64(16, 4096).u64(24, 4 * 4096)));
        assertEquals(0, iommufd(0x8f, map));
        assertEquals(-EBADF, iommufd(0xa0, new Struct(72).u32(4, 23).u32(16, 99).u32(20, 1)));
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 23).u32(16, (int) dfd).u32(20, 1)));
        assertEquals(-ENODEV, iommufd(0x8f, map));
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 23).u32(16, (int) dfd).u32(20, 0)));
        assertEquals(0, iommufd(0x8f, map));
        d.closeFd((int) dfd);
        assertEquals(-EBADF, iommufd(0x8f, map)); // no longer a dma-buf, nor an open file
    }

    /** IOMMU_TEST_OP_DIRTY {op 13, id, dirty {flags @16, iova @24, length @32, page_size @40, uptr @48, out_nr_dirty @56}}. */
    private long testDirty(int hwpt, long iova, long length, long pageSize, long uptr) {
        return iommufd(0xa0, new Struct(72).u32(4, 13).u32(8, hwpt).u64(24, iova).u64(32, length).u64(40, pageSize).u64(48, uptr));
    }

    /** IOMMU_HWPT_GET_DIRTY_BITMAP {size, hwpt_id, flags, __reserved, iova, length, page_size, data}. */
    private long getDirtyBitmap(int hwpt, int flags, long iova, long length, long pageSize, long data) {
        return iommufd(0x8c, new Struct(48).u32(4, hwpt).u32(8, flags).u64(16, iova).u64(24, length).u64(32, pageSize).u64(40, data));
    }

    /**
     * The dirty ioctls decoded from their structs: the kernel ORs bits into the pinned pages of
     * the bitmap, drops what it cannot pin, and writes out_nr_dirty back (the values are the
     * 7.2 oracle's for the same calls, native/examples/dirty-bitmap.expected).
     */
    @Test
    void dirtyTrackingThroughTheStructs() {
        final long mockPage = 2048;
        final long base = 1L << 24;
        int ioas = ioasAlloc();
        assertEquals(0, iommufd(0x87, new Struct(24).u32(4, 1).u32(12, ioas))); // IOMMU_OPTION_HUGE_PAGES = 0, as the selftest
        int idev = mockDomain(ioas)[2];
        assertEquals(0, iommufd(0x85, new Struct(40).u32(4, 7).u32(8, ioas).u64(16, BUF).u64(24, BUF_SIZE).u64(32, base)));
        assertEquals(0, iommufd(0x89, new Struct(48).u32(4, 2).u32(8, idev).u32(12, ioas))); // DIRTY_TRACKING
        int hwpt = p.u32(S + 16);
        assertEquals(-EOPNOTSUPP, iommufd(0x8b, new Struct(16).u32(4, 2).u32(8, hwpt)));
        assertEquals(-EINVAL, testDirty(hwpt, base, BUF_SIZE, mockPage, DATA)); // tracking is off
        assertEquals(0, iommufd(0x8b, new Struct(16).u32(4, 1).u32(8, hwpt).u32(12, 7))); // __reserved is not checked

        p.put(DATA, new byte[] {0x12, 0, 0, 0}); // pages 1 and 4
        assertEquals(0, testDirty(hwpt, base, BUF_SIZE, mockPage, DATA));
        assertEquals(2, p.u64(S + 56)); // out_nr_dirty
        assertEquals(-EFAULT, testDirty(hwpt, base, BUF_SIZE, mockPage, 0x1000));
        assertEquals(-EINVAL, testDirty(hwpt, base, BUF_SIZE, mockPage, 0));

        p.put(DATA + 0x100, new byte[] {(byte) 0xf0, (byte) 0xf0, (byte) 0xf0, (byte) 0xf0});
        assertEquals(0, getDirtyBitmap(hwpt, 1, base, BUF_SIZE, mockPage, DATA + 0x100)); // NO_CLEAR
        assertArrayEquals(new byte[] {(byte) 0xf1, (byte) 0xf0, (byte) 0xf0, (byte) 0xf0}, p.get(DATA + 0x100, 4)); // ORed: bits 0, 4
        // a bitmap whose second page is not mapped: bits 0 and 4 (byte 0) land, bit 20 is dropped
        p.put(DATA, new byte[] {0, 0, 0x10, 0});
        assertEquals(0, testDirty(hwpt, base, BUF_SIZE, mockPage, DATA));
        long edge = DATA + 0x2000 - 1;
        p.put(edge, new byte[] {0});
        assertEquals(0, getDirtyBitmap(hwpt, 0, base, BUF_SIZE, mockPage, edge));
        assertArrayEquals(new byte[] {0x11}, p.get(edge, 1));
        // cleared: nothing more
        p.put(DATA + 0x100, new byte[4]);
        assertEquals(0, getDirtyBitmap(hwpt, 0, base, BUF_SIZE, mockPage, DATA + 0x100));
        assertArrayEquals(new byte[4], p.get(DATA + 0x100, 4));
        assertEquals(-EOPNOTSUPP, getDirtyBitmap(hwpt, 2, base, BUF_SIZE, mockPage, DATA));
        assertEquals(-EINVAL, getDirtyBitmap(hwpt, 0, base, BUF_SIZE, 0, DATA));
        assertEquals("{}", gaps.gaps().toString());
    }

    @Test
    void checkRefsReadsThePinCounts() {
        int ioas = ioasAlloc();
        mockDomain(ioas);
        assertEquals(0, checkRefs(BUF, BUF_SIZE, 0));
        assertEquals(0, map(ioas, BUF, 4 * 4096));
        assertEquals(0, checkRefs(BUF, 4 * 4096, 1));
        assertEquals(-EIO, checkRefs(BUF, BUF_SIZE, 1)); // page 4 is not pinned
        assertEquals(-EINVAL, checkRefs(BUF + 1, 4096, 0));
        assertEquals(-EFAULT, checkRefs(0x1000, 4096, 0));
        // hugetlb pages are not counted
        p.huge.add(new long[] {BUF, BUF + BUF_SIZE});
        assertEquals(0, checkRefs(BUF, BUF_SIZE, 3));
        assertEquals(0, iommufd(0x86, new Struct(24).u32(4, ioas).u64(8, 0).u64(16, -1L)));
        p.huge.clear();
        assertEquals(0, checkRefs(BUF, BUF_SIZE, 0));
        assertEquals("{}", gaps.gaps().toString());
    }

    /** CREATE_ACCESS on ioas: the program's access fd. */
    private int createAccess(int ioas, int flags) {
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 5).u32(8, ioas).u32(20, flags)));
        return p.u32(S + 16);
    }

    @Test
    void accessOpsDecodeTheirStructs() {
        int ioas = ioasAlloc();
        int fd = createAccess(ioas, 1);
        assertEquals(10, fd); // a descriptor of the program
        assertEquals(-EBUSY, iommufd(0x80, new Struct(8).u32(4, ioas))); // the access holds the IOAS
        assertEquals(0, iommufd(0x85, new Struct(40).u32(4, 7).u32(8, ioas).u64(16, BUF).u64(24, BUF_SIZE).u64(32, 0x1000000)));
        // ACCESS_PAGES {flags @16, out_access_pages_id @20, iova @24, length @32, uptr @40}
        Struct pages = new Struct(72).u32(4, 7).u32(8, fd).u64(24, 0x1000000).u64(32, 2 * 4096).u64(40, BUF);
        assertEquals(0, iommufd(0xa0, pages));
        assertEquals(0, p.u32(S + 20));
        assertEquals(0, iommufd(0xa0, pages.u64(24, 0x1000000 + 4 * 4096).u64(40, BUF + 4 * 4096)));
        assertEquals(1, p.u32(S + 20));
        assertEquals(0, checkRefs(BUF, 2 * 4096, 1));
        assertEquals(-EBADE, iommufd(0xa0, pages.u64(40, BUF)));
        assertEquals(-EBADFD, iommufd(0xa0, pages.u32(8, 99)));
        // DESTROY_ACCESS_PAGES {access_pages_id @16}
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 6).u32(8, fd).u32(16, 0)));
        assertEquals(-ENOENT, iommufd(0xa0, new Struct(72).u32(4, 6).u32(8, fd).u32(16, 0)));
        assertEquals(0, checkRefs(BUF, 2 * 4096, 0));
        // ACCESS_RW {iova @16, length @24, uptr @32, flags @40}: write DATA into the IOVAs, read it back
        p.put(DATA, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 8).u32(8, fd).u64(16, 0x1000000 + 4090).u64(24, 9).u64(32, DATA).u32(40, 1)));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, p.get(BUF + 4090, 9));
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 8).u32(8, fd).u64(16, 0x1000000 + 4091).u64(24, 3).u64(32, DATA + 100)
                .u32(40, 4)));
        assertArrayEquals(new byte[] {2, 3, 4}, p.get(DATA + 100, 3));
        // ACCESS_REPLACE_IOAS {ioas_id @16}: the old IOAS's pins go with the unmap op
        int other = ioasAlloc();
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 11).u32(8, fd).u32(16, other)));
        assertEquals(0, checkRefs(BUF, BUF_SIZE, 0));
        assertEquals(0, iommufd(0x80, new Struct(8).u32(4, ioas)));
        // close(): the access goes, and with it its hold on the IOAS
        assertEquals(-EBUSY, iommufd(0x80, new Struct(8).u32(4, other)));
        d.closeFd(fd);
        assertEquals(0, iommufd(0x80, new Struct(8).u32(4, other)));
        assertEquals("{}", gaps.gaps().toString());
    }

    @Test
    void aFailedCopyBackUndoesTheAccessCalls() {
        int ioas = ioasAlloc();
        assertEquals(0, iommufd(0x85, new Struct(40).u32(4, 7).u32(8, ioas).u64(16, BUF).u64(24, BUF_SIZE).u64(32, 0x1000000)));
        long ro = 0x7000_0020_0000L;
        p.map(ro, 4096, false);
        p.put(ro, new Struct(72).u32(4, 5).u32(8, ioas).u32(20, 1).bytes());
        assertEquals(-EFAULT, d.ioctl(io(0xa0), ro, p)); // CREATE_ACCESS: the fd and the access go again
        assertEquals(List.of(10), p.dropped);
        assertEquals(0, iommufd(0x80, new Struct(8).u32(4, ioas))); // no access holds the IOAS
        ioas = ioasAlloc();
        assertEquals(0, iommufd(0x85, new Struct(40).u32(4, 7).u32(8, ioas).u64(16, BUF).u64(24, BUF_SIZE).u64(32, 0x1000000)));
        int fd = createAccess(ioas, 1);
        p.put(ro, new Struct(72).u32(4, 7).u32(8, fd).u64(24, 0x1000000).u64(32, 4096).u64(40, BUF).bytes());
        assertEquals(-EFAULT, d.ioctl(io(0xa0), ro, p)); // ACCESS_PAGES: unpinned again
        assertEquals(0, checkRefs(BUF, BUF_SIZE, 0));
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 7).u32(8, fd).u64(24, 0x1000000).u64(32, 4096).u64(40, BUF)));
        assertEquals(1, p.u32(S + 20)); // the failed item's ID was used
    }

    @Test
    void pagesOfAForkedChildArePinnedFromIt() {
        // fork_gone: a child maps, exits; the first domain cannot pin from a gone process
        int ioas = ioasAlloc();
        p.fork(42);
        p.as(42);
        assertEquals(0, iommufd(0x85, new Struct(40).u32(4, 7).u32(8, ioas).u64(16, BUF).u64(24, BUF_SIZE).u64(32, 0x1000000)));
        p.as(0);
        p.exit(42);
        assertEquals(-EFAULT, iommufd(0xa0, new Struct(72).u32(4, 2).u32(8, ioas)));
        // fork_present: with the child alive its pages are pinned from it
        int ioas2 = ioasAlloc();
        p.fork(43);
        p.as(43);
        assertEquals(0, iommufd(0x85, new Struct(40).u32(4, 7).u32(8, ioas2).u64(16, BUF).u64(24, BUF_SIZE).u64(32, 0x1000000)));
        p.as(0);
        int[] mock = mockDomain(ioas2);
        assertEquals(0, checkRefs(BUF, BUF_SIZE, 0)); // the pins are on the child's pages
        p.exit(43);
        assertEquals(0, iommufd(0x80, new Struct(8).u32(4, mock[0])));
    }

    /** Random bytes in every struct: answers, never an exception, never an emulator error. */
    @Test
    void malformedStructsNeverBreakTheServer() {
        Random r = new Random(7);
        int ioas = ioasAlloc();
        mockDomain(ioas);
        int[] nrs = {0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90,
            0x91, 0x92, 0x93, 0x94, 0xa0};
        long[] pointers = {0, S, DATA, BUF, 0x1000, -1L, DATA + 0x2000 - 4};
        for (int i = 0; i < 4000; i++) {
            int nr = nrs[r.nextInt(nrs.length)];
            byte[] b = new byte[96];
            for (int k = 0; k < b.length; k++) {
                b[k] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(8));
            }
            Struct s = new Struct(96);
            s.b.put(0, b);
            s.u32(0, r.nextInt(3) == 0 ? r.nextInt(200) : new int[] {8, 12, 24, 32, 40, 48, 72}[r.nextInt(7)]);
            if (nr == 0xa0) {
                s.u32(4, r.nextInt(25));
            }
            for (int off = 8; off < 48; off += 8) {
                if (r.nextInt(4) == 0) {
                    s.u64(off, pointers[r.nextInt(pointers.length)]);
                }
            }
            long rc = iommufd(nr, s);
            assertTrue(rc <= 0, "ioctl 0x" + Integer.toHexString(nr) + " returned " + rc);
        }
        assertEquals("{}", gaps.bugs().toString());
    }
}
