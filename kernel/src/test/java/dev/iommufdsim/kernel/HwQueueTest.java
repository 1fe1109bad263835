package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.TestDrivers.HW_QUEUE_TYPE;
import static dev.iommufdsim.kernel.TestDrivers.VIOMMU_TYPE;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.V;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * IOMMU_HW_QUEUE_ALLOC (viommu.c iommufd_hw_queue_alloc_ioctl, iommufd_hw_queue_alloc_phys,
 * iommufd_hw_queue_destroy) with the test driver's queue ops: the check order and errno of
 * each check, the internal access that locks the queue's areas against IOAS_UNMAP, and the
 * DESTROY rules (dependencies, the vIOMMU and the IOAS held).
 */
class HwQueueTest {
    static final long IOVA = 0x100000;
    static final long PG = 0x1000;

    private static int viommu(NestingTest.Setup s) {
        return s.ctx().viommuAlloc(0, VIOMMU_TYPE, s.dev(), s.parent(), null).outViommuId();
    }

    @Test
    void checkOrder() {
        NestingTest.Setup s = NestingTest.setup(KernelProfile.MAINLINE);
        IommufdCtx ctx = s.ctx();
        int v = viommu(s);
        // flags and the DEFAULT type come before everything, even an unknown vIOMMU
        errno(EOPNOTSUPP, () -> ctx.hwQueueAlloc(1, 0, HW_QUEUE_TYPE, 0, IOVA, 0));
        errno(EOPNOTSUPP, () -> ctx.hwQueueAlloc(0, 0, 0, 0, IOVA, 0));
        errno(EINVAL, () -> ctx.hwQueueAlloc(0, 0, HW_QUEUE_TYPE, 0, IOVA, 0)); // length 0 before the lookup
        errno(EOVERFLOW, () -> ctx.hwQueueAlloc(0, 0, HW_QUEUE_TYPE, 0, -1L, PG));
        errno(ENOENT, () -> ctx.hwQueueAlloc(0, 0, HW_QUEUE_TYPE, 0, IOVA, PG)); // no vIOMMU 0
        errno(ENOENT, () -> ctx.hwQueueAlloc(0, s.ioas(), HW_QUEUE_TYPE, 0, IOVA, PG)); // not a vIOMMU
        errno(EOPNOTSUPP, () -> ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE + 1, 0, IOVA, PG)); // the driver's type
        errno(ENOMEM, () -> ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE, 0, 0, 1L << 62)); // the page array
        errno(ENOENT, () -> ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE, 0, IOVA, PG)); // nothing mapped: pin_pages
        // A failed alloc frees both IDs it took (the queue's and its internal access's).
        int next = ctx.ioasAlloc(0);
        ctx.destroy(next);
        ctx.ioasMap(s.ioas(), FIXED, V, 2 * PG, IOVA, 0);
        errno(EIO, () -> ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE, 1, IOVA, PG)); // the driver: index 0 first
        errno(EINVAL, () -> ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE, 2, IOVA, PG));
        assertEquals(0, s.ctx().getIoas(s.ioas()).iopt().accessList().size(), "a refused queue leaves no access");
        int q0 = ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE, 0, IOVA, PG);
        assertEquals(next, q0, "the queue takes the lowest free ID");
        assertEquals(1, s.ctx().getIoas(s.ioas()).iopt().accessList().size());
        assertTrue(s.ctx().getIoas(s.ioas()).iopt().accessList().get(0).isInternal());
    }

    @Test
    void lockedAreasAndDestroyRules() {
        NestingTest.Setup s = NestingTest.setup(KernelProfile.MAINLINE);
        IommufdCtx ctx = s.ctx();
        int v = viommu(s);
        ctx.ioasMap(s.ioas(), FIXED, V, PG, IOVA, 0);
        ctx.ioasMap(s.ioas(), FIXED, V + PG, PG, IOVA + PG, 0);
        int q0 = ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE, 0, IOVA, PG);
        errno(EBUSY, () -> ctx.ioasUnmap(s.ioas(), IOVA, PG)); // num_locks
        errno(EBUSY, () -> ctx.ioasUnmap(s.ioas(), IOVA, PG / 2)); // EBUSY before the partial-area ENOENT
        ctx.ioasUnmap(s.ioas(), IOVA + PG, PG); // not pinned
        int q1 = ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE, 1, IOVA + PG / 2, PG / 2); // unaligned, same page
        errno(EBUSY, () -> ctx.destroy(q0)); // q1 depends on it
        errno(EBUSY, () -> ctx.destroy(v));
        errno(EBUSY, () -> ctx.destroy(s.ioas())); // the internal accesses hold it
        int accessId = ctx.getIoas(s.ioas()).iopt().accessList().get(0).id();
        errno(EBUSY, () -> ctx.destroy(accessId)); // the queue is the access's user
        ctx.destroy(q1);
        errno(EBUSY, () -> ctx.ioasUnmap(s.ioas(), IOVA, PG)); // q0 still locks it
        ctx.destroy(q0);
        assertNull(ctx.object(q0));
        assertEquals(0, ctx.getIoas(s.ioas()).iopt().accessList().size());
        assertEquals(PG, ctx.ioasUnmap(s.ioas(), IOVA, PG));
        ctx.destroy(v);
    }

    @Test
    void pagesMustBeContiguous() {
        NestingTest.Setup s = NestingTest.setup(KernelProfile.MAINLINE);
        IommufdCtx ctx = s.ctx();
        int v = viommu(s);
        // two areas whose user pages are not adjacent: not physically contiguous in the emulator
        ctx.ioasMap(s.ioas(), FIXED, V + 4 * PG, PG, IOVA, 0);
        ctx.ioasMap(s.ioas(), FIXED, V, PG, IOVA + PG, 0);
        errno(dev.iommufdsim.kernel.uapi.Errno.EFAULT, () -> ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE, 0, IOVA, 2 * PG));
        assertEquals(PG, ctx.ioasUnmap(s.ioas(), IOVA, PG), "the failed queue unpinned and unlocked its pages");
        // adjacent user pages in two areas are
        ctx.ioasMap(s.ioas(), FIXED, V - PG, PG, IOVA, 0);
        int q = ctx.hwQueueAlloc(0, v, HW_QUEUE_TYPE, 0, IOVA, 2 * PG);
        errno(EBUSY, () -> ctx.ioasUnmap(s.ioas(), IOVA + PG, PG));
        ctx.destroy(q);
    }
}
