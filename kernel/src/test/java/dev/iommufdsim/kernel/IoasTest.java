package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.RW;
import static dev.iommufdsim.kernel.WorkedScriptTest.V;
import static dev.iommufdsim.kernel.uapi.Errno.EADDRINUSE;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EMSGSIZE;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.ENOSPC;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_HUGE_PAGES;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_OP_GET;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_OP_SET;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_RLIMIT_MODE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * IOAS rules of drivers/iommu/iommufd/ioas.c and io_pagetable.c, mostly the selftest cases
 * of tools/testing/selftests/iommu/iommufd.c (fixture iommufd_ioas, variants no_domain and
 * mock_domain) with their expected values.
 */
class IoasTest {
    static final long P = 4096;
    static final long MOCK_START = 0x1000000;

    /** The iommufd_ioas fixture: ioas 1, and for mock_domain a mock device (2, 3, hwpt 4). */
    static IommufdCtx fixture(boolean mock) {
        IommufdCtx ctx = TestDrivers.machine().open();
        assertEquals(1, ctx.ioasAlloc(0));
        if (mock) {
            ctx.selftest().mockDomain(1, 0);
        }
        return ctx;
    }

    @Test
    void destroyRules() {
        IommufdCtx ctx = TestDrivers.machine().open();
        errno(ENOENT, () -> ctx.destroy(0));
        errno(EOPNOTSUPP, () -> ctx.ioasAlloc(1));
        assertEquals(1, ctx.ioasAlloc(0)); // the failed call left no ID gap
        ctx.ioasMap(1, FIXED, V, P, 0, 0); // FIXED at IOVA 0 is legal
        ctx.destroy(1); // areas hold no reference (ioas_area_destroy)
        errno(ENOENT, () -> ctx.destroy(1));
        IommufdCtx mock = fixture(true);
        errno(EBUSY, () -> mock.destroy(1));
        errno(EBUSY, () -> mock.destroy(3)); // the binding driver holds the device
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void area(boolean mock) {
        IommufdCtx ctx = fixture(mock);
        long base = mock ? MOCK_START : 0;
        for (int i = 0; i < 10; i++) {
            long iova = i * P;
            errno(ENOENT, () -> ctx.ioasUnmap(1, iova, P));
        }
        for (int i = 0; i < 10; i++) {
            ctx.ioasMap(1, FIXED, V, P, base + i * P, 0);
        }
        for (int i = 0; i < 10; i++) {
            assertEquals(P, ctx.ioasUnmap(1, base + i * P, P));
        }
        ctx.ioasMap(1, FIXED, V, 2 * P, base + 16 * P, 0);
        errno(ENOENT, () -> ctx.ioasUnmap(1, base + 16 * P, P));
        errno(ENOENT, () -> ctx.ioasUnmap(1, base + 17 * P, P));
        errno(EEXIST, () -> ctx.ioasMap(1, FIXED, V, 2 * P, base + 16 * P, 0));
        errno(EEXIST, () -> ctx.ioasMap(1, FIXED, V, P, base + 16 * P, 0));
        errno(EEXIST, () -> ctx.ioasMap(1, FIXED, V, P, base + 17 * P, 0));
        errno(EEXIST, () -> ctx.ioasMap(1, FIXED, V, 2 * P, base + 15 * P, 0));
        errno(EEXIST, () -> ctx.ioasMap(1, FIXED, V, 3 * P, base + 15 * P, 0));
        assertEquals(2 * P, ctx.ioasUnmap(1, 0, -1L));
        assertEquals(0, ctx.ioasUnmap(1, 0, -1L));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void unmapFullyContainedAreas(boolean mock) {
        IommufdCtx ctx = fixture(mock);
        long base = (mock ? MOCK_START : 0) + 4 * P;
        for (int i = 0; i < 4; i++) {
            ctx.ioasMap(1, FIXED, V, 8 * P, base + i * 16 * P, 0);
        }
        errno(ENOENT, () -> ctx.ioasUnmap(1, base - 4 * P, 8 * P));
        errno(ENOENT, () -> ctx.ioasUnmap(1, base + 3 * 16 * P + 4 * P, 8 * P));
        assertEquals(32 * P, ctx.ioasUnmap(1, base - 4 * P, 3 * 16 * P + 8 * P + 4 * P));
    }

    @Test
    void unmapIsNotAllOrNothing() {
        IommufdCtx ctx = fixture(false);
        ctx.ioasMap(1, FIXED, V, P, 0x10000, 0);
        ctx.ioasMap(1, FIXED, V, 2 * P, 0x20000, 0);
        // The first area is removed before the partly covered second one fails.
        errno(ENOENT, () -> ctx.ioasUnmap(1, 0x10000, 0x11000));
        assertEquals(List.of(0x20000L), ctx.getIoas(1).iopt().areas().stream().map(Area::iova).toList());
    }

    @Test
    void autoIovaWorkedNumbers() {
        IommufdCtx ctx = fixture(false);
        assertEquals(0x1000, ctx.ioasMap(1, RW, V, P, 0, 0));
        assertEquals(0x2000, ctx.ioasMap(1, RW, V, P, 0, 0));
        assertEquals(0x4000, ctx.ioasMap(1, RW, V, 0x3000, 0, 0)); // roundup_pow_of_two(0x3000)
        assertEquals(0x8000, ctx.ioasMap(1, RW, V, 0x5000, 0, 0));
        IommufdCtx ctx2 = fixture(false);
        assertEquals(0x1000, ctx2.ioasMap(1, RW, V, 1, 0, 0));
        IommufdCtx ctx3 = fixture(false);
        assertEquals(0x1800, ctx3.ioasMap(1, RW, V + 0x800, 0x1000, 0, 0)); // sub-page offset kept
        assertEquals(MOCK_START, fixture(true).ioasMap(1, RW, V, P, 0, 0));
    }

    @Test
    void subPageOffsetBelowDomainAlignment() {
        IommufdCtx ctx = TestDrivers.machine().open();
        ctx.ioasAlloc(0);
        Machine m = ctx.machine();
        m.declareIommu("r", "regions", java.util.Map.of());
        PhysDevice d = m.declareDevice("d", "r", "0000:00:01.0", null, java.util.Map.of());
        int dev = ctx.vfioDeviceBind(d, 0);
        ctx.vfioDeviceAttach(dev, 0, 1, 0);
        errno(EINVAL, () -> ctx.ioasMap(1, RW, V + 0x800, 0x1000, 0, 0));
    }

    @Test
    void reservedOverflow() {
        IommufdCtx ctx = fixture(false);
        ctx.selftest().addReserved(1, 6, 0xffffffffffff8001L);
        errno(ENOSPC, () -> ctx.ioasMap(1, RW, V, 0x5000, 0, 0));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void areaAllowed(boolean mock) {
        IommufdCtx ctx = fixture(mock);
        long base = mock ? MOCK_START : 0;
        ctx.ioasAllowIovas(1, List.of(new IovaRange(base, base + 600 * P)), 0);
        errno(EADDRINUSE, () -> ctx.selftest().addReserved(1, base + P, P));
        ctx.ioasAllowIovas(1, List.of(), 0);
        ctx.selftest().addReserved(1, base + P, P);
        errno(EADDRINUSE, () -> ctx.ioasAllowIovas(1, List.of(new IovaRange(base, base + 600 * P)), 0));
    }

    @Test
    void allowIovasValidation() {
        IommufdCtx ctx = fixture(false);
        errno(EINVAL, () -> ctx.ioasAllowIovas(1, List.of(new IovaRange(0x1000, 0x1000)), 0));
        errno(EINVAL, () -> ctx.ioasAllowIovas(1, List.of(new IovaRange(0x1000, 0x2000), new IovaRange(0x2000, 0x3000)), 0));
        errno(EOPNOTSUPP, () -> ctx.ioasAllowIovas(1, List.of(), 1));
        errno(ENOENT, () -> ctx.ioasAllowIovas(2, List.of(), 0));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void areaAutoIova(boolean mock) {
        IommufdCtx ctx = fixture(mock);
        long va = mock ? V : 1L << 31;
        for (int i = 0; i != 10; i++) {
            long len = (i + 1) * P;
            long iova = ctx.ioasMap(1, RW, va, len, 0, 0);
            assertEquals(0, iova % IoPagetable.roundupPowOfTwo(len), "aligned to roundup_pow_of_two(length)");
            ctx.ioasUnmap(1, iova, len);
        }
        ctx.selftest().addReserved(1, 4 * P, 100 * P);
        errno(EADDRINUSE, () -> ctx.ioasAllowIovas(1, List.of(new IovaRange(P, 600 * P)), 0));
        IovaRange allow = mock ? new IovaRange(MOCK_START + P, MOCK_START + 600 * P - 1) : new IovaRange(200 * P, 600 * P - 1);
        ctx.ioasAllowIovas(1, List.of(allow), 0);
        for (int i = 0; i != 10; i++) {
            long len = (i + 1) * P;
            long iova = ctx.ioasMap(1, RW, va, len, 0, 0);
            assertTrue(iova >= allow.start() && iova + len - 1 <= allow.last());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void copyArea(boolean mock) {
        IommufdCtx ctx = fixture(mock);
        long base = mock ? MOCK_START : 0;
        ctx.ioasMap(1, FIXED, V, P, base, 0);
        assertEquals(base + P, ctx.ioasCopy(FIXED, 1, 1, P, base + P, base));
        int dst = ctx.ioasAlloc(0);
        assertEquals(mock ? 5 : 2, dst);
        assertEquals(0, ctx.ioasCopy(FIXED, dst, 1, P, 0, base));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void copySweep(boolean mock) {
        IommufdCtx ctx = fixture(mock);
        int dst = ctx.ioasAlloc(0);
        long buffer = 16 * P;
        long last = MOCK_START + buffer - (mock ? 1 : 2);
        ctx.ioasMap(1, FIXED, V, last - MOCK_START + 1, MOCK_START, 0);
        for (long src = MOCK_START - P; src <= last; src += 511) {
            long s = src;
            if (src < MOCK_START || src + 2047 > last) {
                errno(ENOENT, () -> ctx.ioasCopy(FIXED, dst, 1, 2048, MOCK_START, s));
            } else {
                assertEquals(MOCK_START, ctx.ioasCopy(FIXED, dst, 1, 2048, MOCK_START, s));
                ctx.ioasUnmap(dst, MOCK_START, 2048);
            }
        }
    }

    @Test
    void copyChecksOrder() {
        IommufdCtx ctx = fixture(false);
        ctx.ioasMap(1, FIXED | 0, V, P, 0x1000, 0);
        errno(EOPNOTSUPP, () -> ctx.ioasCopy(1 << 5, 1, 1, P, 0, 0x1000));
        errno(EOVERFLOW, () -> ctx.ioasCopy(FIXED, 1, 1, -1L, 0, 0x1000));
        errno(EINVAL, () -> ctx.ioasCopy(1, 1, 1, P, 0, 0x1000));
        errno(ENOENT, () -> ctx.ioasCopy(FIXED, 1, 7, P, 0x2000, 0x1000));
        errno(ENOENT, () -> ctx.ioasCopy(FIXED, 7, 1, P, 0x2000, 0x1000));
        // A read-only source cannot be copied WRITEABLE.
        ctx.ioasMap(1, IOMMU_IOAS_MAP_READABLE | dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA, V, P, 0x8000, 0);
        errno(EPERM, () -> ctx.ioasCopy(FIXED, 1, 1, P, 0x9000, 0x8000));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void iovaRanges(boolean mock) {
        IommufdCtx ctx = fixture(mock);
        IovaRange whole = mock ? new IovaRange(0x1000000, 0x7fffffff) : new IovaRange(0, -1L);
        assertEquals(new IommufdCtx.IovaRanges(1, mock ? 2048 : 1, List.of(whole)), ctx.ioasIovaRanges(1, 1, 0));
        IommufdException e = errno(EMSGSIZE, () -> ctx.ioasIovaRanges(1, 0, 0));
        assertEquals(1, ((IommufdCtx.IovaRanges) e.partialOutput()).numIovas());
        ctx.selftest().addReserved(1, P, P);
        if (mock) {
            assertEquals(List.of(whole), ctx.ioasIovaRanges(1, 1, 0).ranges());
        } else {
            assertEquals(List.of(new IovaRange(0, 0xfff), new IovaRange(0x2000, -1L)), ctx.ioasIovaRanges(1, 2, 0).ranges());
            IommufdException e2 = errno(EMSGSIZE, () -> ctx.ioasIovaRanges(1, 1, 0));
            IommufdCtx.IovaRanges partial = (IommufdCtx.IovaRanges) e2.partialOutput();
            assertEquals(2, partial.numIovas());
            assertEquals(List.of(new IovaRange(0, 0xfff)), partial.ranges());
        }
    }

    @Test
    void options() {
        IommufdCtx ctx = TestDrivers.machine().open();
        assertEquals(0, ctx.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 0, 0));
        ctx.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1, 0);
        errno(EINVAL, () -> ctx.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 2, 0));
        assertEquals(1, ctx.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 0, 0));
        ctx.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 0, 0);
        errno(ENOENT, () -> ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0, 0, 0));
        errno(ENOENT, () -> ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, 0, 0));
        errno(EOPNOTSUPP, () -> ctx.option(7, IOMMU_OPTION_OP_GET, 0, 0, 0));
        errno(EOPNOTSUPP, () -> ctx.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 1, 0, 0));
        ctx.ioasAlloc(0);
        errno(EBUSY, () -> ctx.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1, 0));
        assertEquals(1, ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 1, 0, 0));
        ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, 0, 0);
        assertEquals(0, ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 1, 0, 0));
        errno(EINVAL, () -> ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, 2, 0));
        ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, 1, 0);
    }

    @Test
    void ioasAlignChange() {
        IommufdCtx ctx = fixture(false);
        ctx.ioasMap(1, FIXED, V, P, MOCK_START, 0);
        ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, 0, 0);
        errno(EINVAL, () -> ctx.ioasMap(1, FIXED, V + 2048, P, MOCK_START + P, 0));
        ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, 0, 0);
        ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, 1, 0);
        ctx.ioasMap(1, FIXED, V + 2048, P, MOCK_START + P, 0);
        errno(EADDRINUSE, () -> ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, 0, 0));
        assertEquals(1, ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 1, 0, 0)); // flag reverted
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void ioasIovaAlloc(boolean mock) {
        IommufdCtx ctx = fixture(mock);
        for (long length = 1; length < 8192; length++) {
            long len = length;
            if (mock && length % 2048 != 0) {
                errno(EINVAL, () -> ctx.ioasMap(1, RW, V, len, 0, 0));
            } else {
                long iova = ctx.ioasMap(1, RW, V, len, 0, 0);
                ctx.ioasUnmap(1, iova, len);
            }
        }
    }

    @Test
    void mapCheckOrder() {
        IommufdCtx ctx = fixture(false);
        errno(EOPNOTSUPP, () -> ctx.ioasMap(1, 1 << 3, V, P, 0, 0));
        errno(EOPNOTSUPP, () -> ctx.ioasMap(1, RW, V, P, 0, 1));
        errno(EOVERFLOW, () -> ctx.ioasMap(1, 0, V, -1L, 0, 0)); // before the missing R/W
        errno(EINVAL, () -> ctx.ioasMap(1, 0, V, P, 0, 0));
        errno(ENOENT, () -> ctx.ioasMap(9, RW, V, P, 0, 0));
        errno(EOVERFLOW, () -> ctx.ioasMap(1, RW, -P, 2 * P, 0, 0)); // user_va + length wraps
        errno(EINVAL, () -> ctx.ioasMap(1, RW, V, 0, 0, 0));
        errno(EOVERFLOW, () -> ctx.ioasMap(1, FIXED, V, 2 * P, -P, 0)); // iova + length - 1 wraps
    }
}
