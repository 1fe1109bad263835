package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.MmapTable;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.HashMap;
import java.util.Map;

/**
 * mmap() of the iommufd (vIOMMU regions): the syscall's own checks (ksys_mmap_pgoff, do_mmap),
 * then iommufd_fops_mmap() in the emulator. The shim has made a shared anonymous mapping at
 * {@code addr}; the region's bytes are written there, and the mapping's ID comes back so its
 * munmap() can end it. Writes the program makes to the mapping stay in the program.
 */
final class MmapIo {
    /** PROT_EXEC, MAP_TYPE and its values (mman.h). */
    static final int PROT_EXEC = 0x4;
    static final int MAP_TYPE = 0x0f;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_SHARED_VALIDATE = 0x03;

    private final IommufdCtx ctx;
    private final Map<Integer, MmapTable.Vma> live = new HashMap<>();
    private int nextId = 1;

    MmapIo(IommufdCtx ctx) {
        this.ctx = ctx;
    }

    /** mmap(addr, length, prot, flags, iommufd, offset): the mapping's ID (> 0). */
    long mmap(long addr, long length, long offset, int prot, int flags, UserAccess mem) throws UserFault {
        long page = Uapi.PAGE_SIZE;
        if (Long.remainderUnsigned(offset, page) != 0) {
            throw fail(Errno.EINVAL, "offset 0x%x is not page aligned", offset);
        }
        if (length == 0) {
            throw fail(Errno.EINVAL, "length is 0");
        }
        long len = (length + page - 1) & -page; // PAGE_ALIGN
        if (len == 0) {
            throw fail(Errno.ENOMEM, "length 0x%x overflows when page aligned", length);
        }
        long pgoff = offset >>> 12;
        if (Long.compareUnsigned(pgoff + (len >>> 12), pgoff) < 0) {
            throw fail(Errno.EOVERFLOW, "offset 0x%x + length 0x%x overflows", offset, len);
        }
        int type = flags & MAP_TYPE;
        if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) {
            throw fail(Errno.EINVAL, "flags 0x%x are neither MAP_SHARED nor MAP_PRIVATE", flags);
        }
        MmapTable.Vma vma = ctx.mmap(offset, len, type != MAP_PRIVATE, (prot & PROT_EXEC) != 0);
        try {
            mem.write(addr, vma.contents()); // io_remap_pfn_range(): the region's pages
        } catch (UserFault | RuntimeException e) {
            ctx.munmap(vma);
            throw e;
        }
        int id = nextId++;
        live.put(id, vma);
        return id;
    }

    /** munmap() of a mapping (iommufd_fops_vma_close); an unknown ID is ignored. */
    void munmap(int id) {
        MmapTable.Vma vma = live.remove(id);
        if (vma != null) {
            ctx.munmap(vma);
        }
    }

    private static IommufdException fail(Errno e, String fmt, Object... args) {
        return new IommufdException(e, String.format(fmt, args));
    }
}
