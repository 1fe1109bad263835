package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.Selftest.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.RW;
import static dev.iommufdsim.kernel.uapi.Errno.EBADF;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Uapi.ULONG_MAX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.check.Invariants;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IOMMU_IOAS_MAP_FILE (ioas.c iommufd_ioas_map_file, io_pagetable.c iopt_map_file_pages,
 * pages.c iopt_alloc_file_pages and the memfd_pin_folios() pfn reader): the check order and
 * errno of each check, and pins that belong to the file's pages, seen through any shared
 * mapping of the file.
 */
class MapFileTest {
    static final long P = 4096;
    static final long BUF = 0x7f0000000000L;
    static final long MAPPING = 0x7e0000000000L;
    static final long MOCK_START = TestDrivers.MOCK_APERTURE_START;
    static final MappedFile.Id ID = new MappedFile.Id(0, 1, 42);
    static final int MFD = 7;

    private Machine m;
    private TestProcess proc;
    private IommufdCtx ctx;
    private Selftest st;
    private int ioas;
    private MappedFile memfd = MappedFile.of(ID, 16 * P, true);
    private final IntFunction<MappedFile> fget = fd -> fd == MFD ? memfd : null;

    @BeforeEach
    void setUp() {
        m = TestDrivers.machine();
        proc = new TestProcess().map(BUF, 16 * P, true).mapFile(MAPPING, 16 * P, ID, 0);
        ctx = m.open();
        ctx.setUserMemory(proc);
        st = ctx.selftest();
        ioas = ctx.ioasAlloc(0);
    }

    private long mapFile(int flags, int fd, long start, long length, long iova) {
        return ctx.ioasMapFile(ioas, flags, fd, start, length, iova, fget);
    }

    private void refs(long va, long npages, int refs) {
        st.mdCheckRefs(va, npages * P, refs);
        assertTrue(Invariants.check(m).ok(), () -> Invariants.check(m).toString());
    }

    @Test
    void checkOrderOfIommufdIoasMapFile() {
        int[] fgets = {0};
        IntFunction<MappedFile> counting = fd -> {
            fgets[0]++;
            return fget.apply(fd);
        };
        // flags, then ULONG_MAX, then READABLE|WRITEABLE, then the IOAS: all before the fd
        errno(EOPNOTSUPP, () -> ctx.ioasMapFile(99, 1 << 3, -1, 0, 0, ULONG_MAX, counting));
        errno(EOVERFLOW, () -> ctx.ioasMapFile(99, 0, -1, 0, ULONG_MAX, 0, counting));
        errno(EOVERFLOW, () -> ctx.ioasMapFile(99, 0, -1, 0, P, ULONG_MAX, counting));
        errno(EINVAL, () -> ctx.ioasMapFile(99, 0, -1, 0, 0, 0, counting));
        errno(ENOENT, () -> ctx.ioasMapFile(99, RW, -1, 0, 0, 0, counting));
        // iopt_map_file_pages(): length 0, then start + length - 1 overflowing, then fget
        errno(EINVAL, () -> ctx.ioasMapFile(ioas, RW, -1, 0, 0, 0, counting));
        errno(EOVERFLOW, () -> ctx.ioasMapFile(ioas, RW, -1, -P, 2 * P, 0, counting));
        assertEquals(0, fgets[0]);
        errno(EBADF, () -> ctx.ioasMapFile(ioas, RW, 3, 0, P, 0, counting));
        assertEquals(1, fgets[0]);
        // iopt_alloc_pages(): a length above SIZE_MAX - PAGE_SIZE
        errno(EINVAL, () -> ctx.ioasMapFile(ioas, RW, MFD, 0, -P + 1, 0, counting));
        assertTrue(Invariants.check(m).ok());
    }

    @Test
    void pinsAreOnTheFilePagesAndSeenThroughItsMapping() {
        st.mockDomain(ioas, 0);
        long iova = mapFile(RW, MFD, P, 3 * P, 0);
        refs(MAPPING, 1, 0);
        refs(MAPPING + P, 3, 1); // the file pages 1..3, through the shared mapping
        refs(MAPPING + 4 * P, 12, 0);
        refs(BUF, 16, 0); // anonymous memory of the same process is not touched
        errno(EIO, () -> st.mdCheckRefs(MAPPING + P, P, 0));
        int hwpt = st.mockDomain(ioas, 0).outHwptId();
        st.mdCheckMap(hwpt, iova, 3 * P, MAPPING + P);
        errno(EINVAL, () -> st.mdCheckMap(hwpt, iova, P, MAPPING)); // another file page
        errno(EINVAL, () -> st.mdCheckMap(hwpt, iova, P, BUF + P)); // anonymous memory
        // a second MAP_FILE of the same pages pins them again (another iopt_pages)
        long iova2 = mapFile(RW, MFD, 2 * P, P, 0);
        refs(MAPPING + 2 * P, 1, 2);
        ctx.ioasUnmap(ioas, iova, 3 * P);
        refs(MAPPING + 2 * P, 1, 1);
        ctx.ioasUnmap(ioas, iova2, P);
        refs(MAPPING, 16, 0);
    }

    @Test
    void memfdPinFoliosRefusesPagesAtOrPastTheEndAndOtherFiles() {
        st.mockDomain(ioas, 0);
        errno(EINVAL, () -> mapFile(RW, MFD, 0, 16 * P + 1, 0)); // the test's buf_size + 1
        errno(EINVAL, () -> mapFile(RW, MFD, 15 * P, 2 * P, 0));
        memfd = MappedFile.of(ID, 0, true); // ftruncate(mfd, 0)
        errno(EINVAL, () -> mapFile(RW, MFD, 0, P, 0));
        memfd = MappedFile.of(ID, 16 * P, false); // a regular file: not shmem or hugetlbfs
        errno(EINVAL, () -> mapFile(RW, MFD, 0, P, 0));
        refs(MAPPING, 16, 0);
    }

    @Test
    void withoutADomainNothingIsPinnedUntilAnAccessOrDomainComes() {
        long iova = mapFile(FIXED, MFD, 0, 4 * P, MOCK_START);
        refs(MAPPING, 16, 0);
        int fd = st.createAccess(ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
        int item = st.accessPages(fd, iova, 4 * P, MAPPING, 0); // the pages are the mapping's
        refs(MAPPING, 4, 1);
        errno(dev.iommufdsim.kernel.uapi.Errno.EBADE, () -> st.accessPages(fd, iova, 4 * P, BUF, 0));
        st.mockDomain(ioas, 0);
        refs(MAPPING, 4, 1); // one pin per iopt_pages, whatever holds it
        st.destroyAccessPages(fd, item);
        refs(MAPPING, 4, 1);
        ctx.ioasUnmap(ioas, iova, 4 * P);
        refs(MAPPING, 16, 0);
        assertThrows(UnsupportedOperationException.class, () -> {
            long i = mapFile(FIXED, MFD, 0, P, MOCK_START);
            st.accessRw(fd, i, 8, BUF, 0);
        });
    }
}
