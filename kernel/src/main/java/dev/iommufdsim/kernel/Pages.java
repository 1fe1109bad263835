package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import dev.iommufdsim.kernel.iopt.RangeCounts;
import java.util.ArrayList;
import java.util.List;

/**
 * struct iopt_pages (drivers/iommu/iommufd/pages.c): the user memory behind one or more areas
 * (IOAS_COPY shares it), in page indices from {@link #uptr()}. The emulator keeps no pfns,
 * only which indices are pinned and by whom: an index is pinned (once, whatever the number of
 * holders) while an area with a storage domain covers it (pages->domains_itree) or an
 * in-kernel access does (pages->access_itree, whose pfns the kernel keeps in pinned_pfns).
 * The first holder pins the user page in the source process ({@link UserPagePins}), the last
 * one to go unpins it, as pfn_reader_user_pin() and batch_unpin() do.
 */
public final class Pages {
    /** IOMMUFD_ACCESS_RW_WRITE and __IOMMUFD_ACCESS_RW_SLOW_PATH (include/linux/iommufd.h). */
    static final int ACCESS_RW_WRITE = 1 << 0;
    static final int ACCESS_RW_SLOW_PATH = 1 << 2;

    /** One iopt_pages_access: an exact index range pinned for accesses, with its users. */
    private static final class PagesAccess {
        final long start;
        final long last;
        int users = 1;

        PagesAccess(long start, long last) {
            this.start = start;
            this.last = last;
        }
    }

    private final long uptr;
    private final boolean writable;
    /** pages->source_mm; IOAS_CHANGE_PROCESS moves file pages to the caller (change_mm). */
    private UserMemory sourceMm;
    /** pages->file of IOPT_ADDRESS_FILE pages (then uptr is pages->start, a file offset); else null. */
    private final MappedFile file;
    /** The dma-buf of IOPT_ADDRESS_DMABUF pages (then uptr is pages->dmabuf.start); else null. */
    private final Dmabuf dmabuf;
    /** iopt_dmabuf_revoked(): dma-buf pages whose exporter revoked them (phys.len == 0). */
    private boolean revoked;
    /** Holders per index (domain areas and access nodes); null while nothing is held. */
    private RangeCounts holders;
    /** pages->access_itree; null while no access exists. */
    private List<PagesAccess> accesses;

    /** IOPT_PAGES_ACCOUNT_NONE, _USER and _MM (io_pagetable.h). */
    public static final int ACCOUNT_NONE = 0;
    public static final int ACCOUNT_USER = 1;
    public static final int ACCOUNT_MM = 2;
    static final int ACCOUNT_MODE_NUM = 3;

    /** pages->account_mode. */
    private int accountMode;
    /** pages->source_user (current_user() of the source; source_task is the source process). */
    private Object sourceUser;
    /** pages->npinned: the indices pinned from the user (held by something). */
    private long npinned;
    /** pages->last_npinned: what iopt_pages_update_pinned() last charged. */
    private long lastNpinned;

    /**
     * @param uptr     user VA of index 0 (ALIGN_DOWN(user_va, PAGE_SIZE))
     * @param writable the pages may be mapped WRITEABLE (pinned with FOLL_WRITE)
     * @param sourceMm the process that mapped them (pages->source_mm)
     */
    Pages(long uptr, boolean writable, UserMemory sourceMm) {
        this(uptr, writable, sourceMm, null, null);
    }

    /**
     * iopt_alloc_file_pages(): pages of a file from the page-aligned offset start (pages->start).
     */
    Pages(long start, boolean writable, UserMemory sourceMm, MappedFile file) {
        this(start, writable, sourceMm, file, null);
    }

    /** iopt_alloc_dmabuf_pages(): pages of a dma-buf from the page-aligned offset start. */
    Pages(long start, boolean writable, UserMemory sourceMm, Dmabuf dmabuf) {
        this(start, writable, sourceMm, null, dmabuf);
    }

    private Pages(long start, boolean writable, UserMemory sourceMm, MappedFile file, Dmabuf dmabuf) {
        this.uptr = start;
        this.writable = writable;
        this.sourceMm = sourceMm;
        this.file = file;
        this.dmabuf = dmabuf;
        // iopt_alloc_pages(): capable(CAP_IPC_LOCK) of current charges nobody; dma-buf pages
        // "do not use pinned page accounting" (iopt_alloc_dmabuf_pages)
        this.accountMode = dmabuf != null || sourceMm.capIpcLock() ? ACCOUNT_NONE : ACCOUNT_USER;
        this.sourceUser = sourceMm.user();
    }

    /** pages->account_mode. */
    public int accountMode() {
        return accountMode;
    }

    /** pages->source_user. */
    public Object sourceUser() {
        return sourceUser;
    }

    /** pages->npinned. */
    public long npinned() {
        return npinned;
    }

    /**
     * iopt_map_common(): a context in IOMMU_OPTION_RLIMIT_MODE 1 (IOPT_PAGES_ACCOUNT_MM)
     * turns USER pages into MM pages before they are mapped.
     */
    void applyContextAccountMode(boolean ctxAccountMm) {
        if (ctxAccountMm && accountMode == ACCOUNT_USER) {
            accountMode = ACCOUNT_MM;
        }
    }

    /**
     * iopt_pages_update_pinned() of pages->account_mode, source mm and user, without the
     * last_npinned update (charge_current() calls it on a stack iopt_pages): USER
     * (incr_user_locked_vm) and MM (update_mm_locked_vm, __account_locked_vm) refuse an
     * increase past the source task's RLIMIT_MEMLOCK with ENOMEM and then charge nothing;
     * otherwise mm->pinned_vm moves in every mode.
     */
    static void updatePinned(int mode, UserMemory mm, Object user, long npages, boolean inc, PinnedVm vm) {
        switch (mode) {
            case ACCOUNT_USER -> {
                if (inc) {
                    // incr_user_locked_vm(): lock_limit = task_rlimit(source_task) >> PAGE_SHIFT
                    long limit = mm.rlimitMemlock() >>> 12;
                    long cur = vm.userLockedVm(user);
                    if (Long.compareUnsigned(cur + npages, limit) > 0) {
                        throw fail(ENOMEM, "RLIMIT_MEMLOCK: user %s has %d pages locked, %d more exceed the limit of %d (no CAP_IPC_LOCK)",
                                user, cur, npages, limit);
                    }
                    vm.addUserLockedVm(user, npages);
                } else {
                    // decr_user_locked_vm(): WARN_ON and nothing when it would go negative
                    if (vm.userLockedVm(user) >= npages) {
                        vm.addUserLockedVm(user, -npages);
                    }
                }
            }
            case ACCOUNT_MM -> {
                // update_mm_locked_vm() -> __account_locked_vm(mm, npages, inc, source_task, false)
                if (inc) {
                    long limit = mm.rlimitMemlock() >>> 12;
                    long cur = vm.lockedVm(mm.mm());
                    if (Long.compareUnsigned(cur + npages, limit) > 0) {
                        throw fail(ENOMEM, "RLIMIT_MEMLOCK: %s has %d pages locked, %d more exceed the limit of %d (no CAP_IPC_LOCK)",
                                mm, cur, npages, limit);
                    }
                    vm.addMmLockedVm(mm.mm(), npages);
                } else {
                    vm.addMmLockedVm(mm.mm(), -Math.min(npages, vm.lockedVm(mm.mm()))); // WARN_ON_ONCE
                }
            }
            default -> {
                // IOPT_PAGES_ACCOUNT_NONE
            }
        }
        vm.addPinnedVm(mm.mm(), inc ? npages : -npages);
    }

    /** iopt_pages_update_pinned(pages, npages, inc): the charge, then last_npinned = npinned. */
    void updatePinned(long npages, boolean inc, PinnedVm vm) {
        updatePinned(accountMode, sourceMm, sourceUser, npages, inc, vm);
        lastNpinned = npinned;
    }

    /**
     * need_charge_update() of ioas.c: whether IOAS_CHANGE_PROCESS from current moves the
     * charge (MM: another mm; USER: another user or mm, as USER also charges pinned_vm).
     */
    boolean needChargeUpdate(UserMemory current) {
        return switch (accountMode) {
            case ACCOUNT_NONE -> false;
            case ACCOUNT_MM -> !sourceMm.mm().equals(current.mm());
            default -> !sourceUser.equals(current.user()) || !sourceMm.mm().equals(current.mm());
        };
    }

    /** pages->last_npinned, for IOAS_CHANGE_PROCESS's count and its undo. */
    long lastNpinned() {
        return lastNpinned;
    }

    void setLastNpinned(long n) {
        lastNpinned = n;
    }

    /** The dma-buf of IOPT_ADDRESS_DMABUF pages, or null. */
    public Dmabuf dmabuf() {
        return dmabuf;
    }

    /** iopt_dmabuf_revoked(). */
    public boolean revoked() {
        return revoked;
    }

    /** iopt_revoke_notify(): the pages lose their memory for good. */
    void revoke() {
        revoked = true;
    }

    /** User VA of page index 0; for file pages the file offset of index 0 (pages->start). */
    public long uptr() {
        return uptr;
    }

    /** The file of IOPT_ADDRESS_FILE pages, or null for user memory (IOPT_ADDRESS_USER). */
    public MappedFile file() {
        return file;
    }

    /** Whose pages {@link UserPagePins} counts: the file's for file pages, else the source mm's. */
    public Object pinKey() {
        return dmabuf != null ? null : file != null ? file.id() : sourceMm.mm();
    }

    /** The page as an access hands it out: (file, offset) or (mm, user VA) of index. */
    IommufdAccess.PinnedPage pinnedPage(long index) {
        return new IommufdAccess.PinnedPage(pinKey(), uptr + index * PAGE_SIZE);
    }

    public boolean writable() {
        return writable;
    }

    /** pages->source_mm. */
    public UserMemory sourceMm() {
        return sourceMm;
    }

    /** change_mm() of ioas.c: the pages' source process becomes current (IOAS_CHANGE_PROCESS). */
    void changeMm(UserMemory current) {
        sourceMm = current;
        sourceUser = current.user();
    }

    private long pageNumber(long index) {
        return Long.divideUnsigned(uptr, PAGE_SIZE) + index;
    }

    /** Whether index is pinned (some domain area or access holds it). */
    public boolean isPinned(long index) {
        return holders != null && holders.count(index) > 0;
    }

    /** Visits the runs of [start, last] with their holder counts (0: not pinned). */
    public void forEachHolderRun(long start, long last, RangeCounts.CountVisitor v) {
        if (holders == null) {
            v.visit(start, last, 0);
        } else {
            holders.forEachRun(start, last, v);
        }
    }

    /** The holder count runs, "{start..last=count, ...}" (for snapshots and invariants). */
    public String holders() {
        return holders == null ? "{}" : holders.toString();
    }

    /** The access ranges, {start, last, users} each (for snapshots and invariants). */
    public List<long[]> accessRanges() {
        List<long[]> out = new ArrayList<>();
        if (accesses != null) {
            for (PagesAccess a : accesses) {
                out.add(new long[] {a.start, a.last, a.users});
            }
        }
        return out;
    }

    /**
     * pfn_reader_user_pin() for the unpinned parts of [start, last]: whether the source
     * process can pin them now (EFAULT otherwise, also when it is gone: mmget_not_zero).
     */
    private void checkPinnable(long start, long last) {
        if (dmabuf != null) {
            return; // pfn_reader_fill_dmabuf(): the exporter's memory, pinned at attach
        }
        if (file != null) {
            checkFilePinnable(start, last);
            return;
        }
        forEachHolderRun(start, last, (s, l, count) -> {
            if (count == 0 && !sourceMm.canPin(uptr + s * PAGE_SIZE, (l - s + 1) * PAGE_SIZE, writable)) {
                throw fail(EFAULT, "user memory 0x%x-0x%x cannot be pinned%s (not mapped%s, or its process is gone)", uptr + s * PAGE_SIZE,
                        uptr + (l + 1) * PAGE_SIZE - 1, writable ? " for writing" : "", writable ? " writable" : "");
            }
            return true;
        });
    }

    /**
     * pfn_reader_user_pin() of file pages: memfd_pin_folios(file, pages->start + start_index *
     * PAGE_SIZE, end) refuses a file that is not shmem or hugetlbfs and an end at or past
     * i_size (both EINVAL); missing folios are allocated, so every page in the file pins.
     */
    private void checkFilePinnable(long start, long last) {
        boolean[] unpinned = {false};
        forEachHolderRun(start, last, (s, l, count) -> {
            unpinned[0] |= count == 0;
            return !unpinned[0];
        });
        if (!unpinned[0]) {
            return;
        }
        if (!file.memfd()) {
            throw fail(EINVAL, "%s is not a memfd (shmem or hugetlbfs): memfd_pin_folios() cannot pin it", file);
        }
        long end = uptr + (last + 1) * PAGE_SIZE - 1;
        if (Long.compareUnsigned(end, file.size()) >= 0) {
            throw fail(EINVAL, "file offset 0x%x is at or past the end of %s (size 0x%x)", end, file, file.size());
        }
    }

    /**
     * One more holder of [start, last]: pins from the user what nobody holds yet. EFAULT
     * changes nothing. Models the pfn_reader of iopt_area_fill_domain(s) and
     * iopt_pages_fill_xarray(): held indices come from storage, the holes are pinned.
     */
    void hold(long start, long last, UserPagePins pins) {
        checkPinnable(start, last);
        if (dmabuf == null) {
            // pfn_reader_user_update_pinned(): the pages pinned from the user are charged after
            // the pin; ENOMEM unwinds them (here: before anything is held)
            long[] fresh = {0};
            forEachHolderRun(start, last, (s, l, count) -> {
                if (count == 0) {
                    fresh[0] += l - s + 1;
                }
                return true;
            });
            if (fresh[0] > 0) {
                npinned += fresh[0];
                try {
                    updatePinned(npinned - lastNpinned, true, pins.pinnedVm());
                } catch (RuntimeException e) {
                    npinned -= fresh[0];
                    throw e;
                }
            }
        }
        if (holders == null) {
            holders = new RangeCounts();
        }
        holders.add(start, last, 1, dmabuf != null ? null : (s, l) -> pins.pin(pinKey(), pageNumber(s), pageNumber(l)));
    }

    /** One holder of [start, last] less: unpins what nobody holds any more (batch_unpin). */
    void release(long start, long last, UserPagePins pins) {
        long[] gone = {0};
        holders.add(start, last, -1, dmabuf != null ? null : (s, l) -> {
            pins.unpin(pinKey(), pageNumber(s), pageNumber(l));
            gone[0] += l - s + 1;
        });
        if (holders.isEmpty()) {
            holders = null;
        }
        if (gone[0] > 0) {
            // batch_unpin() -> iopt_pages_sub_npinned(), then update_unpinned()
            npinned -= gone[0];
            updatePinned(lastNpinned - npinned, false, pins.pinnedVm());
        }
    }

    private PagesAccess exactAccess(long start, long last) {
        if (accesses != null) {
            for (PagesAccess a : accesses) {
                if (a.start == start && a.last == last) {
                    return a;
                }
            }
        }
        return null;
    }

    /**
     * iopt_area_add_access() on the pages: an access of the exact range gains a user, else a
     * new one is pinned (iopt_pages_fill_xarray). EPERM for a write to read-only pages.
     */
    void addAccess(long start, long last, boolean write, UserPagePins pins) {
        if (write && !writable) {
            throw fail(EPERM, "a write access to pages mapped read-only (user memory 0x%x)", uptr + start * PAGE_SIZE);
        }
        if (dmabuf != null) {
            throw fail(EINVAL, "an access to dma-buf pages (iopt_area_add_access refuses them)");
        }
        PagesAccess a = exactAccess(start, last);
        if (a != null) {
            a.users++;
            return;
        }
        FailNth.step("iopt_pages_access kzalloc");
        hold(start, last, pins);
        if (accesses == null) {
            accesses = new ArrayList<>();
        }
        accesses.add(new PagesAccess(start, last));
    }

    /** iopt_area_remove_access() on the pages: the last user unpins (iopt_pages_unfill_xarray). */
    void removeAccess(long start, long last, UserPagePins pins) {
        PagesAccess a = exactAccess(start, last);
        if (a == null) {
            throw new IllegalStateException("no access of pages " + start + ".." + last);
        }
        if (--a.users > 0) {
            return;
        }
        accesses.remove(a);
        if (accesses.isEmpty()) {
            accesses = null;
        }
        release(start, last, pins);
    }

    /**
     * iopt_pages_rw_access(): copies between data[off, off + length) and the pages from
     * startByte. The current process (current->mm) reads and writes directly when it is the
     * source and no slow path is asked for; otherwise the kernel reads the pages through a pin
     * of the source process (one page: pin_user_pages_remote) or the pfn_reader (several, or a
     * source that is gone), which needs the unpinned pages pinnable.
     *
     * <p>The emulator holds no page contents: the bytes always move through the current
     * process's memory at the pages' address, which is the same memory when the source is the
     * caller or shares it (MAP_SHARED memory inherited over fork, as the selftest's buffer).
     */
    void rwAccess(long startByte, byte[] data, int off, int length, int flags, UserMemory current) {
        if ((flags & ACCESS_RW_WRITE) != 0 && !writable) {
            throw fail(EPERM, "a write through an access to pages mapped read-only");
        }
        if (dmabuf != null) {
            throw fail(EINVAL, "ACCESS_RW of dma-buf pages (iopt_pages_rw_access refuses them)");
        }
        if (file != null) {
            // The emulator holds no file contents and cannot reach the program's file after
            // MAP_FILE (it may be closed): iopt_pages_rw_access() on file pages is not emulated.
            throw new UnsupportedOperationException("ACCESS_RW on pages of " + file + " (IOAS_MAP_FILE) is not emulated");
        }
        long startIndex = startByte / PAGE_SIZE;
        long lastIndex = (startByte + length - 1) / PAGE_SIZE;
        boolean write = (flags & ACCESS_RW_WRITE) != 0;
        boolean changeMm = !current.mm().equals(sourceMm.mm()) || (flags & ACCESS_RW_SLOW_PATH) != 0;
        if (write && !writable) {
            throw fail(EPERM, "a write through an access to pages mapped read-only (user memory 0x%x)", uptr + startByte);
        }
        long va = uptr + startByte;
        if (changeMm) {
            // When the caller is the source, the copy below touches these very pages: reading
            // them proves a read pin, writing them a FOLL_WRITE pin, so only a read of writable
            // pages (pinned FOLL_WRITE by the pfn_reader) still has to ask. This spares a probe
            // of the process per call.
            boolean sameMm = current.mm().equals(sourceMm.mm());
            if (startIndex == lastIndex) {
                // iopt_pages_rw_page(): one page pinned in the source, or the slow path once it is gone
                long page = uptr + startIndex * PAGE_SIZE;
                if (!sameMm && !sourceMm.canPin(page, PAGE_SIZE, write)) {
                    if (sourceMm.isAlive()) {
                        throw fail(EFAULT, "the page at 0x%x cannot be pinned in the process that mapped it", page);
                    }
                    checkPinnable(startIndex, lastIndex);
                }
            } else if (!sameMm || (writable && !write)) {
                checkPinnable(startIndex, lastIndex); // iopt_pages_rw_slow()
            }
        }
        if (write) {
            byte[] chunk = new byte[length];
            System.arraycopy(data, off, chunk, 0, length);
            current.write(va, chunk);
        } else {
            System.arraycopy(current.read(va, length), 0, data, off, length);
        }
    }
}
