package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENXIO;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** ictx->mt_mmap: _iommufd_alloc_mmap() and iommufd_fops_mmap() (driver.c, main.c). */
class MmapTableTest {
    @Test
    void regionsAreFirstFitFromPageSizeAndMappedExactly() {
        IommufdCtx ctx = TestDrivers.machine().open();
        IommufdFault a = (IommufdFault) ctx.object(ctx.faultQueueAlloc(0).id());
        IommufdFault b = (IommufdFault) ctx.object(ctx.faultQueueAlloc(0).id());
        MmapTable t = ctx.mmaps;
        errno(EINVAL, () -> t.alloc(a, new byte[0], 0));
        errno(EINVAL, () -> t.alloc(a, new byte[0], PAGE_SIZE + 1));
        assertEquals(PAGE_SIZE, t.alloc(a, new byte[] {7}, 2 * PAGE_SIZE));
        assertEquals(3 * PAGE_SIZE, t.alloc(b, new byte[0], PAGE_SIZE));
        t.removeOwner(a);
        assertEquals(PAGE_SIZE, t.alloc(b, new byte[0], PAGE_SIZE)); // the hole is reused
        assertEquals(4 * PAGE_SIZE, t.alloc(a, new byte[] {1, 2}, 2 * PAGE_SIZE)); // too big for [2P, 3P)

        errno(EINVAL, () -> ctx.mmap(4 * PAGE_SIZE, 2 * PAGE_SIZE, false, false)); // MAP_PRIVATE
        errno(EPERM, () -> ctx.mmap(4 * PAGE_SIZE, 2 * PAGE_SIZE, true, true));
        errno(ENXIO, () -> ctx.mmap(5 * PAGE_SIZE, 2 * PAGE_SIZE, true, false)); // inside, not at the start
        errno(ENXIO, () -> ctx.mmap(4 * PAGE_SIZE, PAGE_SIZE, true, false)); // a shorter length
        errno(ENXIO, () -> ctx.mmap(8 * PAGE_SIZE, PAGE_SIZE, true, false)); // nothing there
        int users = a.users();
        MmapTable.Vma v = ctx.mmap(4 * PAGE_SIZE, 2 * PAGE_SIZE, true, false);
        assertEquals(users + 1, a.users());
        byte[] c = v.contents();
        assertEquals(2 * PAGE_SIZE, c.length);
        assertArrayEquals(new byte[] {1, 2, 0}, java.util.Arrays.copyOf(c, 3));
        ctx.closeFd(a.fd());
        errno(EBUSY, () -> ctx.destroy(a.id())); // the mapping holds it
        ctx.munmap(v);
        ctx.munmap(v); // once only
        ctx.destroy(a.id());
        MmapTable.Vma w = ctx.mmap(3 * PAGE_SIZE, PAGE_SIZE, true, false);
        ctx.close(); // the mapping goes first, then every object
        assertEquals(true, w.closed);
    }
}
