package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.uapi.Errno.EADDRINUSE;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_WRITEABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Section 9.H of the fact sheet, whose every value the real 6.12 and 7.2 kernels gave
 * (../shared/oracle/examples/worked-9H.ops.out).
 */
class WorkedScriptTest {
    static final long V = 0x400000000000L; // the oracle runner's 2 MiB-aligned buffer
    static final int RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    static final int FIXED = RW | IOMMU_IOAS_MAP_FIXED_IOVA;

    @Test
    void workedScriptOfSection9H() {
        IommufdCtx ctx = TestDrivers.machine().open();
        Selftest st = ctx.selftest();
        assertEquals(1, ctx.ioasAlloc(0));
        assertEquals(new IommufdCtx.IovaRanges(1, 1, List.of(new IovaRange(0, -1L))), ctx.ioasIovaRanges(1, 64, 0));
        assertEquals(0x4000, ctx.ioasMap(1, RW, V, 0x4000, 0, 0));
        errno(EADDRINUSE, () -> st.mockDomain(1, 0));
        assertEquals(0x4000, ctx.ioasUnmap(1, 0x4000, 0x4000));
        assertEquals(new Selftest.MockDomain(2, 4, 3), st.mockDomain(1, 0));
        assertEquals(new IommufdCtx.IovaRanges(1, 0x800, List.of(new IovaRange(0x1000000, 0x7fffffff))), ctx.ioasIovaRanges(1, 64, 0));
        assertEquals(0x1000000, ctx.ioasMap(1, RW, V, 0x4000, 0, 0));
        st.addReserved(1, 0x2000000, 0x1000);
        assertEquals(List.of(new IovaRange(0x1000000, 0x1ffffff), new IovaRange(0x2001000, 0x7fffffff)), ctx.ioasIovaRanges(1, 64, 0).ranges());
        errno(EINVAL, () -> ctx.ioasMap(1, FIXED, V, 0x1000, 0x2000000, 0));
        errno(EEXIST, () -> ctx.ioasMap(1, FIXED, V, 0x1000, 0x1000000, 0));
        errno(EINVAL, () -> ctx.ioasMap(1, FIXED, V, 0x1000, 0x800, 0));
        assertEquals(0x3000000, ctx.ioasMap(1, FIXED, V, 0x800, 0x3000000, 0));
        errno(EBUSY, () -> ctx.destroy(1));
        errno(EBUSY, () -> ctx.destroy(4));
        errno(EBUSY, () -> ctx.destroy(3));
        ctx.destroy(2);
        errno(ENOENT, () -> ctx.destroy(4));
        assertEquals(new IommufdCtx.IovaRanges(2, 1, List.of(new IovaRange(0, 0x1ffffff), new IovaRange(0x2001000, -1L))), ctx.ioasIovaRanges(1, 64, 0));
        assertEquals(2, ctx.ioasAlloc(0));
        ctx.destroy(1);
        assertEquals(1, ctx.ioasAlloc(0));
    }

    @Test
    void basicsOps() {
        // ../shared/oracle/examples/basics.ops.out
        IommufdCtx ctx = TestDrivers.machine().open();
        assertEquals(1, ctx.ioasAlloc(0));
        assertEquals(new Selftest.MockDomain(2, 4, 3), ctx.selftest().mockDomain(1, 0));
        assertEquals(0x1000000, ctx.ioasMap(1, RW, V, 0x4000, 0, 0));
        assertEquals(0x2000000, ctx.ioasMap(1, FIXED, V + 0x10000, 0x1000, 0x2000000, 0));
        assertEquals(new IommufdCtx.IovaRanges(1, 0x800, List.of(new IovaRange(0x1000000, 0x7fffffff))), ctx.ioasIovaRanges(1, 64, 0));
        errno(EINVAL, () -> ctx.ioasMap(1, FIXED, V, 0x1000, 0x1000, 0));
        errno(EBUSY, () -> ctx.destroy(1));
        ctx.destroy(2);
        ctx.destroy(1);
    }
}
