package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.Selftest.MOCK_ACCESS_RW_SLOW_PATH;
import static dev.iommufdsim.kernel.Selftest.MOCK_ACCESS_RW_WRITE;
import static dev.iommufdsim.kernel.Selftest.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
import static dev.iommufdsim.kernel.Selftest.MOCK_FLAGS_ACCESS_SYZ;
import static dev.iommufdsim.kernel.Selftest.MOCK_FLAGS_ACCESS_WRITE;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.uapi.Errno.EADDRINUSE;
import static dev.iommufdsim.kernel.uapi.Errno.EBADE;
import static dev.iommufdsim.kernel.uapi.Errno.EBADF;
import static dev.iommufdsim.kernel.uapi.Errno.EBADFD;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EDEADLOCK;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.check.Invariants;
import dev.iommufdsim.kernel.check.Snapshot;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * In-kernel accesses (device.c iommufd_access_*, pages.c iopt_area_add_access and
 * iopt_pages_rw_access) driven by the selftest's access ops (selftest.c), as the kernel's
 * iommufd_ioas.access_* and iommufd_mock_domain.user_copy tests use them.
 */
class AccessTest {
    static final long P = 4096;
    static final long BUF = 0x7f0000000000L;
    static final long BUF_SIZE = 16 * P;
    static final long TMP = 0x7e0000000000L;
    static final long MOCK_START = TestDrivers.MOCK_APERTURE_START;
    static final int PIN = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;

    private Machine m;
    private TestProcess proc;
    private IommufdCtx ctx;
    private Selftest st;
    private int ioas;

    @BeforeEach
    void setUp() {
        m = TestDrivers.machine();
        proc = new TestProcess().map(BUF, BUF_SIZE, true).map(TMP, BUF_SIZE, true);
        ctx = m.open();
        ctx.setUserMemory(proc);
        st = ctx.selftest();
        ioas = ctx.ioasAlloc(0);
    }

    private void ok() {
        assertTrue(Invariants.check(m).ok(), () -> Invariants.check(m).toString());
    }

    @Test
    void theAccessIsAnObjectHeldByItsFd() {
        int fd = st.createAccess(ioas, PIN);
        assertEquals(4, fd); // the fds start after stdio and the iommufd
        assertEquals(3, ctx.ioasAlloc(0)); // the access object took ID 2
        assertEquals(ObjType.ACCESS, ctx.object(2).type());
        errno(EBUSY, () -> ctx.destroy(2)); // its driver holds it
        errno(EBUSY, () -> ctx.destroy(ioas)); // it holds its IOAS
        ok();
        ctx.closeFd(fd);
        errno(EBADF, () -> ctx.closeFd(fd));
        errno(EBADFD, () -> st.accessPages(fd, MOCK_START, P, 0, 0));
        ctx.destroy(ioas);
        ok();
    }

    @Test
    void createAccessChecksFlagsThenTheIoas() {
        errno(EOPNOTSUPP, () -> st.createAccess(ioas, 2));
        errno(ENOENT, () -> st.createAccess(99, 0));
        assertEquals(2, ctx.ioasAlloc(0)); // the failed access gave its ID back
        // a pinning access needs PAGE_SIZE alignment: a 2 KiB-aligned area refuses it
        st.mockDomain(ioas, 0);
        ctx.ioasMap(ioas, FIXED, BUF + 2048, 2048, MOCK_START + 2048, 0);
        errno(EADDRINUSE, () -> st.createAccess(ioas, PIN));
        st.createAccess(ioas, 0); // a non-pinning access needs nothing
        assertEquals(2048, ((Ioas) ctx.object(ioas)).iopt().iovaAlignment());
        ok();
    }

    @Test
    void accessPinsPagesOnceAndKeepsThemAcrossDomains() {
        int fd = st.createAccess(ioas, PIN);
        ctx.ioasMap(ioas, FIXED, BUF, BUF_SIZE, MOCK_START, 0);
        int a = st.accessPages(fd, MOCK_START, 4 * P, BUF, 0);
        assertEquals(0, a);
        st.mdCheckRefs(BUF, 4 * P, 1);
        st.mdCheckRefs(BUF + 4 * P, 12 * P, 0);
        int b = st.accessPages(fd, MOCK_START, 4 * P, BUF, 0); // the same range: one more user
        assertEquals(1, b);
        st.mdCheckRefs(BUF, 4 * P, 1);
        Selftest.MockDomain md = st.mockDomain(ioas, 0); // the domain reads the pinned pages
        st.mdCheckRefs(BUF, 16 * P, 1);
        ctx.destroy(md.outStdevId());
        st.mdCheckRefs(BUF, 4 * P, 1); // still held by the access
        st.mdCheckRefs(BUF + 4 * P, 12 * P, 0);
        st.destroyAccessPages(fd, b);
        st.destroyAccessPages(fd, a);
        errno(ENOENT, () -> st.destroyAccessPages(fd, a));
        st.mdCheckRefs(BUF, 16 * P, 0);
        ok();
    }

    @Test
    void accessPagesFollowsTheKernelsChecks() {
        int fd = st.createAccess(ioas, PIN);
        int noPin = st.createAccess(ioas, 0);
        ctx.ioasMap(ioas, FIXED, BUF, 4 * P, MOCK_START, 0);
        ctx.ioasMap(ioas, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE, BUF + 8 * P, 2 * P, MOCK_START + 8 * P, 0);
        Snapshot before = Snapshot.of(m);
        errno(ENOMEM, () -> st.accessPages(fd, MOCK_START, (16 << 20) + 1, 0, 0));
        errno(EOPNOTSUPP, () -> st.accessPages(fd, MOCK_START, P, 0, 2));
        errno(EBADFD, () -> st.accessPages(99, MOCK_START, P, 0, 0));
        errno(EOPNOTSUPP, () -> st.accessPages(noPin, MOCK_START, P, 0, 0));
        errno(EINVAL, () -> st.accessPages(fd, MOCK_START, 0, 0, 0));
        errno(EOVERFLOW, () -> st.accessPages(fd, -P, 2 * P, 0, 0));
        errno(ENOENT, () -> st.accessPages(fd, MOCK_START, 8 * P, 0, 0)); // a hole after page 3
        errno(EINVAL, () -> st.accessPages(fd, MOCK_START + 100, P, 0, 0)); // not a page start
        errno(EPERM, () -> st.accessPages(fd, MOCK_START + 8 * P, P, 0, MOCK_FLAGS_ACCESS_WRITE));
        errno(EBADE, () -> st.accessPages(fd, MOCK_START, 2 * P, BUF + P, 0)); // not the pages at uptr
        errno(EFAULT, () -> st.accessPages(fd, MOCK_START, 2 * P, 0x1000, 0)); // uptr not mapped
        assertEquals(before, Snapshot.of(m), () -> before.diff(Snapshot.of(m), 5));
        st.accessPages(fd, MOCK_START + 8 * P, 2 * P, BUF + 8 * P, 0); // read-only pages, read access
        st.mdCheckRefs(BUF + 8 * P, 2 * P, 1);
        // syzkaller IOVAs: {nth area, offset}: area 1 at offset 0
        st.accessPages(fd, 1, P, BUF + 8 * P, MOCK_FLAGS_ACCESS_SYZ);
        st.mdCheckRefs(BUF + 8 * P, P, 1);
        ok();
    }

    @Test
    void unmapOfAPinnedRangeAsksTheAccessToUnpin() {
        // access_pin_unmap
        int fd = st.createAccess(ioas, PIN);
        ctx.ioasMap(ioas, FIXED, BUF, BUF_SIZE, MOCK_START, 0);
        int id = st.accessPages(fd, MOCK_START, BUF_SIZE, BUF, 0);
        errno(ENOENT, () -> ctx.ioasUnmap(ioas, MOCK_START, P)); // part of the area: ENOENT first
        assertEquals(BUF_SIZE, ctx.ioasUnmap(ioas, MOCK_START, BUF_SIZE));
        errno(ENOENT, () -> st.destroyAccessPages(fd, id)); // the unmap op removed it
        st.mdCheckRefs(BUF, BUF_SIZE, 0);
        ok();
    }

    @Test
    void closingTheAccessFdUnpinsAndDestroysIt() {
        int fd = st.createAccess(ioas, PIN);
        ctx.ioasMap(ioas, FIXED, BUF, BUF_SIZE, MOCK_START, 0);
        st.accessPages(fd, MOCK_START, 2 * P, BUF, 0);
        st.accessPages(fd, MOCK_START + 4 * P, 2 * P, BUF + 4 * P, 0);
        ctx.closeFd(fd);
        st.mdCheckRefs(BUF, BUF_SIZE, 0);
        ctx.destroy(ioas);
        ok();
        // and the context's close does the same for a leaked access fd
        int ioas2 = ctx.ioasAlloc(0);
        int fd2 = st.createAccess(ioas2, PIN);
        ctx.ioasMap(ioas2, FIXED, BUF, BUF_SIZE, MOCK_START, 0);
        st.accessPages(fd2, MOCK_START, BUF_SIZE, BUF, 0);
        ctx.close();
        assertTrue(m.userPagePins().isEmpty());
        assertTrue(Invariants.checkClosed(ctx).ok(), () -> Invariants.checkClosed(ctx).toString());
    }

    @Test
    void replaceMovesTheAccessAndUnpinsTheOldIoas() {
        // user_copy: pin in an IOAS without domains, copy into one with, replace, copy again
        int dst = ctx.ioasAlloc(0);
        st.mockDomain(dst, 0);
        long src = ctx.ioasMap(ioas, IOMMU_IOAS_MAP_READABLE | 2, BUF, BUF_SIZE, 0, 0);
        int fd = st.createAccess(ioas, PIN);
        int id = st.accessPages(fd, src, BUF_SIZE, BUF, 0);
        ctx.ioasCopy(FIXED, dst, ioas, BUF_SIZE, MOCK_START, src);
        st.mdCheckRefs(BUF, BUF_SIZE, 1); // one iopt_pages: the access and the copy share it
        int next = ctx.ioasAlloc(0);
        long src2 = ctx.ioasMap(next, IOMMU_IOAS_MAP_READABLE | 2, BUF, BUF_SIZE, 0, 0);
        errno(ENOENT, () -> st.accessReplaceIoas(fd, 99));
        st.accessReplaceIoas(fd, next);
        errno(ENOENT, () -> st.destroyAccessPages(fd, id)); // replace unmapped everything
        st.mdCheckRefs(BUF, BUF_SIZE, 1); // the copy in dst holds the old pages
        ctx.ioasUnmap(dst, MOCK_START, BUF_SIZE);
        st.mdCheckRefs(BUF, BUF_SIZE, 0);
        ctx.destroy(ioas); // no longer held by the access
        int id2 = st.accessPages(fd, src2, BUF_SIZE, BUF, 0);
        assertEquals(1, id2);
        ctx.ioasCopy(FIXED, dst, next, BUF_SIZE, MOCK_START, src2);
        st.destroyAccessPages(fd, id2);
        st.mdCheckRefs(BUF, BUF_SIZE, 1);
        ctx.closeFd(fd);
        ctx.destroy(next);
        st.mdCheckRefs(BUF, BUF_SIZE, 1); // the copy in dst
        ok();
    }

    private void fill(long va, int n, Random r) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        proc.write(va, b);
    }

    @Test
    void rwCopiesThroughTheIovasFastAndSlow() {
        // access_rw and access_rw_unaligned
        Random r = new Random(1);
        for (long iova : new long[] {MOCK_START, MOCK_START + 2048}) {
            int fd = st.createAccess(ioas, 0);
            ctx.ioasMap(ioas, FIXED, BUF, BUF_SIZE, iova, 0);
            for (int flags : new int[] {0, MOCK_ACCESS_RW_SLOW_PATH}) {
                fill(BUF, (int) BUF_SIZE, r);
                for (long at = iova + P - 50; at < iova + P + 50; at += 7) {
                    for (int len = 1; len < 64; len += 9) {
                        st.accessRw(fd, at, len, TMP, flags);
                        assertArrayEquals(proc.read(BUF + (at - iova), len), proc.read(TMP, len));
                        fill(TMP, len, r);
                        st.accessRw(fd, at, len, TMP, flags | MOCK_ACCESS_RW_WRITE);
                        assertArrayEquals(proc.read(TMP, len), proc.read(BUF + (at - iova), len));
                    }
                }
                st.accessRw(fd, iova, BUF_SIZE, TMP, flags);
                assertArrayEquals(proc.read(BUF, (int) BUF_SIZE), proc.read(TMP, (int) BUF_SIZE));
            }
            ctx.ioasUnmap(ioas, iova, BUF_SIZE);
            ctx.closeFd(fd);
        }
        assertTrue(m.userPagePins().isEmpty()); // the slow path pins only while it copies
        ok();
    }

    @Test
    void rwFollowsTheKernelsChecks() {
        int fd = st.createAccess(ioas, 0);
        ctx.ioasMap(ioas, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE, BUF, P, MOCK_START, 0);
        errno(ENOMEM, () -> st.accessRw(fd, MOCK_START, (16 << 20) + 1, TMP, 0));
        errno(EOPNOTSUPP, () -> st.accessRw(fd, MOCK_START, 1, TMP, 1 << 1)); // IOMMUFD_ACCESS_RW_KTHREAD
        errno(EBADFD, () -> st.accessRw(42, MOCK_START, 1, TMP, 0));
        errno(EFAULT, () -> st.accessRw(fd, MOCK_START, 8, 0x1000, MOCK_ACCESS_RW_WRITE)); // the user buffer first
        errno(EINVAL, () -> st.accessRw(fd, MOCK_START, 0, TMP, 0));
        errno(ENOENT, () -> st.accessRw(fd, MOCK_START + P - 1, 2, TMP, 0)); // runs past the area
        errno(EPERM, () -> st.accessRw(fd, MOCK_START, 8, TMP, MOCK_ACCESS_RW_WRITE)); // a read-only area
        errno(EFAULT, () -> st.accessRw(fd, MOCK_START, 8, 0x1000, 0)); // the copy back
        ok();
    }

    @Test
    void rwOfAnotherProcesssPagesPinsThemFromIt() {
        // fork_present / fork_gone: the child mapped the shared buffer
        TestProcess child = proc.fork();
        int fd = st.createAccess(ioas, 0);
        ctx.setUserMemory(child);
        ctx.ioasMap(ioas, FIXED, BUF, BUF_SIZE, MOCK_START, 0);
        ctx.setUserMemory(proc);
        byte[] data = new byte[(int) BUF_SIZE];
        new Random(2).nextBytes(data);
        proc.write(BUF, data);
        st.accessRw(fd, MOCK_START, BUF_SIZE, TMP, 0); // alive: pinned from the child as it reads
        assertArrayEquals(data, proc.read(TMP, (int) BUF_SIZE));
        child.exit();
        errno(EFAULT, () -> st.accessRw(fd, MOCK_START, 2 * P, TMP, 0)); // gone, nothing pinned
        errno(EFAULT, () -> st.mockDomain(ioas, 0));
        assertTrue(m.userPagePins().isEmpty());
        ok();
    }

    @Test
    void rwOfAGoneProcesssPinnedPagesWorks() {
        TestProcess child = proc.fork();
        int fd = st.createAccess(ioas, 0);
        st.mockDomain(ioas, 0);
        ctx.setUserMemory(child);
        ctx.ioasMap(ioas, FIXED, BUF, BUF_SIZE, MOCK_START, 0); // pinned in the child's mm
        ctx.setUserMemory(proc);
        child.exit();
        st.mockDomain(ioas, 0); // from the first domain
        byte[] data = new byte[100];
        Arrays.fill(data, (byte) 7);
        proc.write(TMP, data);
        st.accessRw(fd, MOCK_START + P - 50, 100, TMP, MOCK_ACCESS_RW_WRITE);
        assertArrayEquals(data, proc.read(BUF + P - 50, 100));
        st.accessRw(fd, MOCK_START + 5, 1, TMP, 0); // one page of a gone process: the slow path
        ok();
    }

    @Test
    void anAccessThatKeepsItsPinsMakesUnmapGiveUp() {
        // a driver whose unmap op does not unpin: iopt_unmap_iova_range() asks 100 times, then EDEADLOCK
        int[] asked = {0};
        IommufdAccess access = IommufdAccess.create(ctx, new IommufdAccess.Ops() {
            @Override
            public boolean needsPinPages() {
                return true;
            }

            @Override
            public void unmap(long iova, long length) {
                asked[0]++;
            }
        });
        access.attach(ioas);
        ctx.ioasMap(ioas, FIXED, BUF, BUF_SIZE, MOCK_START, 0);
        access.pinPages(MOCK_START, P, false);
        errno(EDEADLOCK, () -> ctx.ioasUnmap(ioas, MOCK_START, BUF_SIZE));
        assertEquals(101, asked[0]);
        assertEquals(1, ((Ioas) ctx.object(ioas)).iopt().areaCount()); // the area stays, pinned
        st.mdCheckRefs(BUF, P, 1);
        errno(EINVAL, () -> access.pinPages(MOCK_START + P, P, false)); // prevent_access
        access.unpinPages(MOCK_START, P);
        assertEquals(BUF_SIZE, ctx.ioasUnmap(ioas, MOCK_START, BUF_SIZE));
        access.destroyUser();
        st.mdCheckRefs(BUF, BUF_SIZE, 0);
        ok();
    }
}
