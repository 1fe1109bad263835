package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
import static dev.iommufdsim.kernel.uapi.Uapi.ULONG_MAX;

import java.util.ArrayList;
import java.util.List;

/**
 * struct iommufd_access and its functions in drivers/iommu/iommufd/device.c: an in-kernel
 * user of an IOAS (an emulated mdev, or the selftest's access) that reads and writes IOVAs
 * with the CPU and pins their pages. It is an object of the context (IOMMUFD_OBJ_ACCESS, with
 * an ID userspace never sees) held by its driver until iommufd_access_destroy(), and it holds
 * its IOAS. Its driver is told to let go of pinned IOVAs through the unmap op.
 */
public final class IommufdAccess extends IommufdObject {
    /** struct iommufd_access_ops as a driver gives it. */
    interface Ops {
        /** ops->needs_pin_pages: the driver pins pages (so IOVAs must be PAGE_SIZE aligned). */
        boolean needsPinPages();

        /** ops->unmap: stop using and unpin every pinned IOVA in [iova, iova + length - 1]. */
        void unmap(long iova, long length);
    }

    /**
     * A page an access pinned, as the driver gets it back ("struct page *"): (mm, user VA), or
     * for IOAS_MAP_FILE pages (MappedFile.Id, file offset).
     */
    record PinnedPage(Object mm, long va) {
    }

    private final IommufdCtx ictx;
    private final Ops ops;
    /** iommufd_access_is_internal(): made by the core for one of its objects (a HW queue), no driver ops. */
    private final boolean internal;
    private final long iovaAlignment;
    /** access->ioas: where pins and reads go; null while detached or changing. */
    private Ioas ioas;
    /** access->ioas_unpin: where unpins go. */
    private Ioas ioasUnpin;
    private int ioptAccessListId;

    private IommufdAccess(IommufdCtx ictx, Ops ops) {
        super(ObjType.ACCESS);
        this.ictx = ictx;
        this.ops = ops;
        this.internal = ops == null;
        this.iovaAlignment = internal || ops.needsPinPages() ? PAGE_SIZE : 1;
    }

    /**
     * iommufd_access_create_internal(): an access without driver ops (so never asked to unmap:
     * its pins lock their areas instead), iova_alignment PAGE_SIZE. Like any access it takes
     * an object ID, and its creator holds a user until {@link #destroyUser}.
     */
    static IommufdAccess createInternal(IommufdCtx ictx) {
        IommufdAccess access = new IommufdAccess(ictx, null);
        ictx.objects.reserve(access);
        access.get();
        ictx.objects.finalize(access);
        return access;
    }

    /** iommufd_access_is_internal(). */
    public boolean isInternal() {
        return internal;
    }

    /** iommufd_access_attach_internal(): access->ioas must be unset (a WARN, EINVAL). */
    void attachInternal(Ioas target) {
        if (ioas != null) {
            throw fail(EINVAL, "the access is already attached to IOAS %d", ioas.id());
        }
        changeIoas(target);
    }

    /** iommufd_access_detach() (iommufd_access_detach_internal()). */
    void detach() {
        if (ioas != null) {
            changeIoas(null);
        }
    }

    /** iommufd_access_create(): published at once, the driver holding a user until destroy. */
    static IommufdAccess create(IommufdCtx ictx, Ops ops) {
        IommufdAccess access = new IommufdAccess(ictx, ops);
        ictx.objects.reserve(access);
        access.get(); // the calling driver is a user until iommufd_access_destroy()
        ictx.objects.finalize(access);
        return access;
    }

    /** The IOAS it is attached to (access->ioas), or null. */
    public Ioas ioas() {
        return ioas;
    }

    /** access->iova_alignment: PAGE_SIZE for a driver that pins pages, else 1. */
    public long iovaAlignment() {
        return iovaAlignment;
    }

    /** iommufd_access_destroy(): the driver's user goes and the object with it (iommufd_object_destroy_user). */
    void destroyUser() {
        put();
        ictx.objects.remove(this, false);
        destroy();
    }

    /** iommufd_access_destroy_object(). */
    @Override
    void destroy() {
        if (ioas != null) {
            changeIoas(null);
        }
    }

    /** iommufd_access_attach(). */
    void attach(int ioasId) {
        if (ioas != null) {
            throw fail(EINVAL, "the access is already attached to IOAS %d", ioas.id());
        }
        changeIoas(ictx.getIoas(ioasId));
    }

    /** iommufd_access_replace(). */
    void replace(int ioasId) {
        if (ioas == null) {
            throw fail(ENOENT, "the access is not attached to an IOAS");
        }
        changeIoas(ictx.getIoas(ioasId));
    }

    /**
     * iommufd_access_change_ioas(): joins the new IOAS's access list first (which may raise its
     * alignment: EADDRINUSE), then has the driver unpin everything of the old one and leaves it.
     */
    private void changeIoas(Ioas newIoas) {
        Ioas cur = ioas;
        if (cur != ioasUnpin) {
            throw fail(EBUSY, "the access is being detached");
        }
        if (cur == newIoas) {
            return;
        }
        ioas = null; // blocks pins while the old IOAS's pages are let go
        int newId = 0;
        if (newIoas != null) {
            try {
                newId = newIoas.iopt().addAccess(this);
            } catch (RuntimeException e) {
                ioas = cur;
                throw e;
            }
            newIoas.get();
        }
        if (cur != null) {
            if (!internal) {
                ops.unmap(0, ULONG_MAX);
            }
            cur.iopt().removeAccess(ioptAccessListId);
            cur.put();
        }
        ioptAccessListId = newId;
        ioas = newIoas;
        ioasUnpin = newIoas;
    }

    /** The driver's unmap op, as iommufd_access_notify_unmap() calls it. */
    void notifyUnmap(long iova, long length) {
        if (internal) {
            return; // iommufd_access_notify_unmap() skips internal accesses: their areas are locked
        }
        ops.unmap(iova, length);
    }

    /** iopt_area_contig_is_aligned(): each area joins the next on page boundaries. */
    private static boolean contigIsAligned(Area area, long curIova, boolean done) {
        if (area.startByteAt(curIova) % PAGE_SIZE != 0) {
            return false;
        }
        return done || area.startByteAt(area.last()) % PAGE_SIZE == PAGE_SIZE - 1;
    }

    private static boolean checkAreaProt(Area area, boolean write) {
        return (area.iommuProt() & (write ? Area.IOMMU_WRITE : Area.IOMMU_READ)) != 0;
    }

    /**
     * iommufd_access_pin_pages(): pins the pages under [iova, iova + length - 1] for this
     * access and returns them. All or nothing.
     */
    List<PinnedPage> pinPages(long iova, long length, boolean write) {
        if (iovaAlignment != PAGE_SIZE) {
            throw fail(EINVAL, "the access's driver does not pin pages (no needs_pin_pages)");
        }
        if (length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        long lastIova = iova + length - 1;
        if (Long.compareUnsigned(lastIova, iova) < 0) {
            throw fail(EOVERFLOW, "iova 0x%x + length 0x%x overflows", iova, length);
        }
        if (ioas == null) {
            throw fail(ENOENT, "the access is not attached to an IOAS");
        }
        IoPagetable iopt = ioas.iopt();
        List<Area> contig = iopt.contigAreas(iova, lastIova);
        List<PinnedPage> out = new ArrayList<>();
        int added = 0;
        long cur = iova;
        try {
            for (int i = 0; i < contig.size(); i++) {
                Area area = contig.get(i);
                long last = Long.compareUnsigned(lastIova, area.last()) < 0 ? lastIova : area.last();
                boolean done = last == lastIova;
                if (iopt.preventsAccess(area) || !contigIsAligned(area, cur, done)) {
                    throw fail(EINVAL, "iova 0x%x-0x%x does not cover whole pages of the area 0x%x-0x%x", cur, last, area.iova(), area.last());
                }
                if (!checkAreaProt(area, write)) {
                    throw fail(EPERM, "area 0x%x-0x%x is not mapped %s", area.iova(), area.last(), write ? "WRITEABLE" : "READABLE");
                }
                long index = area.iovaToIndex(cur);
                long lastIndex = area.iovaToIndex(last);
                iopt.areaAddAccess(area, index, lastIndex, write, internal);
                added++;
                for (long x = index; x <= lastIndex; x++) {
                    out.add(area.pages().pinnedPage(x));
                }
                cur = last + 1;
            }
            if (contig.isEmpty() || Long.compareUnsigned(contig.get(contig.size() - 1).last(), lastIova) < 0) {
                throw fail(ENOENT, "iova 0x%x-0x%x is not mapped contiguously (nothing at 0x%x)", iova, lastIova, cur);
            }
        } catch (RuntimeException e) {
            // err_remove: undo the areas done so far
            long c = iova;
            for (int i = 0; i < added; i++) {
                Area area = contig.get(i);
                long last = Long.compareUnsigned(lastIova, area.last()) < 0 ? lastIova : area.last();
                iopt.areaRemoveAccess(area, area.iovaToIndex(c), area.iovaToIndex(last), internal);
                c = last + 1;
            }
            throw e;
        }
        return out;
    }

    /** iommufd_access_unpin_pages(): undoes pinPages of exactly [iova, iova + length - 1]. */
    void unpinPages(long iova, long length) {
        long lastIova = iova + length - 1;
        if (length == 0 || Long.compareUnsigned(lastIova, iova) < 0 || ioasUnpin == null) {
            throw new IllegalStateException("unpin of 0x" + Long.toHexString(iova) + " (+0x" + Long.toHexString(length)
                    + ") by an access that cannot have pinned it");
        }
        IoPagetable iopt = ioasUnpin.iopt();
        long cur = iova;
        for (Area area : iopt.contigAreas(iova, lastIova)) {
            long last = Long.compareUnsigned(lastIova, area.last()) < 0 ? lastIova : area.last();
            iopt.areaRemoveAccess(area, area.iovaToIndex(cur), area.iovaToIndex(last), internal);
            cur = last + 1;
        }
    }

    /**
     * iommufd_access_rw(): copies data to (ACCESS_RW_WRITE) or from the IOVAs [iova, iova +
     * data.length - 1]. Areas before a failing one keep what was written.
     */
    void rw(long iova, byte[] data, int flags) {
        if (data.length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        long lastIova = iova + data.length - 1;
        if (Long.compareUnsigned(lastIova, iova) < 0) {
            throw fail(EOVERFLOW, "iova 0x%x + length 0x%x overflows", iova, data.length);
        }
        if (ioas == null) {
            throw fail(ENOENT, "the access is not attached to an IOAS");
        }
        IoPagetable iopt = ioas.iopt();
        boolean write = (flags & Pages.ACCESS_RW_WRITE) != 0;
        List<Area> contig = iopt.contigAreas(iova, lastIova);
        long cur = iova;
        for (Area area : contig) {
            long last = Long.compareUnsigned(lastIova, area.last()) < 0 ? lastIova : area.last();
            if (iopt.preventsAccess(area)) {
                throw fail(EINVAL, "area 0x%x-0x%x is being unmapped", area.iova(), area.last());
            }
            if (!checkAreaProt(area, write)) {
                throw fail(EPERM, "area 0x%x-0x%x is not mapped %s", area.iova(), area.last(), write ? "WRITEABLE" : "READABLE");
            }
            area.pages().rwAccess(area.startByteAt(cur), data, (int) (cur - iova), (int) (last - cur + 1), flags, ictx.memory());
            cur = last + 1;
        }
        if (contig.isEmpty() || Long.compareUnsigned(contig.get(contig.size() - 1).last(), lastIova) < 0) {
            throw fail(ENOENT, "iova 0x%x-0x%x is not mapped contiguously (nothing at 0x%x)", iova, lastIova, cur);
        }
    }
}
