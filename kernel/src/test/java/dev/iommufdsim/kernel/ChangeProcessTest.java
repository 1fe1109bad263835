package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.RW;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.check.Invariants;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IOMMU_IOAS_CHANGE_PROCESS (ioas.c iommufd_ioas_change_process): __reserved first, then
 * every area of every IOAS of the context must be file-backed (EINVAL, nothing changed);
 * then the pages' source process becomes the caller (change_mm), as change_process.basic of
 * the selftest does it from a forked child.
 */
class ChangeProcessTest {
    static final long P = 4096;
    static final long BUF = 0x7f0000000000L;
    static final long MAPPING = 0x7e0000000000L;
    static final MappedFile.Id ID = new MappedFile.Id(0, 1, 43);
    static final int MFD = 7;

    private Machine m;
    private TestProcess parent;
    private IommufdCtx ctx;
    private final MappedFile memfd = MappedFile.of(ID, 16 * P, true);
    private final IntFunction<MappedFile> fget = fd -> fd == MFD ? memfd : null;

    @BeforeEach
    void setUp() {
        m = TestDrivers.machine();
        parent = new TestProcess().map(BUF, 16 * P, true).mapFile(MAPPING, 16 * P, ID, 0);
        ctx = m.open();
        ctx.setUserMemory(parent);
    }

    @Test
    void checkOrderAndErrno() {
        ctx.ioasChangeProcess(0); // no IOAS at all: nothing to refuse
        int ioas = ctx.ioasAlloc(0);
        int other = ctx.ioasAlloc(0);
        ctx.ioasChangeProcess(0); // IOASes without areas
        ctx.selftest().mockDomain(ioas, 0);
        long fileIova = ctx.ioasMapFile(ioas, RW, MFD, 0, P, 0, fget);
        ctx.ioasChangeProcess(0);
        long userIova = ctx.ioasMap(other, RW, BUF, P, 0, 0);
        errno(EOPNOTSUPP, () -> ctx.ioasChangeProcess(1)); // __reserved before the areas
        errno(EINVAL, () -> ctx.ioasChangeProcess(0)); // a user-memory area in any IOAS
        Pages filePages = ctx.getIoas(ioas).iopt().areaAt(fileIova).pages();
        assertSame(parent, filePages.sourceMm(), "a refused change moves nothing");
        ctx.ioasUnmap(other, userIova, P);
        ctx.ioasChangeProcess(0);
        assertTrue(Invariants.check(m).ok(), () -> Invariants.check(m).toString());
    }

    @Test
    void aChildTakesThePagesOver() {
        int ioas = ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(ioas, 0);
        long iova = ctx.ioasMapFile(ioas, RW, MFD, 0, P, 0, fget);
        ctx.ioasMap(ioas, FIXED, MAPPING + P, P, iova + 0x100000, 0); // the memfd, but through user memory
        errno(EINVAL, () -> ctx.ioasChangeProcess(0));
        ctx.ioasUnmap(ioas, iova + 0x100000, P);
        TestProcess child = parent.fork();
        ctx.setUserMemory(child);
        ctx.ioasChangeProcess(0);
        Pages pages = ctx.getIoas(ioas).iopt().areaAt(iova).pages();
        assertSame(child, pages.sourceMm());
        child.exit();
        // the file's pages stay pinned (by the file, not the process) and the IOAS keeps working
        ctx.setUserMemory(parent);
        ctx.ioasUnmap(ioas, iova, P);
        assertTrue(Invariants.check(m).ok(), () -> Invariants.check(m).toString());
    }
}
