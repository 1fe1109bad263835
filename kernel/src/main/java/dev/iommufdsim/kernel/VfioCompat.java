package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
import static dev.iommufdsim.kernel.uapi.Uapi.ULONG_MAX;

import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.kernel.uapi.Vfio;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * drivers/iommu/iommufd/vfio_compat.c: IOMMU_VFIO_IOAS and the VFIO type1 container ioctls
 * answered on the iommufd itself, all on the context's one compat IOAS (ctx->vfio_ioas),
 * in the kernel's check order.
 *
 * <p>Modelled kernel: CONFIG_VFIO_NOIOMMU off (as in the oracle), so no_iommu_mode is never
 * set and VFIO_NOIOMMU_IOMMU is neither reported nor accepted.
 */
final class VfioCompat {
    /** offsetofend(struct vfio_iommu_type1_dma_map, size). */
    static final int DMA_MAP_MINSZ = 32;
    /** offsetofend(struct vfio_iommu_type1_dma_unmap, size). */
    static final int DMA_UNMAP_MINSZ = 24;
    /** offsetofend(struct vfio_iommu_type1_info, iova_pgsizes). */
    static final int INFO_MINSZ = 16;
    /** sizeof(struct vfio_iommu_type1_info). */
    static final int INFO_SIZE = 24;
    /** sizeof(struct vfio_iommu_type1_info_dma_avail): header (8) and avail (4). */
    private static final int CAP_DMA_AVAIL_SIZE = 12;
    /** struct_size(cap_iova_range, iova_ranges, 0): header (8), nr_iovas, reserved. */
    private static final int CAP_IOVA_RANGE_HEADER = 16;
    /** sizeof(struct vfio_iova_range). */
    private static final int IOVA_RANGE_SIZE = 16;
    /** iommufd_fill_cap_dma_avail()'s avail: U32_MAX (iommufd limits by the memory cgroup). */
    static final long DMA_AVAIL = 0xffffffffL;

    private VfioCompat() {
    }

    /**
     * get_compat_ioas(): ctx->vfio_ioas, or ENODEV. The kernel clears the pointer when the
     * IOAS is destroyed (iommufd_object_remove); here a destroyed IOAS is dropped on the next
     * look-up, which answers the same.
     */
    static Ioas getCompatIoas(IommufdCtx ictx) {
        Ioas ioas = ictx.vfioIoas;
        if (ioas != null && ictx.objects.find(ioas.id()) != ioas) {
            ictx.vfioIoas = ioas = null;
        }
        if (ioas == null) {
            throw fail(ENODEV, "no VFIO compat IOAS: set one with IOMMU_VFIO_IOAS or attach a VFIO group");
        }
        return ioas;
    }

    /** iommufd_vfio_compat_ioas_get_id(). */
    static int ioasGetId(IommufdCtx ictx) {
        return getCompatIoas(ictx).id();
    }

    /**
     * iommufd_vfio_compat_ioas_create(): what VFIO_GROUP_SET_CONTAINER on an iommufd does. A
     * new IOAS becomes the compat IOAS unless one is already set; the new one's ID is
     * reserved first and released again in that case.
     */
    static void ioasCreate(IommufdCtx ictx) {
        Ioas ioas = new Ioas(ictx.machine().userPagePins());
        ictx.objects.reserve(ioas);
        Ioas current = ictx.vfioIoas;
        if (current != null && ictx.objects.find(current.id()) == current) {
            ictx.objects.abort(ioas);
            return;
        }
        ictx.vfioIoas = ioas;
        ictx.objects.finalize(ioas);
    }

    /** iommufd_vfio_ioas(): IOMMU_VFIO_IOAS. Returns ioas_id as the struct holds it afterwards. */
    static int vfioIoas(IommufdCtx ictx, int op, int ioasId, int reserved) {
        if (reserved != 0) {
            throw fail(EOPNOTSUPP, "__reserved is 0x%x, must be 0", reserved);
        }
        switch (op) {
            case Vfio.IOMMU_VFIO_IOAS_GET:
                return getCompatIoas(ictx).id();
            case Vfio.IOMMU_VFIO_IOAS_SET:
                ictx.vfioIoas = ictx.getIoas(ioasId);
                return ioasId;
            case Vfio.IOMMU_VFIO_IOAS_CLEAR:
                ictx.vfioIoas = null;
                return ioasId;
            default:
                throw fail(EOPNOTSUPP, "unknown op %d (GET 0, SET 1, CLEAR 2)", op);
        }
    }

    /** iommufd_vfio_map_dma(): VFIO_IOMMU_MAP_DMA, always at the given iova. */
    static void mapDma(IommufdCtx ictx, long argsz, int flags, long vaddr, long iova, long size) {
        int supported = Vfio.VFIO_DMA_MAP_FLAG_READ | Vfio.VFIO_DMA_MAP_FLAG_WRITE;
        if (argsz < DMA_MAP_MINSZ || (flags & ~supported) != 0) {
            throw fail(EINVAL, argsz < DMA_MAP_MINSZ ? "argsz %d is below %d" : "unsupported flags 0x%x (READ 0x1, WRITE 0x2; no VADDR)",
                    argsz < DMA_MAP_MINSZ ? argsz : flags & ~supported, DMA_MAP_MINSZ);
        }
        // No READ/WRITE requirement here, unlike IOMMU_IOAS_MAP: flags 0 asks for IOMMU_CACHE only,
        // which the generic page table's map_pages refuses when the IOAS has a domain of the mock
        // or VT-d (the driver's checkMap, EINVAL; the area goes again), and io-pgtable-arm accepts.
        int prot = Area.IOMMU_CACHE;
        if ((flags & Vfio.VFIO_DMA_MAP_FLAG_READ) != 0) {
            prot |= Area.IOMMU_READ;
        }
        if ((flags & Vfio.VFIO_DMA_MAP_FLAG_WRITE) != 0) {
            prot |= Area.IOMMU_WRITE;
        }
        Ioas ioas = getCompatIoas(ictx);
        IoasIoctls.mapUserPages(ictx, ioas, vaddr, size, iova, false, prot);
    }

    /**
     * iommufd_vfio_unmap_dma(): VFIO_IOMMU_UNMAP_DMA. Returns the bytes unmapped. When the
     * unmap itself fails the kernel still copies the struct back with size = the bytes
     * unmapped so far: the exception's partialOutput() is that Long.
     */
    static long unmapDma(IommufdCtx ictx, long argsz, int flags, long iova, long size) {
        // VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP is obsolete (dirty tracking is IOMMU_HWPT_*) and VADDR unsupported.
        int supported = Vfio.VFIO_DMA_UNMAP_FLAG_ALL;
        if (argsz < DMA_UNMAP_MINSZ || (flags & ~supported) != 0) {
            throw fail(EINVAL, argsz < DMA_UNMAP_MINSZ ? "argsz %d is below %d" : "unsupported flags 0x%x (only UNMAP_ALL 0x2)",
                    argsz < DMA_UNMAP_MINSZ ? argsz : flags & ~supported, DMA_UNMAP_MINSZ);
        }
        Ioas ioas = getCompatIoas(ictx);
        IoPagetable iopt = ioas.iopt();
        long[] unmapped = new long[1];
        if ((flags & Vfio.VFIO_DMA_UNMAP_FLAG_ALL) != 0) {
            if (iova != 0 || size != 0) {
                throw fail(EINVAL, "UNMAP_ALL needs iova 0 and size 0, not 0x%x and 0x%x", iova, size);
            }
            try {
                iopt.unmapIovaRange(0, ULONG_MAX, unmapped);
            } catch (IommufdException e) {
                throw copiedBack(e, unmapped[0]);
            }
            return unmapped[0];
        }
        if (iopt.largePagesDisabled()) {
            // Type1 (v1) may unmap inside a mapping: cut the areas at both ends first (IOVA 0
            // needs no cut below it). A failed cut returns before the struct is copied back.
            long[] iovas = {iova + size - 1, iova - 1};
            iopt.cutIova(iovas, iova != 0 ? 2 : 1);
        }
        try {
            iopt.unmapIova(iova, size, unmapped);
        } catch (IommufdException e) {
            throw copiedBack(e, unmapped[0]);
        }
        return unmapped[0];
    }

    /** The unmap failed, but the kernel still writes size = the bytes unmapped so far back. */
    private static IommufdException copiedBack(IommufdException e, long unmapped) {
        return new IommufdException(e.errno(), String.format("%s (size written back: 0x%x bytes unmapped before the error)",
                e.reason(), unmapped), unmapped);
    }

    /** iommufd_vfio_cc_iommu(): 1 unless a paging HWPT of the compat IOAS does not enforce cache coherency. */
    private static int ccIommu(IommufdCtx ictx) {
        Ioas ioas = getCompatIoas(ictx);
        for (HwptPaging hwpt : ioas.hwptList) {
            if (!hwpt.enforceCacheCoherency) {
                return 0;
            }
        }
        return 1;
    }

    /** iommufd_vfio_check_extension(): VFIO_CHECK_EXTENSION's return value. */
    static int checkExtension(IommufdCtx ictx, long type) {
        if (type == Vfio.VFIO_TYPE1_IOMMU || type == Vfio.VFIO_TYPE1v2_IOMMU || type == Vfio.VFIO_UNMAP_ALL) {
            return 1; // !no_iommu_mode
        }
        if (type == Vfio.VFIO_DMA_CC_IOMMU) {
            return ccIommu(ictx);
        }
        // VFIO_NOIOMMU_IOMMU (CONFIG_VFIO_NOIOMMU off), the reserved nesting type,
        // VFIO_UPDATE_VADDR (cannot be done safely) and anything else.
        return 0;
    }

    /** iommufd_vfio_set_iommu(): VFIO_SET_IOMMU. Type1 (v1) disables huge pages on the compat IOAS. */
    static void setIommu(IommufdCtx ictx, long type) {
        if (type != Vfio.VFIO_TYPE1_IOMMU && type != Vfio.VFIO_TYPE1v2_IOMMU) {
            throw fail(EINVAL, "iommu type %d: only VFIO_TYPE1_IOMMU (1) and VFIO_TYPE1v2_IOMMU (3) are emulated", type);
        }
        Ioas ioas = getCompatIoas(ictx);
        // Type1 may unmap inside a mapping; without huge IOPTEs every area can be cut.
        if (type == Vfio.VFIO_TYPE1_IOMMU) {
            ioas.iopt().disableLargePages();
        }
    }

    /** iommufd_get_pagesizes(): the page sizes every domain supports, at least PAGE_SIZE and the IOVA alignment. */
    static long getPagesizes(Ioas ioas) {
        long bitmap = ULONG_MAX;
        for (HwptPaging h : ioas.iopt().domains()) {
            bitmap &= h.domain().pgsizeBitmap();
        }
        // vfio_update_pgsize_bitmap(): sub-page sizes count as PAGE_SIZE
        if ((bitmap & (PAGE_SIZE - 1)) != 0) {
            bitmap &= ~(PAGE_SIZE - 1);
            bitmap |= PAGE_SIZE;
        }
        long align = ioas.iopt().iovaAlignment();
        return Long.compareUnsigned(bitmap, align) >= 0 ? bitmap : align;
    }

    /**
     * iommufd_vfio_iommu_get_info(): VFIO_IOMMU_GET_INFO for a buffer of argsz bytes. The
     * capability chain (DMA_AVAIL, then IOVA_RANGE) is laid out as far as argsz allows; the
     * result lists the kernel's copies to the user buffer in its order, the info struct last.
     */
    static IommufdCtx.VfioIommuInfo iommuGetInfo(IommufdCtx ictx, long argsz) {
        if (argsz < INFO_MINSZ) {
            throw fail(EINVAL, "argsz %d is below %d", argsz, INFO_MINSZ);
        }
        int minsz = (int) Math.min(argsz, INFO_SIZE);
        Ioas ioas = getCompatIoas(ictx);
        int flags = Vfio.VFIO_IOMMU_INFO_PGSIZES;
        long pgsizes = getPagesizes(ioas);
        List<IovaRange> ranges = ioas.iopt().iovaRanges();
        List<IommufdCtx.UserWrite> writes = new ArrayList<>();

        long total = INFO_SIZE;
        long lastCap = -1;
        for (int cap = 0; cap < 2; cap++) {
            long avail = argsz > total ? argsz - total : 0;
            int capSize = cap == 0 ? fillCapDmaAvail(total, avail, writes) : fillCapIova(ranges, total, avail, writes);
            capSize = (capSize + 7) & ~7; // ALIGN(cap_size, sizeof(u64))
            if (lastCap >= 0 && argsz >= total) {
                writes.add(new IommufdCtx.UserWrite(lastCap + 4, le32((int) total))); // put_user(last_cap->next)
            }
            lastCap = total;
            total += capSize;
        }
        // Too small a buffer gets some caps and, in argsz, the size that holds all of them.
        long capOffset = argsz >= total ? INFO_SIZE : 0;
        flags |= Vfio.VFIO_IOMMU_INFO_CAPS;
        ByteBuffer info = ByteBuffer.allocate(INFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        info.putInt(0, (int) total).putInt(4, flags).putLong(8, pgsizes).putInt(16, (int) capOffset);
        byte[] head = new byte[minsz];
        info.get(0, head);
        writes.add(new IommufdCtx.UserWrite(0, head));
        return new IommufdCtx.VfioIommuInfo(total, flags, pgsizes, capOffset, List.copyOf(ranges), DMA_AVAIL, List.copyOf(writes));
    }

    /** iommufd_fill_cap_dma_avail(). Returns the cap's size. */
    private static int fillCapDmaAvail(long at, long avail, List<IommufdCtx.UserWrite> writes) {
        if (avail >= CAP_DMA_AVAIL_SIZE) {
            ByteBuffer b = ByteBuffer.allocate(CAP_DMA_AVAIL_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            b.putShort((short) Vfio.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL).putShort((short) 1).putInt(0).putInt((int) DMA_AVAIL);
            writes.add(new IommufdCtx.UserWrite(at, b.array()));
        }
        return CAP_DMA_AVAIL_SIZE;
    }

    /** iommufd_fill_cap_iova(): each range that fits, then the header if all did. Returns the cap's size. */
    private static int fillCapIova(List<IovaRange> ranges, long at, long avail, List<IommufdCtx.UserWrite> writes) {
        int n = 0;
        for (IovaRange r : ranges) {
            if (avail >= CAP_IOVA_RANGE_HEADER + (long) (n + 1) * IOVA_RANGE_SIZE) {
                ByteBuffer b = ByteBuffer.allocate(IOVA_RANGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                b.putLong(r.start()).putLong(r.last());
                writes.add(new IommufdCtx.UserWrite(at + CAP_IOVA_RANGE_HEADER + (long) n * IOVA_RANGE_SIZE, b.array()));
            }
            n++;
        }
        if (avail >= CAP_IOVA_RANGE_HEADER + (long) n * IOVA_RANGE_SIZE) {
            ByteBuffer b = ByteBuffer.allocate(CAP_IOVA_RANGE_HEADER).order(ByteOrder.LITTLE_ENDIAN);
            b.putShort((short) Vfio.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE).putShort((short) 1).putInt(0).putInt(n).putInt(0);
            writes.add(new IommufdCtx.UserWrite(at, b.array()));
        }
        return CAP_IOVA_RANGE_HEADER + n * IOVA_RANGE_SIZE;
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
