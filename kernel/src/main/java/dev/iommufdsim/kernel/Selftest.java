package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EBADE;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import dev.iommufdsim.kernel.spi.PageRequest;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.List;

/**
 * IOMMU_TEST_CMD (drivers/iommu/iommufd/selftest.c, built with CONFIG_IOMMUFD_TEST): the
 * test ops the kernel's selftests drive, on one context. Mock devices come from the
 * driver plugin named {@value Machine#MOCK_DRIVER}.
 */
public final class Selftest {
    /** MOCK_FLAGS_DEVICE_NO_DIRTY and MOCK_FLAGS_DEVICE_PASID (iommufd_test.h). */
    public static final int MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0;
    public static final int MOCK_FLAGS_DEVICE_PASID = 1 << 2;
    /** CREATE_ACCESS flags: the access pins pages (selftest_access_ops_pin). */
    public static final int MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0;
    /** ACCESS_PAGES flags. */
    public static final int MOCK_FLAGS_ACCESS_WRITE = 1 << 0;
    public static final int MOCK_FLAGS_ACCESS_SYZ = 1 << 16;
    /** ACCESS_RW flags (the kernel's IOMMUFD_ACCESS_RW_WRITE and __IOMMUFD_ACCESS_RW_SLOW_PATH). */
    public static final int MOCK_ACCESS_RW_WRITE = Pages.ACCESS_RW_WRITE;
    public static final int MOCK_ACCESS_RW_SLOW_PATH = Pages.ACCESS_RW_SLOW_PATH;
    /** The selftest refuses longer ACCESS_PAGES / ACCESS_RW (ENOMEM, against a kvzalloc() WARN). */
    private static final long ACCESS_MAX_LENGTH = 16 * 1024 * 1024;

    /** IOMMU_TEST_OP_MOCK_DOMAIN outputs. */
    public record MockDomain(int outStdevId, int outHwptId, int outIdevId) {
    }

    /** struct selftest_obj of TYPE_IDEV: owns a mock device and its binding. */
    static final class SelftestObj extends IommufdObject {
        PhysDevice mockDev;
        IommufdDevice idev;

        SelftestObj() {
            super(ObjType.SELFTEST);
        }

        /** iommufd_selftest_destroy(): detach, unbind, delete the mock device. */
        @Override
        void destroy() {
            if (idev != null) {
                // A PASID still attached (a test that stopped half-way) would make the kernel's
                // unbind wait 60 s for the device's users and WARN; here those PASIDs go first.
                for (int pasid : List.copyOf(idev.igroup.pasidAttach.keySet())) {
                    if (pasid != IOMMU_NO_PASID && idev.igroup.pasidAttach.get(pasid).devices.containsKey(idev.id())) {
                        idev.ictx.deviceDetach(idev, pasid);
                    }
                }
                idev.ictx.deviceDetach(idev, IOMMU_NO_PASID);
                idev.ictx.deviceUnbind(idev);
            }
            if (mockDev != null) {
                idev.ictx.machine().destroyMockDevice(mockDev);
            }
        }
    }

    private final IommufdCtx ictx;

    Selftest(IommufdCtx ictx) {
        this.ictx = ictx;
    }

    /** IOMMU_TEST_OP_ADD_RESERVED (iommufd_test_add_reserved). */
    public void addReserved(int ioasId, long start, long length) {
        if (length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        long last = start + length - 1;
        if (Long.compareUnsigned(last, start) < 0) {
            throw fail(EOVERFLOW, "start 0x%x + length 0x%x overflows", start, length);
        }
        Ioas ioas = ictx.getIoas(ioasId);
        ioas.iopt().reserveIova(start, last, ResvOwner.SELFTEST);
    }

    /**
     * IOMMU_TEST_OP_MOCK_DOMAIN (or _FLAGS with devFlags): a mock device, bound and attached
     * to ptId. IDs in the kernel's order: selftest object, device, then the HWPT.
     */
    public MockDomain mockDomain(int ptId, int devFlags) {
        SelftestObj sobj = new SelftestObj();
        ictx.objects.reserve(sobj);
        try {
            if ((devFlags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID)) != 0) {
                throw fail(EINVAL, "unknown mock device flags 0x%x", devFlags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID));
            }
            PhysDevice dev = ictx.machine().createMockDevice(devFlags);
            IommufdDevice idev;
            try {
                idev = ictx.deviceBind(dev);
            } catch (IommufdException e) {
                ictx.machine().destroyMockDevice(dev);
                throw e;
            }
            int hwptId;
            try {
                hwptId = ictx.deviceAttach(idev, IOMMU_NO_PASID, ptId);
            } catch (IommufdException e) {
                ictx.deviceUnbind(idev);
                ictx.machine().destroyMockDevice(dev);
                throw e;
            }
            sobj.mockDev = dev;
            sobj.idev = idev;
            ictx.objects.finalize(sobj);
            return new MockDomain(sobj.id(), hwptId, idev.id());
        } catch (IommufdException e) {
            ictx.objects.abort(sobj);
            throw e;
        }
    }

    private SelftestObj selftestObj(int id) {
        return ictx.objects.get(id, ObjType.SELFTEST, SelftestObj.class, "selftest device");
    }

    /** IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: returns the new pt_id. */
    public int mockDomainReplace(int stdevId, int ptId) {
        SelftestObj sobj = selftestObj(stdevId);
        return ictx.deviceReplace(sobj.idev, IOMMU_NO_PASID, ptId);
    }

    /** The device ID (idev) of a selftest device object. */
    public int idevOf(int stdevId) {
        return selftestObj(stdevId).idev.id();
    }

    /**
     * IOMMU_TEST_OP_MD_CHECK_MAP (iommufd_test_md_check_pa): every page of [iova, iova+length)
     * in the mock domain translates to the page of the user VA at the same offset.
     */
    public void mdCheckMap(int hwptId, long iova, long length, long uptr) {
        HwptPaging hwpt = ictx.getHwptPaging(hwptId);
        if (!Machine.MOCK_DRIVER.equals(hwpt.owner().driverName())) {
            throw fail(EINVAL, "hwpt %d is not a mock domain", hwptId);
        }
        long pageSize = hwpt.domain().minPageSize();
        if (Long.remainderUnsigned(iova, pageSize) != 0 || Long.remainderUnsigned(length, pageSize) != 0
                || Long.remainderUnsigned(uptr, pageSize) != 0 || Long.compareUnsigned(uptr + length, uptr) < 0) {
            throw fail(EINVAL, "iova 0x%x, length 0x%x and uptr 0x%x must be multiples of the domain page size 0x%x", iova, length, uptr, pageSize);
        }
        UserMemory.FileMapping[] m = {null};
        for (long off = 0; Long.compareUnsigned(off, length) < 0; off += pageSize) {
            Area a = hwpt.ioas().iopt().areaAt(iova + off);
            if (a != null && a.pages().revoked()) {
                throw fail(EINVAL, "iova 0x%x is a revoked dma-buf's: the domain does not translate it", iova + off);
            }
            if (a != null && a.pages().file() != null) {
                // IOAS_MAP_FILE pages: the page at uptr must be the file page the IOVA maps
                long at = filePageAt(m, uptr + off);
                if (at != a.userVa(iova + off) || !a.pages().file().id().equals(m[0].file())) {
                    throw fail(EINVAL, "iova 0x%x maps offset 0x%x of %s, not the page at user address 0x%x", iova + off,
                            a.userVa(iova + off), a.pages().file(), uptr + off);
                }
                continue;
            }
            if (a == null || a.userVa(iova + off) != uptr + off) {
                throw fail(EINVAL, "iova 0x%x does not translate to user address 0x%x%s", iova + off, uptr + off,
                        a == null ? " (not mapped)" : String.format(" (it maps 0x%x)", a.userVa(iova + off)));
            }
        }
    }

    /**
     * The file offset of the page at va when it is a shared file mapping (cache[0] becomes
     * that mapping, reused while va stays in it); -1 otherwise.
     */
    private long filePageAt(UserMemory.FileMapping[] cache, long va) {
        UserMemory.FileMapping m = cache[0];
        if (m == null || Long.compareUnsigned(va, m.start()) < 0 || Long.compareUnsigned(va, m.end()) >= 0) {
            m = ictx.memory().fileAt(va);
            cache[0] = m;
        }
        return m == null || m.file() == null ? -1 : m.offset() + (va - m.start());
    }

    private MappedFile.Id fileOf(UserMemory.FileMapping[] cache, long va) {
        return filePageAt(cache, va) < 0 ? null : cache[0].file();
    }

    /** The largest IOMMU_TEST_OP_DMABUF_GET buffer: PAGE_SIZE * 512. */
    public static final long DMABUF_MAX = PAGE_SIZE * 512;

    /**
     * IOMMU_TEST_OP_DMABUF_GET (iommufd_test_dmabuf_get): a dma-buf of length rounded up to
     * whole pages; EINVAL for 0 or more than 512 pages. The caller installs its fd
     * (dma_buf_fd) and answers it as dma_buf_get() for IOAS_MAP_FILE and DMABUF_REVOKE.
     */
    public Dmabuf dmabufGet(int length, int openFlags) {
        long len = (Integer.toUnsignedLong(length) + PAGE_SIZE - 1) & -PAGE_SIZE;
        if (len == 0 || len > DMABUF_MAX) {
            throw fail(EINVAL, "length 0x%x: a test dma-buf has 1 to 512 pages", Integer.toUnsignedLong(length));
        }
        FailNth.step("iommufd_test_dma_buf kzalloc");
        return new Dmabuf(len);
    }

    /**
     * IOMMU_TEST_OP_DMABUF_REVOKE (iommufd_test_dmabuf_revoke): dma_buf_get(fd) (EBADF for a
     * closed fd, EINVAL for a file that is no dma-buf), then priv->revoked := revoked and
     * dma_buf_invalidate_mappings(): every importer's iopt_revoke_notify() runs whatever the
     * new value, so pages attached before stay revoked even when the buffer is restored.
     */
    public void dmabufRevoke(int fd, boolean revoked, java.util.function.IntFunction<Dmabuf> dmabufGet,
            java.util.function.IntFunction<MappedFile> fget) {
        Dmabuf d = dmabufGet.apply(fd);
        if (d == null) {
            if (fget.apply(fd) == null) {
                throw fail(dev.iommufdsim.kernel.uapi.Errno.EBADF, "fd %d is not open", fd);
            }
            throw fail(EINVAL, "fd %d is not a dma-buf", fd);
        }
        d.setRevoked(revoked);
        for (IommufdObject obj : ictx.objectList()) {
            if (obj instanceof Ioas ioas) {
                ioas.iopt().revokeDmabuf(d);
            }
        }
    }

    /** The most bits IOMMU_TEST_OP_DIRTY takes: SZ_16M * BITS_PER_BYTE. */
    public static final long DIRTY_MAX_BITS = (16L << 20) * 8;

    /**
     * IOMMU_TEST_OP_DIRTY (iommufd_test_dirty): in a mock domain whose dirty tracking is on,
     * marks dirty the IOPTE of every page_size page of [iova, iova + length) whose bit is set
     * in the user's bitmap at uptr, as device writes would. Returns out_nr_dirty: the number
     * of set bits, also those over unmapped IOVAs (the driver's ENOENT is ignored).
     *
     * @param readBitmap copy_from_user() of the bitmap, given its byte count (length /
     *                   page_size bits, rounded up); called after every other check; returns
     *                   null when the bytes cannot be read (EFAULT)
     */
    public long dirty(int hwptId, long iova, long length, long pageSize, long uptr, java.util.function.LongFunction<byte[]> readBitmap) {
        if (pageSize == 0 || length == 0 || Long.remainderUnsigned(iova, pageSize) != 0
                || Long.remainderUnsigned(length, pageSize) != 0 || uptr == 0) {
            throw fail(EINVAL, pageSize == 0 ? "page_size is 0" : length == 0 ? "length is 0" : uptr == 0 ? "uptr is NULL"
                    : String.format("iova 0x%x and length 0x%x must be multiples of page_size 0x%x", iova, length, pageSize));
        }
        long max = Long.divideUnsigned(length, pageSize);
        if (Long.compareUnsigned(max, DIRTY_MAX_BITS) > 0) {
            throw fail(EOVERFLOW, "%s bits, more than the %d the selftest takes", Long.toUnsignedString(max), DIRTY_MAX_BITS);
        }
        HwptPaging hwpt = ictx.getHwptPaging(hwptId);
        if (!Machine.MOCK_DRIVER.equals(hwpt.owner().driverName())) {
            throw fail(EINVAL, "hwpt %d is not a mock domain", hwptId);
        }
        if (!hwpt.owner.selftestCanSetDirty(hwpt.domain())) {
            throw fail(EINVAL, "hwpt %d is not tracking dirty IOPTEs (no dirty_ops, or IOMMU_HWPT_SET_DIRTY_TRACKING not enabled)", hwptId);
        }
        byte[] bits = readBitmap.apply((max + 7) / 8);
        if (bits == null) {
            throw fail(EFAULT, "the bitmap at uptr 0x%x (%d bytes) cannot be read", uptr, (max + 7) / 8);
        }
        java.util.BitSet set = java.util.BitSet.valueOf(bits);
        long count = 0;
        for (int i = set.nextSetBit(0); i >= 0 && i < max; i = set.nextSetBit(i + 1)) {
            try {
                hwpt.owner.selftestSetDirty(hwpt.domain(), iova + i * pageSize);
            } catch (IommufdException e) {
                // set_dirty's ENOENT for an unmapped IOVA: the selftest counts the bit all the same
            }
            count++;
        }
        return count;
    }

    /**
     * IOMMU_TEST_OP_MD_CHECK_IOTLB (iommufd_test_md_check_iotlb): the mock nested domain's
     * IOTLB entry iotlb_id holds this value. The comparison is the mock driver's.
     */
    public void mdCheckIotlb(int hwptId, int iotlbId, long value) {
        HwptNested hwpt = ictx.objects.get(hwptId, ObjType.HWPT_NESTED, HwptNested.class, "nested HWPT");
        if (!Machine.MOCK_DRIVER.equals(hwpt.owner().driverName())) {
            throw fail(EINVAL, "hwpt %d is not a mock nested domain", hwptId);
        }
        hwpt.owner().selftestCheck("md_check_iotlb", hwpt.domain().state(), Integer.toUnsignedLong(iotlbId), value);
    }

    /**
     * IOMMU_TEST_OP_PASID_ATTACH (iommufd_test_pasid_attach): iommufd_device_attach() of the
     * mock device's pasid to ptId. Returns pt_id (an IOAS gives the automatic HWPT's ID).
     */
    public int pasidAttach(int stdevId, int pasid, int ptId) {
        return ictx.deviceAttach(selftestObj(stdevId).idev, pasid, ptId);
    }

    /** IOMMU_TEST_OP_PASID_REPLACE (iommufd_test_pasid_replace): iommufd_device_replace(). Returns pt_id. */
    public int pasidReplace(int stdevId, int pasid, int ptId) {
        return ictx.deviceReplace(selftestObj(stdevId).idev, pasid, ptId);
    }

    /** IOMMU_TEST_OP_PASID_DETACH (iommufd_test_pasid_detach): detaching what is not attached is no error. */
    public void pasidDetach(int stdevId, int pasid) {
        ictx.deviceDetach(selftestObj(stdevId).idev, pasid);
    }

    /**
     * IOMMU_TEST_OP_PASID_CHECK_HWPT (iommufd_test_pasid_check_hwpt): the pasid of the mock
     * device's group is attached to hwptId's domain, or, hwptId 0, to none (else EINVAL).
     */
    public void pasidCheckHwpt(int stdevId, int pasid, int hwptId) {
        SelftestObj sobj = selftestObj(stdevId);
        IommufdGroup.Attach attach = sobj.idev.igroup.pasidAttach.get(pasid);
        HwPagetable attached = attach == null ? null : attach.hwpt;
        if (hwptId == 0) {
            if (attached != null) {
                throw fail(EINVAL, "pasid %d is attached to hwpt %d, not detached", Integer.toUnsignedLong(pasid), attached.id());
            }
            return;
        }
        IommufdObject obj = ictx.objects.get(hwptId, ObjType.ANY, IommufdObject.class, "object");
        if (!(obj instanceof HwPagetable hwpt)) {
            throw fail(EINVAL, "ID %d is a %s, not a HWPT", hwptId, obj.type());
        }
        if (attached != hwpt) {
            throw fail(EINVAL, "pasid %d is attached to %s, not hwpt %d", Integer.toUnsignedLong(pasid),
                    attached == null ? "nothing" : "hwpt " + attached.id(), hwptId);
        }
    }

    /** IOMMU_TEST_OP_DEV_CHECK_CACHE (iommufd_test_dev_check_cache): the mock device's cache entry. */
    public void devCheckCache(int idevId, int cacheId, long value) {
        IommufdDevice idev = ictx.getDevice(idevId);
        idev.dev.iommu().selftestCheck("dev_check_cache", idev.dev.info(), Integer.toUnsignedLong(cacheId), value);
    }

    // ---- page pins and in-kernel accesses -----------------------------------------------------

    /**
     * IOMMU_TEST_OP_MD_CHECK_REFS (iommufd_test_md_check_refs): every page of [uptr, uptr +
     * length) of the calling process is pinned refs times. Page by page, as the kernel's loop:
     * a page get_user_pages_fast() cannot get is EFAULT, a count that differs EIO; pages of
     * compound (huge) pages are not counted.
     */
    public void mdCheckRefs(long uptr, long length, int refs) {
        if (Long.remainderUnsigned(length, PAGE_SIZE) != 0 || Long.remainderUnsigned(uptr, PAGE_SIZE) != 0
                || Long.compareUnsigned(uptr + length, uptr) < 0) {
            throw fail(EINVAL, "uptr 0x%x and length 0x%x must be page aligned and not overflow", uptr, length);
        }
        if (length == 0) {
            return;
        }
        UserMemory mm = ictx.memory();
        long first = Long.divideUnsigned(uptr, PAGE_SIZE);
        long last = first + Long.divideUnsigned(length, PAGE_SIZE) - 1;
        List<UserMemory.Range> compound = mm.compoundRanges(uptr, length);
        long[] bad = {-1, 0};
        UserPagePins userPins = ictx.machine().userPagePins();
        UserMemory.FileMapping[] map = {null};
        boolean perPage = userPins.anyFilePinned();
        userPins.forEachRun(mm, first, last, (s, l, mmCount) -> {
            if (!perPage) {
                return refsMatch(s, l, mmCount, refs, compound, bad);
            }
            // a page of a shared file mapping also carries the pins of the IOAS_MAP_FILE areas
            // of that file (counted page by page only while some file page is pinned)
            for (long p = s; p <= l; p++) {
                long off = filePageAt(map, p * PAGE_SIZE);
                long count = mmCount + (off < 0 ? 0 : userPins.fileCount(map[0].file(), Long.divideUnsigned(off, PAGE_SIZE)));
                if (!refsMatch(p, p, count, refs, compound, bad)) {
                    return false;
                }
            }
            return true;
        });
        long pages = bad[0] < 0 ? last - first + 1 : bad[0] - first + 1;
        if (!mm.canPin(uptr, pages * PAGE_SIZE, false)) {
            throw fail(EFAULT, "user memory 0x%x-0x%x is not all mapped (get_user_pages_fast)", uptr, uptr + pages * PAGE_SIZE - 1);
        }
        if (bad[0] >= 0) {
            throw fail(EIO, "the page at 0x%x is pinned %d times, not %d", bad[0] * PAGE_SIZE, bad[1], Integer.toUnsignedLong(refs));
        }
    }

    /** Whether pages [s, l] pinned count times pass; else bad = {first counted page, count}. */
    private static boolean refsMatch(long s, long l, long count, int refs, List<UserMemory.Range> compound, long[] bad) {
        if (Integer.toUnsignedLong(refs) == count) {
            return true;
        }
        long p = firstNotCompound(s, l, compound);
        if (p < 0) {
            return true;
        }
        bad[0] = p;
        bad[1] = count;
        return false;
    }

    /** The first page number of [s, l] outside every compound range, or -1. */
    private static long firstNotCompound(long s, long l, List<UserMemory.Range> compound) {
        long p = s;
        boolean moved = true;
        while (moved && p <= l) {
            moved = false;
            for (UserMemory.Range r : compound) {
                long va = p * PAGE_SIZE;
                if (Long.compareUnsigned(va, r.start()) >= 0 && Long.compareUnsigned(va, r.last()) <= 0) {
                    p = Long.divideUnsigned(r.last(), PAGE_SIZE) + 1;
                    moved = true;
                }
            }
        }
        return p <= l ? p : -1;
    }

    /**
     * IOMMU_TEST_OP_CREATE_ACCESS (iommufd_test_create_access): an access on ioasId driven by a
     * new file; returns out_access_fd. Order as the kernel: flags, the fd number, the access
     * object (an ID), then the attach.
     */
    public int createAccess(int ioasId, int flags) {
        if ((flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) != 0) {
            throw fail(EOPNOTSUPP, "unknown CREATE_ACCESS flags 0x%x", flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
        }
        SelftestAccess file = new SelftestAccess((flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) != 0);
        int fd = ictx.allocFd();
        IommufdAccess access;
        try {
            access = IommufdAccess.create(ictx, file);
        } catch (RuntimeException e) {
            ictx.putUnusedFd(fd);
            throw e;
        }
        try {
            access.attach(ioasId);
        } catch (RuntimeException e) {
            access.destroyUser();
            ictx.putUnusedFd(fd);
            throw e;
        }
        file.access = access;
        ictx.installAccessFd(fd, file);
        return fd;
    }

    /** IOMMU_TEST_OP_ACCESS_REPLACE_IOAS (iommufd_access_replace). */
    public void accessReplaceIoas(int accessFd, int ioasId) {
        ictx.accessFile(accessFd).access().replace(ioasId);
    }

    /**
     * IOMMU_TEST_OP_ACCESS_PAGES (iommufd_test_access_pages): pins [iova, iova + length) through
     * the access and, unless uptr is 0, checks the pinned pages are those at uptr (EFAULT,
     * EBADE); returns out_access_pages_id.
     */
    public int accessPages(int accessFd, long iova, long length, long uptr, int flags) {
        if (Long.compareUnsigned(length, ACCESS_MAX_LENGTH) > 0) {
            throw fail(ENOMEM, "length 0x%x is above the selftest's 16 MiB", length);
        }
        if ((flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ)) != 0) {
            throw fail(EOPNOTSUPP, "unknown ACCESS_PAGES flags 0x%x", flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ));
        }
        SelftestAccess file = ictx.accessFile(accessFd);
        if (!file.needsPinPages()) {
            throw fail(EOPNOTSUPP, "access fd %d was created without MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES", accessFd);
        }
        if ((flags & MOCK_FLAGS_ACCESS_SYZ) != 0) {
            iova = syzConvIova(file.access(), iova);
        }
        List<IommufdAccess.PinnedPage> pages = file.access().pinPages(iova, length, (flags & MOCK_FLAGS_ACCESS_WRITE) != 0);
        try {
            if (uptr != 0) {
                checkPages(uptr - Long.remainderUnsigned(iova, PAGE_SIZE), pages);
            }
            FailNth.step("selftest_access_item kzalloc");
        } catch (RuntimeException e) {
            file.access().unpinPages(iova, length);
            throw e;
        }
        return file.addItem(iova, length).id();
    }

    /** iommufd_test_check_pages(): the pinned pages are the pages at uptr, one by one. */
    private void checkPages(long uptr, List<IommufdAccess.PinnedPage> pages) {
        UserMemory mm = ictx.memory();
        long base = uptr - Long.remainderUnsigned(uptr, PAGE_SIZE);
        UserMemory.FileMapping[] map = {null};
        int mismatch = -1;
        for (int k = 0; k < pages.size(); k++) {
            IommufdAccess.PinnedPage p = pages.get(k);
            boolean same = p.mm() instanceof MappedFile.Id f
                    ? f.equals(fileOf(map, base + k * PAGE_SIZE)) && p.va() == filePageAt(map, base + k * PAGE_SIZE)
                    : p.mm().equals(mm.mm()) && p.va() == base + k * PAGE_SIZE;
            if (!same) {
                mismatch = k;
                break;
            }
        }
        long n = mismatch < 0 ? pages.size() : mismatch + 1;
        if (!mm.canPin(base, n * PAGE_SIZE, false)) {
            throw fail(EFAULT, "uptr 0x%x (%d pages) is not all mapped", uptr, n);
        }
        if (mismatch >= 0) {
            throw fail(EBADE, "pinned page %d is not the page at 0x%x", mismatch, base + mismatch * PAGE_SIZE);
        }
    }

    /** IOMMU_TEST_OP_DESTROY_ACCESS_PAGES (iommufd_test_access_item_destroy). */
    public void destroyAccessPages(int accessFd, int accessPagesId) {
        SelftestAccess file = ictx.accessFile(accessFd);
        SelftestAccess.Item item = file.item(accessPagesId);
        if (item == null) {
            throw fail(ENOENT, "access fd %d has no pages with ID %d", accessFd, Integer.toUnsignedLong(accessPagesId));
        }
        file.dropItem(item);
        file.access().unpinPages(item.iova(), item.length());
    }

    /**
     * IOMMU_TEST_OP_ACCESS_RW (iommufd_test_access_rw): copies length bytes between the user
     * buffer uptr and the IOVAs through the access (MOCK_ACCESS_RW_WRITE: to the IOVAs).
     */
    public void accessRw(int accessFd, long iova, long length, long uptr, int flags) {
        int known = MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH | MOCK_FLAGS_ACCESS_SYZ;
        if (Long.compareUnsigned(length, ACCESS_MAX_LENGTH) > 0) {
            throw fail(ENOMEM, "length 0x%x is above the selftest's 16 MiB", length);
        }
        if ((flags & ~known) != 0) {
            throw fail(EOPNOTSUPP, "unknown ACCESS_RW flags 0x%x", flags & ~known);
        }
        SelftestAccess file = ictx.accessFile(accessFd);
        boolean write = (flags & MOCK_ACCESS_RW_WRITE) != 0;
        byte[] tmp = write ? ictx.memory().read(uptr, (int) length) : new byte[(int) length];
        if ((flags & MOCK_FLAGS_ACCESS_SYZ) != 0) {
            iova = syzConvIova(file.access(), iova);
        }
        file.access().rw(iova, tmp, flags);
        if (!write) {
            ictx.memory().write(uptr, tmp);
        }
    }

    /**
     * iommufd_test_syz_conv_iova(): MOCK_FLAGS_ACCESS_SYZ makes the IOVA {nth_area: low 32
     * bits, offset: high 32}: the start of the nth area plus offset, or 0 without such an area.
     */
    private static long syzConvIova(IommufdAccess access, long iova) {
        Ioas ioas = access.ioas();
        if (ioas == null) {
            return 0;
        }
        return IoasIoctls.syzConvIova(ioas.iopt(), iova);
    }

    /**
     * IOMMU_TEST_OP_TRIGGER_IOPF (iommufd_test_trigger_iopf): the mock device reports a
     * last-page request; PASID_VALID unless pasid is IOMMU_NO_PASID. Whether a fault queue
     * takes it or the core answers it, the op succeeds.
     */
    public void triggerIopf(int devId, int pasid, int grpid, int perm, long addr) {
        IommufdDevice idev = ictx.getDevice(devId);
        if (!Machine.MOCK_DRIVER.equals(idev.dev.iommu().driverName())) {
            throw fail(EINVAL, "dev %d (%s) is not a mock device", devId, idev.dev.name());
        }
        int flags = dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_FLAGS_LAST_PAGE;
        if (pasid != IOMMU_NO_PASID) {
            flags |= dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_FLAGS_PASID_VALID;
        }
        // mock_ops.user_pasid_table
        IoPgfault.reportDeviceFault(idev, List.of(new PageRequest(flags, pasid, grpid, perm, addr)), true);
    }

    /**
     * IOMMU_TEST_OP_TRIGGER_VEVENT (iommufd_test_trigger_vevent): a struct
     * iommu_viommu_event_selftest {virt_id} into the device's vIOMMU's SELFTEST vEVENTQ.
     */
    public void triggerVevent(int devId) {
        IommufdDevice idev = ictx.getDevice(devId);
        IommufdVdevice vdev = idev.vdev;
        if (vdev == null || vdev.virtId == 0) {
            throw fail(dev.iommufdsim.kernel.uapi.Errno.ENOENT, "dev %d has no vDEVICE with a non-zero virtual ID", devId);
        }
        byte[] event = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt((int) vdev.virtId).array();
        IoPgfault.viommuReportEvent(vdev.viommu, dev.iommufdsim.kernel.uapi.Uapi.IOMMU_VEVENTQ_TYPE_SELFTEST, event);
    }
}
