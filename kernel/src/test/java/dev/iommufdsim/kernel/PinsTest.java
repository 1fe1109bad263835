package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.RW;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.check.Invariants;
import dev.iommufdsim.kernel.check.Snapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which user pages the kernel holds pinned (pages.c): an iopt_pages pins its pages once while
 * an area of it has a storage domain or an access holds them, and IOMMU_TEST_OP_MD_CHECK_REFS
 * reads the counts (selftest.c iommufd_test_md_check_refs).
 */
class PinsTest {
    static final long P = 4096;
    static final long BUF = 0x7f0000000000L;
    static final long MOCK_START = TestDrivers.MOCK_APERTURE_START;

    private Machine m;
    private TestProcess proc;
    private IommufdCtx ctx;
    private Selftest st;

    @BeforeEach
    void setUp() {
        m = TestDrivers.machine();
        proc = new TestProcess().map(BUF, 16 * P, true);
        ctx = open(proc);
        st = ctx.selftest();
    }

    private IommufdCtx open(UserMemory process) {
        IommufdCtx c = m.open();
        c.setUserMemory(process);
        return c;
    }

    /** MD_CHECK_REFS of npages pages from va must be refs; and the invariants hold. */
    private void refs(long va, long npages, int refs) {
        st.mdCheckRefs(va, npages * P, refs);
        assertTrue(Invariants.check(m).ok(), () -> Invariants.check(m).toString());
    }

    @Test
    void aDomainPinsTheMappedPagesOnce() {
        int ioas = ctx.ioasAlloc(0);
        long iova = ctx.ioasMap(ioas, FIXED, BUF, 4 * P, MOCK_START, 0);
        refs(BUF, 16, 0); // no domain: nothing pinned
        st.mockDomain(ioas, 0);
        refs(BUF, 4, 1);
        refs(BUF + 4 * P, 12, 0);
        errno(EIO, () -> st.mdCheckRefs(BUF, 4 * P, 0));
        st.mockDomain(ioas, 0); // a second domain copies from the first: no second pin
        refs(BUF, 4, 1);
        ctx.ioasUnmap(ioas, iova, 4 * P);
        refs(BUF, 16, 0);
    }

    @Test
    void theLastDomainGoingUnpins() {
        int ioas = ctx.ioasAlloc(0);
        Selftest.MockDomain a = st.mockDomain(ioas, 0);
        Selftest.MockDomain b = st.mockDomain(ioas, 0);
        ctx.ioasMap(ioas, RW, BUF, 2 * P, 0, 0);
        refs(BUF, 2, 1);
        ctx.destroy(a.outStdevId());
        refs(BUF, 2, 1); // the other domain is the storage now
        ctx.destroy(b.outStdevId());
        refs(BUF, 2, 0);
    }

    @Test
    void copiesShareThePagesSeparateMapsDoNot() {
        int ioas = ctx.ioasAlloc(0);
        int other = ctx.ioasAlloc(0);
        st.mockDomain(ioas, 0);
        st.mockDomain(other, 0);
        long iova = ctx.ioasMap(ioas, RW, BUF, 4 * P, 0, 0);
        ctx.ioasCopy(RW, other, ioas, 4 * P, 0, iova); // IOAS_COPY: the same iopt_pages
        refs(BUF, 4, 1);
        ctx.ioasMap(other, RW, BUF + P, P, 0, 0); // a second IOAS_MAP of page 1: its own iopt_pages
        refs(BUF, 1, 1);
        refs(BUF + P, 1, 2);
        // another context of the same process counts on the same pages
        IommufdCtx ctx2 = open(proc);
        int ioas2 = ctx2.ioasAlloc(0);
        ctx2.selftest().mockDomain(ioas2, 0);
        ctx2.ioasMap(ioas2, RW, BUF, P, 0, 0);
        refs(BUF, 1, 2);
        ctx2.selftest().mdCheckRefs(BUF + P, P, 2);
        ctx2.close();
        refs(BUF, 1, 1);
        // another process's pages are its own
        TestProcess stranger = new TestProcess().map(BUF, 16 * P, true);
        open(stranger).selftest().mdCheckRefs(BUF, 4 * P, 0);
        ctx.close();
        refs(BUF, 16, 0);
    }

    @Test
    void unalignedMapsPinEveryPageTheyTouch() {
        // all_aligns: buf + start .. buf + end pins the pages from ALIGN_DOWN(start) to ALIGN(end)
        int ioas = ctx.ioasAlloc(0);
        st.mockDomain(ioas, 0);
        long iova = ctx.ioasMap(ioas, RW, BUF + 2048, 3 * P, 0, 0);
        refs(BUF, 4, 1);
        refs(BUF + 4 * P, 1, 0);
        ctx.ioasUnmap(ioas, iova, 3 * P);
        refs(BUF, 16, 0);
    }

    @Test
    void pinnedPagesOutliveMunmap() {
        int ioas = ctx.ioasAlloc(0);
        st.mockDomain(ioas, 0);
        ctx.ioasMap(ioas, FIXED, BUF, 4 * P, MOCK_START, 0);
        proc.munmap(BUF, 16 * P);
        st.mockDomain(ioas, 0); // copies from the first domain: nothing to pin
        errno(EFAULT, () -> st.mdCheckRefs(BUF, P, 1)); // get_user_pages_fast of an unmapped page
        ctx.ioasUnmap(ioas, MOCK_START, 4 * P);
        assertTrue(m.userPagePins().isEmpty());
    }

    @Test
    void aFirstDomainOverUnmappedMemoryFailsAndPinsNothing() {
        int ioas = ctx.ioasAlloc(0);
        ctx.ioasMap(ioas, FIXED, BUF, 2 * P, MOCK_START, 0);
        ctx.ioasMap(ioas, FIXED, BUF + 8 * P, 2 * P, MOCK_START + 8 * P, 0);
        proc.munmap(BUF + 8 * P, P);
        Snapshot before = Snapshot.of(m);
        errno(EFAULT, () -> st.mockDomain(ioas, 0)); // the second area cannot be pinned
        assertEquals(before, Snapshot.of(m), () -> before.diff(Snapshot.of(m), 5));
        refs(BUF, 2, 0);
    }

    @Test
    void aGoneProcessPinsNothingMoreButKeepsWhatWasPinned() {
        // fork_gone: the child maps and exits
        int ioas = ctx.ioasAlloc(0);
        TestProcess child = proc.fork();
        ctx.setUserMemory(child);
        ctx.ioasMap(ioas, FIXED, BUF, 4 * P, MOCK_START, 0);
        child.exit();
        ctx.setUserMemory(proc);
        errno(EFAULT, () -> st.mockDomain(ioas, 0)); // nothing pinned yet: needs the child's mm

        int ioas2 = ctx.ioasAlloc(0);
        st.mockDomain(ioas2, 0);
        TestProcess child2 = proc.fork();
        ctx.setUserMemory(child2);
        ctx.ioasMap(ioas2, FIXED, BUF, 4 * P, MOCK_START, 0); // pinned in the child
        child2.exit();
        ctx.setUserMemory(proc);
        st.mockDomain(ioas2, 0); // copies from the first domain
        refs(BUF, 4, 0); // the pins are the child's pages
        assertTrue(Invariants.check(m).ok());
    }

    @Test
    void writeableAreasPinWithFollWrite() {
        long ro = BUF + 32 * P;
        proc.map(ro, 2 * P, false);
        int ioas = ctx.ioasAlloc(0);
        st.mockDomain(ioas, 0);
        errno(EFAULT, () -> ctx.ioasMap(ioas, RW, ro, 2 * P, 0, 0));
        ctx.ioasMap(ioas, IOMMU_IOAS_MAP_READABLE, ro, 2 * P, 0, 0);
        refs(ro, 2, 1);
    }

    @Test
    void halfUnmappedMemoryFailsWholeAndLeavesNoPin() {
        int ioas = ctx.ioasAlloc(0);
        st.mockDomain(ioas, 0);
        proc.munmap(BUF + 8 * P, 8 * P);
        errno(EFAULT, () -> ctx.ioasMap(ioas, RW, BUF, 16 * P, 0, 0));
        refs(BUF, 8, 0);
        assertEquals(0, ((Ioas) ctx.object(ioas)).iopt().areaCount());
    }

    @Test
    void checkRefsFollowsTheKernelsOrderOfChecks() {
        errno(EINVAL, () -> st.mdCheckRefs(BUF + 1, P, 0));
        errno(EINVAL, () -> st.mdCheckRefs(BUF, 100, 0));
        errno(EINVAL, () -> st.mdCheckRefs(-P, 2 * P, 0)); // uptr + length overflows
        st.mdCheckRefs(0x1000, 0, 5); // nothing to check
        errno(EFAULT, () -> st.mdCheckRefs(0x1000, P, 0));
        int ioas = ctx.ioasAlloc(0);
        st.mockDomain(ioas, 0);
        ctx.ioasMap(ioas, RW, BUF + 2 * P, P, 0, 0);
        // page 0 and 1 count 0 = refs; page 2 counts 1: EIO before reaching the unmapped tail
        errno(EIO, () -> st.mdCheckRefs(BUF, 32 * P, 0));
        // page 0 counts 0, not 1: EIO at once, the unmapped tail never looked at
        errno(EIO, () -> st.mdCheckRefs(BUF, 32 * P, 1));
        // pages 2..15 mapped; the first page off the mapping faults before any mismatch
        proc.munmap(BUF, 2 * P);
        errno(EFAULT, () -> st.mdCheckRefs(BUF, 3 * P, 0));
        st.mdCheckRefs(BUF + 2 * P, P, 1);
    }

    @Test
    void compoundPagesAreNotCounted() {
        proc.huge(BUF + 4 * P, 4 * P);
        int ioas = ctx.ioasAlloc(0);
        st.mockDomain(ioas, 0);
        ctx.ioasMap(ioas, RW, BUF + 4 * P, 4 * P, 0, 0);
        st.mdCheckRefs(BUF + 4 * P, 4 * P, 0);
        st.mdCheckRefs(BUF + 4 * P, 4 * P, 7);
        errno(EIO, () -> st.mdCheckRefs(BUF + 4 * P, 5 * P, 7)); // the page after them counts 0
    }

    @Test
    void closingTheContextUnpinsEverything() {
        int ioas = ctx.ioasAlloc(0);
        st.mockDomain(ioas, 0);
        ctx.ioasMap(ioas, RW, BUF, 16 * P, 0, 0);
        ctx.ioasMap(ioas, IOMMU_IOAS_MAP_FIXED_IOVA | RW, BUF, 16 * P, MOCK_START + 0x100000, 0);
        refs(BUF, 16, 2);
        ctx.close();
        assertTrue(m.userPagePins().isEmpty());
        assertTrue(Invariants.checkClosed(ctx).ok(), () -> Invariants.checkClosed(ctx).toString());
    }
}
