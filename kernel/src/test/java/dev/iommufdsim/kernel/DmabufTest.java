package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.RW;
import static dev.iommufdsim.kernel.uapi.Errno.EBADF;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.check.Invariants;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * dma-bufs of the selftest exporter (selftest.c iommufd_test_dmabuf_get / _revoke) mapped by
 * IOMMU_IOAS_MAP_FILE (io_pagetable.c iopt_map_file_pages, pages.c iopt_alloc_dmabuf_pages,
 * iopt_revoke_notify), as iommufd_ioas.*.dmabuf_simple / dmabuf_revoke use them.
 */
class DmabufTest {
    static final long P = 4096;
    static final long MOCK_START = TestDrivers.MOCK_APERTURE_START;

    private Machine m;
    private IommufdCtx ctx;
    private Selftest st;
    private int ioas;
    private final Map<Integer, Dmabuf> fds = new HashMap<>();
    private final MappedFile plain = MappedFile.of(new MappedFile.Id(0, 1, 9), 16 * P, true);

    @BeforeEach
    void setUp() {
        m = TestDrivers.machine();
        ctx = m.open();
        ctx.setUserMemory(new TestProcess());
        st = ctx.selftest();
        ioas = ctx.ioasAlloc(0);
    }

    private int get(long length) {
        Dmabuf d = st.dmabufGet((int) length, 0);
        int fd = 10 + fds.size();
        fds.put(fd, d);
        return fd;
    }

    private MappedFile fget(int fd) {
        return fd == 3 ? plain : null;
    }

    private long mapFile(int flags, int fd, long start, long length, long iova) {
        return ctx.ioasMapFile(ioas, flags, fd, start, length, iova, fds::get, this::fget);
    }

    private void ok() {
        assertTrue(Invariants.check(m).ok(), () -> Invariants.check(m).toString());
    }

    @Test
    void dmabufGetRoundsToPagesAndTakesOneTo512() {
        errno(EINVAL, () -> st.dmabufGet(0, 0));
        errno(EINVAL, () -> st.dmabufGet((int) (512 * P + 1), 0));
        assertEquals(P, st.dmabufGet(1, 0).size());
        assertEquals(512 * P, st.dmabufGet((int) (512 * P), 0).size());
    }

    /** dmabuf_simple: the range checks of iopt_map_file_pages and iopt_alloc_dmabuf_pages. */
    @Test
    void mapChecksTheRangeAgainstTheBuffer() {
        int dfd = get(4 * P);
        errno(EINVAL, () -> mapFile(RW, dfd, 0, 0, 0)); // length 0
        errno(EINVAL, () -> mapFile(RW, dfd, 4 * P, 4 * P, 0)); // past the end
        errno(EINVAL, () -> mapFile(RW, dfd, 0, 4 * P + 1, 0));
        st.mockDomain(ioas, 0);
        long iova = mapFile(RW, dfd, 0, 4 * P, 0);
        ok(); // no user page is pinned
        assertTrue(m.userPagePins().isEmpty());
        assertEquals(4 * P, ctx.ioasUnmap(ioas, iova, 4 * P));
        ok();
    }

    @Test
    void revokeUnmapsForGoodAndMapIsEnodevWhileRevoked() {
        int dfd = get(4 * P);
        Selftest.MockDomain md = st.mockDomain(ioas, 0);
        long iova = mapFile(FIXED, dfd, 0, 4 * P, MOCK_START);
        st.mdCheckMap(md.outHwptId(), iova, P, 0); // the dma-buf's offset 0 (the emulator's "physical" address)
        PhysDevice dev = ctx.getDevice(md.outIdevId()).physDevice();
        DeviceDma.write(dev, iova, 4 * P);
        st.dmabufRevoke(dfd, true, fds::get, this::fget);
        errno(EINVAL, () -> st.mdCheckMap(md.outHwptId(), iova, P, 0)); // no longer translated
        IommufdException e = errno(EFAULT, () -> DeviceDma.write(dev, iova + P, P)); // nor for the device
        assertTrue(e.reason().endsWith("is not mapped (its dma-buf was revoked)"), e.reason());
        st.mockDomain(ioas, 0); // iopt_area_fill_domain() skips revoked pages
        errno(ENODEV, () -> mapFile(RW, dfd, 0, 4 * P, 0));
        st.dmabufRevoke(dfd, false, fds::get, this::fget);
        long iova2 = mapFile(RW, dfd, 0, 4 * P, 0);
        errno(EINVAL, () -> st.mdCheckMap(md.outHwptId(), iova, P, 0)); // the first area stays revoked
        st.mdCheckMap(md.outHwptId(), iova2, P, 0);
        assertEquals(4 * P, ctx.ioasUnmap(ioas, iova, 4 * P));
        assertEquals(MOCK_START, mapFile(FIXED, dfd, 0, 4 * P, MOCK_START));
        ok();
    }

    @Test
    void revokeLooksTheFdUp() {
        errno(EBADF, () -> st.dmabufRevoke(99, true, fds::get, this::fget));
        errno(EINVAL, () -> st.dmabufRevoke(3, true, fds::get, this::fget)); // a file, not a dma-buf
    }

    @Test
    void accessesRefuseDmabufPages() {
        int dfd = get(4 * P);
        long iova = mapFile(FIXED, dfd, 0, 4 * P, MOCK_START);
        int fd = st.createAccess(ioas, Selftest.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
        errno(EINVAL, () -> st.accessPages(fd, iova, P, 0, 0));
        errno(EINVAL, () -> st.accessRw(fd, iova, 8, 0, 0));
        assertFalse(m.userPagePins().anyFilePinned());
        ok();
    }
}
