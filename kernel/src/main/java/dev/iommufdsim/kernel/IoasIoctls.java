package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EBADF;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EMSGSIZE;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_WRITEABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
import static dev.iommufdsim.kernel.uapi.Uapi.ULONG_MAX;

import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.List;

/** The IOAS ioctl handlers of drivers/iommu/iommufd/ioas.c, in the kernel's check order. */
final class IoasIoctls {
    private static final int MAP_FLAGS = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;

    private IoasIoctls() {
    }

    /** iommufd_ioas_alloc_ioctl(). */
    static int ioasAlloc(IommufdCtx ictx, int flags) {
        if (flags != 0) {
            throw fail(EOPNOTSUPP, "flags 0x%x: IOAS_ALLOC takes no flags", flags);
        }
        Ioas ioas = new Ioas(ictx.machine().userPagePins());
        ictx.objects.reserve(ioas);
        ictx.objects.finalize(ioas);
        return ioas.id();
    }

    /** iommufd_ioas_iova_ranges(): all holes; EMSGSIZE (with outputs) past the capacity. */
    static IommufdCtx.IovaRanges iovaRanges(IommufdCtx ictx, int ioasId, long numIovas, int reserved) {
        if (reserved != 0) {
            throw fail(EOPNOTSUPP, "__reserved is 0x%x, must be 0", reserved);
        }
        Ioas ioas = ictx.getIoas(ioasId);
        List<IovaRange> holes = ioas.iopt().iovaRanges();
        long alignment = ioas.iopt().iovaAlignment();
        if (Long.compareUnsigned(holes.size(), numIovas) > 0) {
            var partial = new IommufdCtx.IovaRanges(holes.size(), alignment, List.copyOf(holes.subList(0, (int) numIovas)));
            throw new IommufdException(EMSGSIZE, String.format("%d ranges exist but num_iovas gives room for %d", holes.size(), numIovas), partial);
        }
        return new IommufdCtx.IovaRanges(holes.size(), alignment, List.copyOf(holes));
    }

    /** iommufd_ioas_allow_iovas(). */
    static void allowIovas(IommufdCtx ictx, int ioasId, List<IovaRange> ranges, int reserved) {
        if (reserved != 0) {
            throw fail(EOPNOTSUPP, "__reserved is 0x%x, must be 0", reserved);
        }
        Ioas ioas = ictx.getIoas(ioasId);
        ioas.iopt().setAllowIova(ranges);
    }

    /** conv_iommu_prot(). */
    private static int convIommuProt(int mapFlags) {
        int prot = Area.IOMMU_CACHE;
        if ((mapFlags & IOMMU_IOAS_MAP_WRITEABLE) != 0) {
            prot |= Area.IOMMU_WRITE;
        }
        if ((mapFlags & IOMMU_IOAS_MAP_READABLE) != 0) {
            prot |= Area.IOMMU_READ;
        }
        return prot;
    }

    /** iommufd_ioas_map() and iopt_map_user_pages(). Returns the IOVA. */
    static long map(IommufdCtx ictx, int ioasId, int flags, long userVa, long length, long iova, int reserved) {
        if ((flags & ~MAP_FLAGS) != 0 || reserved != 0) {
            throw fail(EOPNOTSUPP, (flags & ~MAP_FLAGS) != 0 ? "unknown flag bits 0x%x" : "__reserved is 0x%x, must be 0",
                    (flags & ~MAP_FLAGS) != 0 ? flags & ~MAP_FLAGS : reserved);
        }
        if (iova == ULONG_MAX || length == ULONG_MAX) {
            throw fail(EOVERFLOW, "iova 0x%x or length 0x%x is ULONG_MAX", iova, length);
        }
        if ((flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)) == 0) {
            throw fail(EINVAL, "neither READABLE nor WRITEABLE is set");
        }
        Ioas ioas = ictx.getIoas(ioasId);
        return mapUserPages(ictx, ioas, userVa, length, iova, (flags & IOMMU_IOAS_MAP_FIXED_IOVA) == 0, convIommuProt(flags));
    }

    /**
     * iommufd_ioas_map_file(): the checks of iommufd_ioas_map() (no __reserved field), then
     * iopt_map_file_pages(). fget looks the program's fd up (null: EBADF); the emulator has
     * no dma-bufs, so dma_buf_get() always fails and the fd is taken as a file. Returns the IOVA.
     */
    static long mapFile(IommufdCtx ictx, int ioasId, int flags, int fd, long start, long length, long iova,
            java.util.function.IntFunction<Dmabuf> dmabufGet, java.util.function.IntFunction<MappedFile> fget) {
        if ((flags & ~MAP_FLAGS) != 0) {
            throw fail(EOPNOTSUPP, "unknown flag bits 0x%x", flags & ~MAP_FLAGS);
        }
        if (iova == ULONG_MAX || length == ULONG_MAX) {
            throw fail(EOVERFLOW, "iova 0x%x or length 0x%x is ULONG_MAX", iova, length);
        }
        if ((flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)) == 0) {
            throw fail(EINVAL, "neither READABLE nor WRITEABLE is set");
        }
        Ioas ioas = ictx.getIoas(ioasId);
        int prot = convIommuProt(flags);
        // iopt_map_file_pages()
        if (length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        if (Long.compareUnsigned(start + (length - 1), start) < 0) {
            throw fail(EOVERFLOW, "start 0x%x + length 0x%x overflows", start, length);
        }
        long startByte = start & (PAGE_SIZE - 1);
        Dmabuf dmabuf = dmabufGet.apply(fd); // dma_buf_get(): anything else is taken as a file
        if (dmabuf != null) {
            Pages pages = allocDmabufPages(ictx, dmabuf, startByte, start, length, (prot & Area.IOMMU_WRITE) != 0);
            return ioas.iopt().mapPages(List.of(new IoPagetable.PagesSlice(pages, startByte, length)), length, iova,
                    (flags & IOMMU_IOAS_MAP_FIXED_IOVA) == 0, prot);
        }
        MappedFile file = fget.apply(fd);
        if (file == null) {
            throw fail(EBADF, "fd %d is not an open file of the program", fd);
        }
        // iopt_alloc_file_pages() -> iopt_alloc_pages()
        if (Long.compareUnsigned(length, ULONG_MAX - PAGE_SIZE) > 0) {
            throw fail(EINVAL, "length 0x%x is too large", length);
        }
        FailNth.step("iopt_alloc_pages");
        Pages pages = new Pages(start - startByte, (prot & Area.IOMMU_WRITE) != 0, ictx.memory(), file);
        pages.applyContextAccountMode(ictx.accountModeMm()); // iopt_map_common()
        return ioas.iopt().mapPages(List.of(new IoPagetable.PagesSlice(pages, startByte, length)), length, iova,
                (flags & IOMMU_IOAS_MAP_FIXED_IOVA) == 0, prot);
    }

    /** MAX_NPFNS: the largest u32 (struct pfn_batch's npfns). */
    private static final long MAX_NPFNS = 0xffffffffL;

    /**
     * iopt_alloc_dmabuf_pages(): the range must lie inside the dma-buf and fit a pfn batch
     * (EINVAL), then iopt_alloc_pages()'s length check, then iopt_map_dmabuf(): the selftest
     * exporter's iommufd_test_dma_buf_iommufd_map() refuses a revoked buffer (ENODEV).
     */
    private static Pages allocDmabufPages(IommufdCtx ictx, Dmabuf dmabuf, long startByte, long start, long length, boolean writable) {
        if (Long.compareUnsigned(dmabuf.size(), start + length - 1) <= 0 || Long.compareUnsigned(length / PAGE_SIZE, MAX_NPFNS) >= 0) {
            throw fail(EINVAL, "0x%x bytes from 0x%x do not lie inside the %s", length, start, dmabuf);
        }
        if (Long.compareUnsigned(length, ULONG_MAX - PAGE_SIZE) > 0) {
            throw fail(EINVAL, "length 0x%x is too large", length);
        }
        FailNth.step("iopt_alloc_pages");
        if (dmabuf.revoked()) {
            throw fail(ENODEV, "the %s is revoked (iommufd_test_dma_buf_iommufd_map)", dmabuf);
        }
        return new Pages(start - startByte, writable, ictx.memory(), dmabuf);
    }

    /** iopt_map_user_pages(): also VFIO_IOMMU_MAP_DMA's path. Returns the IOVA. */
    static long mapUserPages(IommufdCtx ictx, Ioas ioas, long userVa, long length, long iova, boolean allocIova, int iommuProt) {
        Pages pages = allocUserPages(userVa, length, (iommuProt & Area.IOMMU_WRITE) != 0, ictx.memory());
        long startByte = userVa - pages.uptr();
        pages.applyContextAccountMode(ictx.accountModeMm()); // iopt_map_common()
        return ioas.iopt().mapPages(List.of(new IoPagetable.PagesSlice(pages, startByte, length)), length, iova, allocIova, iommuProt);
    }

    /** iopt_alloc_user_pages() and iopt_alloc_pages(): the length and overflow checks; current->mm is the source. */
    private static Pages allocUserPages(long uptr, long length, boolean writable, UserMemory current) {
        if (Long.compareUnsigned(uptr + length, uptr) < 0) {
            throw fail(EOVERFLOW, "user_va 0x%x + length 0x%x overflows", uptr, length);
        }
        if (Long.compareUnsigned(length, ULONG_MAX - PAGE_SIZE) > 0 || length == 0) {
            throw fail(EINVAL, length == 0 ? "length is 0" : "length 0x%x is too large", length);
        }
        FailNth.step("iopt_alloc_pages");
        return new Pages(uptr & ~(PAGE_SIZE - 1), writable, current);
    }

    /** iommufd_ioas_copy(). Returns dst_iova. */
    static long copy(IommufdCtx ictx, int flags, int dstIoasId, int srcIoasId, long length, long dstIova, long srcIova) {
        if ((flags & MOCK_FLAGS_ACCESS_SYZ) != 0) {
            // iommufd_test_syz_conv_iova_id(): the emulator is a CONFIG_IOMMUFD_TEST kernel, whose
            // IOAS_COPY strips the selftest's syzkaller flag before checking flags and reads
            // src_iova as {u32 nth_area; u32 offset} of the source IOAS (if there is one).
            flags &= ~MOCK_FLAGS_ACCESS_SYZ;
            if (ictx.object(srcIoasId) instanceof Ioas src) {
                srcIova = syzConvIova(src.iopt(), srcIova);
            }
        }
        if ((flags & ~MAP_FLAGS) != 0) {
            throw fail(EOPNOTSUPP, "unknown flag bits 0x%x", flags & ~MAP_FLAGS);
        }
        if (length == ULONG_MAX || srcIova == ULONG_MAX || dstIova == ULONG_MAX) {
            throw fail(EOVERFLOW, "length, src_iova or dst_iova is ULONG_MAX");
        }
        if ((flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)) == 0) {
            throw fail(EINVAL, "neither READABLE nor WRITEABLE is set");
        }
        Ioas src = ictx.getIoas(srcIoasId);
        List<IoPagetable.PagesSlice> slices = src.iopt().getPages(srcIova, length);
        Ioas dst = ictx.getIoas(dstIoasId);
        return dst.iopt().mapPages(slices, length, dstIova, (flags & IOMMU_IOAS_MAP_FIXED_IOVA) == 0, convIommuProt(flags));
    }

    /** iommufd_ioas_unmap(). Returns the bytes unmapped; partial on error, like the kernel. */
    static long unmap(IommufdCtx ictx, int ioasId, long iova, long length) {
        Ioas ioas = ictx.getIoas(ioasId);
        if (iova == 0 && length == ULONG_MAX) {
            return ioas.iopt().unmapAll();
        }
        if (iova == ULONG_MAX || length == ULONG_MAX) {
            throw fail(EOVERFLOW, "iova 0x%x or length 0x%x is ULONG_MAX", iova, length);
        }
        long unmapped = ioas.iopt().unmapIova(iova, length);
        if (unmapped == 0) {
            throw fail(ENOENT, "nothing is mapped in 0x%x-0x%x", iova, iova + length - 1);
        }
        return unmapped;
    }

    /** MOCK_FLAGS_ACCESS_SYZ (iommufd_test.h): syzkaller's IOVA encoding, see {@link #syzConvIova}. */
    static final int MOCK_FLAGS_ACCESS_SYZ = 1 << 16;

    /**
     * __iommufd_test_syz_conv_iova() (selftest.c): the low 32 bits of {@code syz} (x86 is little
     * endian) pick the nth area in ascending IOVA order, the high 32 bits are an offset into it;
     * 0 when there is no such area.
     */
    static long syzConvIova(IoPagetable iopt, long syz) {
        long nth = syz & 0xffff_ffffL;
        List<Area> areas = iopt.areas();
        return nth < areas.size() ? areas.get((int) nth).iova() + (syz >>> 32) : 0;
    }

    /** iommufd_ioas_option() for IOMMU_OPTION_HUGE_PAGES. */
    static long optionHugePages(IommufdCtx ictx, int op, int objectId, long val64) {
        Ioas ioas = ictx.getIoas(objectId);
        if (op == dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_OP_GET) {
            return ioas.iopt().largePagesDisabled() ? 0 : 1;
        }
        if (op == dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_OP_SET) {
            if (val64 == 0) {
                ioas.iopt().disableLargePages();
                return val64;
            }
            if (val64 == 1) {
                ioas.iopt().enableLargePages();
                return val64;
            }
            throw fail(EINVAL, "HUGE_PAGES takes 0 or 1, not %d", val64);
        }
        throw fail(EOPNOTSUPP, "unknown option op %d", op);
    }

    /**
     * iommufd_ioas_change_process(): __reserved -> EOPNOTSUPP; then, with every IOAS of the
     * context locked (ID order), any area whose pages are not IOPT_ADDRESS_FILE (user memory,
     * dma-buf) -> EINVAL and nothing changes. Then the charges move: the last_npinned of every
     * pages whose charge must move (need_charge_update) is summed per account mode and zeroed,
     * charge_current() charges the sums to current (mode by mode, NONE, USER, MM; an ENOMEM
     * from RLIMIT_MEMLOCK uncharges the modes done, restores last_npinned and changes
     * nothing), then each such pages is uncharged from its old mm and user
     * (iopt_pages_update_pinned(npinned, false)) and every area's pages get current as their
     * source process and user (change_mm). (The kernel's EBUSY for an area without pages is a
     * race with a concurrent map/unmap, which cannot happen here.)
     */
    static void changeProcess(IommufdCtx ictx, int reserved) {
        if (reserved != 0) {
            throw fail(EOPNOTSUPP, "__reserved must be 0");
        }
        List<Ioas> ioases = new java.util.ArrayList<>();
        for (IommufdObject o : ictx.objectList()) {
            if (o instanceof Ioas ioas) {
                ioases.add(ioas);
            }
        }
        List<Pages> all = new java.util.ArrayList<>(); // for_each_ioas_area: pages once per area
        for (Ioas ioas : ioases) {
            for (Area area : ioas.iopt().areas()) {
                if (area.pages().file() == null) {
                    throw fail(EINVAL, "IOAS %d maps 0x%x-0x%x from user memory: only IOAS_MAP_FILE areas can change process",
                            ioas.id(), area.iova(), area.last());
                }
                all.add(area.pages());
            }
        }
        UserMemory current = ictx.memory();
        PinnedVm vm = ictx.machine().userPagePins().pinnedVm();
        long[] allNpinned = new long[Pages.ACCOUNT_MODE_NUM];
        for (Pages pages : all) {
            if (pages.needChargeUpdate(current)) {
                allNpinned[pages.accountMode()] += pages.lastNpinned();
                pages.setLastNpinned(0);
            }
        }
        try {
            chargeCurrent(current, allNpinned, vm);
        } catch (RuntimeException e) {
            for (Pages pages : all) {
                pages.setLastNpinned(pages.npinned());
            }
            throw e;
        }
        for (Pages pages : all) {
            if (pages.needChargeUpdate(current)) {
                pages.updatePinned(pages.npinned(), false, vm); // uncharge the old, restores last_npinned
            }
            pages.changeMm(current);
        }
    }

    /** charge_current() of ioas.c: npinned[mode] charged to current, undone on failure. */
    private static void chargeCurrent(UserMemory current, long[] npinned, PinnedVm vm) {
        int mode;
        for (mode = 0; mode != Pages.ACCOUNT_MODE_NUM; mode++) {
            if (npinned[mode] == 0) {
                continue;
            }
            try {
                Pages.updatePinned(mode, current, current.user(), npinned[mode], true, vm);
            } catch (RuntimeException e) {
                while (mode != 0) {
                    mode--;
                    if (npinned[mode] != 0) {
                        Pages.updatePinned(mode, current, current.user(), npinned[mode], false, vm);
                    }
                }
                throw e;
            }
        }
    }
}
