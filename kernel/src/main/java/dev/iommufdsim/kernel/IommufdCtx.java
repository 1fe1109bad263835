package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HW_CAP_DIRTY_TRACKING;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HW_INFO_FLAG_INPUT_TYPE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HW_INFO_TYPE_DEFAULT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HW_INFO_TYPE_NONE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_HUGE_PAGES;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_OP_GET;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_OP_SET;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_RLIMIT_MODE;

import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * struct iommufd_ctx: one open of /dev/iommu with its object table. The public methods are
 * the uAPI, one per ioctl, named after it, taking the struct's input fields and returning
 * its output fields; a failure throws {@link dev.iommufdsim.kernel.uapi.IommufdException}
 * with the kernel's errno and changes nothing (except IOAS_UNMAP, like the kernel). The
 * handlers live in files named after the kernel's (IoasIoctls = ioas.c, ...).
 */
public final class IommufdCtx {
    /** IOMMU_IOAS_IOVA_RANGES outputs. */
    public record IovaRanges(long numIovas, long outIovaAlignment, List<IovaRange> ranges) {
    }

    /** IOMMU_GET_HW_INFO outputs. */
    public record HwInfoOut(int outDataType, long dataLen, byte[] data, long outCapabilities, int outMaxPasidLog2) {
    }

    private final Machine machine;
    private final int number;
    final ObjectTable objects = new ObjectTable();
    /** ctx->groups, keyed by iommu_group_id. */
    private final Map<Integer, IommufdGroup> groups = new HashMap<>();
    /** ctx->account_mode == IOPT_PAGES_ACCOUNT_MM. */
    private boolean accountModeMm;
    /** current->mm: the process making the calls (set per call by a server, fixed for scripts). */
    private UserMemory memory;
    /** ctx->sw_msi_list and sw_msi_id. */
    private final SwMsi swMsi = new SwMsi();
    /** The process's next file descriptor for fault and event queues (0-2 stdio, 3 this iommufd). */
    private int nextFd = 4;
    private boolean closed;
    /** CAP_SYS_RESOURCE of the calling process (scripts run as root by default). */
    private boolean capSysResource = true;
    /** ctx->vfio_ioas: the IOAS the VFIO compat ioctls work on, or null (see VfioCompat). */
    Ioas vfioIoas;

    private final KernelProfile profile;

    IommufdCtx(Machine machine, int number, KernelProfile profile) {
        this.machine = machine;
        this.number = number;
        this.profile = profile;
        this.memory = machine.scriptProcess();
    }

    public Machine machine() {
        return machine;
    }

    /** Which open of /dev/iommu this is (1 for the first), for people. */
    public int number() {
        return number;
    }

    public KernelProfile profile() {
        return profile;
    }

    /** The calling process (current->mm). */
    public UserMemory memory() {
        return memory;
    }

    /** The SW_MSI doorbell maps of this context. */
    public SwMsi swMsi() {
        return swMsi;
    }

    int allocFd() {
        FailNth.step("get_unused_fd_flags");
        return nextFd++;
    }

    /** put_unused_fd(): an fd allocFd() just gave, never installed, is free again. */
    void putUnusedFd(int fd) {
        if (fd == nextFd - 1) {
            nextFd--;
        }
    }

    /** The fd number the next fault or event queue will get (for the invariant checker). */
    public int peekNextFd() {
        return nextFd;
    }

    /** The open fault / vEVENTQ fds and the object each holds, a copy (for the invariant checker). */
    public Map<Integer, IommufdObject> openEventFds() {
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(eventFds));
    }

    /** Every ID taken: published, reserved (placeholder) or tombstoned, a copy (for the invariant checker). */
    public java.util.BitSet takenIds() {
        return objects.usedIds();
    }

    /** The tombstoned IDs, a copy (for the invariant checker). */
    public java.util.BitSet tombstoneIds() {
        return objects.tombstoneIds();
    }

    /** How many iommufd_group entries ctx->groups holds (for the invariant checker). */
    public int groupCount() {
        return groups.size();
    }

    /** Open fault / vEVENTQ fds and the object each holds a reference on (iommufd_eventq_init). */
    private final Map<Integer, IommufdObject> eventFds = new java.util.TreeMap<>();
    /** Open selftest access fds (IOMMU_TEST_OP_CREATE_ACCESS) and the file behind each. */
    private final Map<Integer, SelftestAccess> accessFds = new java.util.TreeMap<>();

    /** The open selftest access fds and their files, a copy (for the invariant checker). */
    public Map<Integer, SelftestAccess> openAccessFds() {
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(accessFds));
    }

    /** fd_install() of an access file. */
    void installAccessFd(int fd, SelftestAccess file) {
        accessFds.put(fd, file);
    }

    /** iommufd_access_get(): fget() of an access fd; anything else is EBADFD, as in the kernel. */
    SelftestAccess accessFile(int fd) {
        SelftestAccess f = accessFds.get(fd);
        if (f == null) {
            throw fail(dev.iommufdsim.kernel.uapi.Errno.EBADFD, "fd %d is not an access fd of IOMMU_TEST_OP_CREATE_ACCESS", fd);
        }
        return f;
    }

    void openEventFd(int fd, IommufdObject obj) {
        obj.get();
        eventFds.put(fd, obj);
    }

    /**
     * close() of a fault or vEVENTQ fd (iommufd_eventq_fops_release): drops the fd's reference,
     * after which IOMMU_DESTROY of the object can succeed; of a selftest access fd
     * (iommufd_test_staccess_release): unpins its pages and destroys the access.
     */
    public void closeFd(int fd) {
        SelftestAccess file = accessFds.remove(fd);
        if (file != null) {
            file.release();
            return;
        }
        IommufdObject obj = eventFds.remove(fd);
        if (obj == null) {
            throw fail(dev.iommufdsim.kernel.uapi.Errno.EBADF, "fd %d is not an open fault or event queue or access fd of this context", fd);
        }
        obj.put();
    }

    /** The fault or vEVENTQ object an open fd refers to, or null. */
    IommufdObject eventFdObject(int fd) {
        return eventFds.get(fd);
    }

    /** read() of a fault or vEVENTQ fd (eventq.c fops): bytes read, or EINVAL/ESPIPE/EFAULT/EBADF. */
    public long eventqRead(int fd, long count, EventqFops.UserBuffer buf) {
        return EventqFops.read(this, fd, count, buf);
    }

    /** write() of page responses to a fault fd: bytes consumed, or the errno of the first. */
    public long eventqWrite(int fd, long count, EventqFops.UserBuffer buf) {
        return EventqFops.write(this, fd, count, buf);
    }

    /** poll() of a fault or vEVENTQ fd: EventqFops.EPOLL* bits. */
    public int eventqPoll(int fd) {
        return EventqFops.poll(this, fd);
    }

    /** ictx->mt_mmap: regions drivers offer for mmap() and their live mappings. */
    final MmapTable mmaps = new MmapTable();

    /**
     * mmap() of the iommufd (iommufd_fops_mmap) after the VFS's own checks: the mapping, which
     * holds the region's owner until {@link #munmap}.
     */
    public MmapTable.Vma mmap(long offset, long length, boolean shared, boolean exec) {
        return mmaps.map(offset, length, shared, exec);
    }

    /** The end of a mapping (iommufd_fops_vma_close); a second call does nothing. */
    public void munmap(MmapTable.Vma vma) {
        mmaps.unmap(vma);
    }

    /** Sets what the calling process has mapped (for the pinning checks). */
    public void setUserMemory(UserMemory memory) {
        this.memory = memory;
    }

    /** ctx->account_mode == IOPT_PAGES_ACCOUNT_MM (IOMMU_OPTION_RLIMIT_MODE 1). */
    boolean accountModeMm() {
        return accountModeMm;
    }

    public void setCapSysResource(boolean cap) {
        this.capSysResource = cap;
    }

    // ---- lookups ----------------------------------------------------------------------------

    Ioas getIoas(int id) {
        return objects.get(id, ObjType.IOAS, Ioas.class, "IOAS");
    }

    IommufdDevice getDevice(int id) {
        return objects.get(id, ObjType.DEVICE, IommufdDevice.class, "device");
    }

    HwptPaging getHwptPaging(int id) {
        return objects.get(id, ObjType.HWPT_PAGING, HwptPaging.class, "HWPT_PAGING");
    }

    /** The published object with this ID, or null (for inspection). */
    public IommufdObject object(int id) {
        return objects.find(id);
    }

    /** Every published object in ID order (for inspection). */
    public List<IommufdObject> objectList() {
        return objects.objects();
    }

    // ---- object life cycle ------------------------------------------------------------------

    /** iommufd_object_abort_and_destroy(): undo a reserved, unpublished object. */
    void abortAndDestroy(IommufdObject obj) {
        obj.destroy();
        objects.abort(obj);
    }

    /** iommufd_hw_pagetable_put(): auto domains die with their last user. */
    void hwPagetablePut(HwPagetable hwpt) {
        if (hwpt instanceof HwptPaging p && p.autoDomain) {
            p.put();
            if (p.users() == 1) {
                objects.remove(p, false);
                p.destroy();
            }
            return;
        }
        hwpt.put();
    }

    /** IOMMU_DESTROY. */
    public void destroy(int id) {
        IommufdObject obj = objects.find(id);
        if (obj == null) {
            throw fail(ENOENT, objects.isTombstone(id) ? "ID %d is a tombstone until the context closes" : "no object with ID %d", id);
        }
        if (obj.users() != 1) {
            throw fail(EBUSY, "%s %d is in use (%d references)%s", obj.type(), id, obj.users() - 1, busyHint(obj));
        }
        objects.remove(obj, false);
        obj.destroy();
    }

    private static String busyHint(IommufdObject obj) {
        return switch (obj.type()) {
            case DEVICE -> ": its binding driver holds it until unbind";
            case ACCESS -> ": its driver holds it until iommufd_access_destroy (close of the access fd)";
            default -> "";
        };
    }

    /** close(): destroys every object, leaves first (iommufd_fops_release). */
    public void close() {
        if (closed) {
            return;
        }
        // The process exits: its access, fault and event queue fds and its VFIO device fds close
        // first (each holds the iommufd, and the access and queue fds hold their objects).
        for (int fd : List.copyOf(accessFds.keySet())) {
            closeFd(fd);
        }
        for (int fd : List.copyOf(eventFds.keySet())) {
            closeFd(fd);
        }
        mmaps.closeAll();
        for (IommufdObject obj : objects.objects()) {
            if (obj instanceof IommufdDevice idev && !idev.dev.isSelftestMock()) {
                VfioCdev.close(this, idev.id());
            }
        }
        boolean progress = true;
        while (objects.liveCount() > 0 && progress) {
            progress = false;
            for (IommufdObject obj : objects.objects()) {
                if (obj.users() == 1 && objects.find(obj.id()) == obj) {
                    objects.remove(obj, false);
                    obj.destroy();
                    progress = true;
                }
            }
        }
        closed = true;
        machine.closed(this);
    }

    public boolean isClosed() {
        return closed;
    }

    // ---- IOAS -------------------------------------------------------------------------------

    /** IOMMU_IOAS_ALLOC: returns out_ioas_id. */
    public int ioasAlloc(int flags) {
        return IoasIoctls.ioasAlloc(this, flags);
    }

    /** IOMMU_IOAS_MAP: returns iova (the chosen one without FIXED_IOVA). */
    public long ioasMap(int ioasId, int flags, long userVa, long length, long iova, int reserved) {
        return IoasIoctls.map(this, ioasId, flags, userVa, length, iova, reserved);
    }

    /**
     * IOMMU_IOAS_MAP_FILE (iommufd_ioas_map_file): maps [start, start + length) of the file
     * behind the caller's fd, which fget resolves (null: not an open file, EBADF). Returns iova.
     */
    public long ioasMapFile(int ioasId, int flags, int fd, long start, long length, long iova, java.util.function.IntFunction<MappedFile> fget) {
        return IoasIoctls.mapFile(this, ioasId, flags, fd, start, length, iova, x -> null, fget);
    }

    /** IOMMU_IOAS_MAP_FILE where dmabufGet (dma_buf_get) names the fds that are dma-bufs. */
    public long ioasMapFile(int ioasId, int flags, int fd, long start, long length, long iova, java.util.function.IntFunction<Dmabuf> dmabufGet,
            java.util.function.IntFunction<MappedFile> fget) {
        return IoasIoctls.mapFile(this, ioasId, flags, fd, start, length, iova, dmabufGet, fget);
    }

    /** IOMMU_IOAS_UNMAP: returns the length unmapped. iova 0 with length U64_MAX unmaps all. */
    public long ioasUnmap(int ioasId, long iova, long length) {
        return IoasIoctls.unmap(this, ioasId, iova, length);
    }

    /** IOMMU_IOAS_COPY: returns dst_iova. */
    public long ioasCopy(int flags, int dstIoasId, int srcIoasId, long length, long dstIova, long srcIova) {
        return IoasIoctls.copy(this, flags, dstIoasId, srcIoasId, length, dstIova, srcIova);
    }

    /** IOMMU_IOAS_IOVA_RANGES with room for numIovas ranges. */
    public IovaRanges ioasIovaRanges(int ioasId, long numIovas, int reserved) {
        return IoasIoctls.iovaRanges(this, ioasId, numIovas, reserved);
    }

    /** IOMMU_IOAS_ALLOW_IOVAS. */
    public void ioasAllowIovas(int ioasId, List<IovaRange> ranges, int reserved) {
        IoasIoctls.allowIovas(this, ioasId, ranges, reserved);
    }

    /** IOMMU_OPTION: returns val64 (the value read for GET, the value set for SET). */
    public long option(int optionId, int op, int objectId, long val64, int reserved) {
        if (reserved != 0) {
            throw fail(EOPNOTSUPP, "__reserved is 0x%x, must be 0", reserved);
        }
        switch (optionId) {
            case IOMMU_OPTION_RLIMIT_MODE:
                return optionRlimitMode(op, objectId, val64);
            case IOMMU_OPTION_HUGE_PAGES:
                return IoasIoctls.optionHugePages(this, op, objectId, val64);
            default:
                throw fail(EOPNOTSUPP, "unknown option_id %d", optionId);
        }
    }

    /** iommufd_option_rlimit_mode(). */
    private long optionRlimitMode(int op, int objectId, long val64) {
        if (objectId != 0) {
            throw fail(EOPNOTSUPP, "RLIMIT_MODE is global: object_id must be 0, not %d", objectId);
        }
        if (op == IOMMU_OPTION_OP_GET) {
            return accountModeMm ? 1 : 0;
        }
        if (op == IOMMU_OPTION_OP_SET) {
            if (!capSysResource) {
                throw fail(EPERM, "setting RLIMIT_MODE needs CAP_SYS_RESOURCE");
            }
            if (!objects.isEmpty()) {
                throw fail(EBUSY, "RLIMIT_MODE can only change while the context has no objects");
            }
            if (val64 == 0) {
                accountModeMm = false;
            } else if (val64 == 1) {
                accountModeMm = true;
            } else {
                throw fail(EINVAL, "RLIMIT_MODE takes 0 (user) or 1 (mm), not %d", val64);
            }
            return val64;
        }
        throw fail(EOPNOTSUPP, "unknown option op %d", op);
    }

    // ---- HWPT -------------------------------------------------------------------------------

    /** IOMMU_HWPT_ALLOC: returns out_hwpt_id. data null or empty means data_len 0. */
    public int hwptAlloc(int flags, int devId, int ptId, int dataType, byte[] data, int faultId, int reserved) {
        return HwptIoctls.hwptAlloc(this, flags, devId, ptId, dataType, data, faultId, reserved);
    }

    /** IOMMU_HWPT_SET_DIRTY_TRACKING; flags 0 or IOMMU_HWPT_DIRTY_TRACKING_ENABLE. The kernel ignores __reserved. */
    public void hwptSetDirtyTracking(int flags, int hwptId) {
        HwptIoctls.hwptSetDirtyTracking(this, flags, hwptId);
    }

    /**
     * IOMMU_HWPT_GET_DIRTY_BITMAP: reads (and unless IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
     * clears) the HWPT's dirty IOPTEs in [iova, iova + length). Returns the bits the kernel set
     * in the user's bitmap at data (pinned through this context's user memory).
     */
    public IovaBitmap hwptGetDirtyBitmap(int hwptId, int flags, int reserved, long iova, long length, long pageSize, long data) {
        return HwptIoctls.hwptGetDirtyBitmap(this, hwptId, flags, reserved, iova, length, pageSize, data);
    }

    /** IOMMU_GET_HW_INFO (iommufd_get_hw_info). dataLen is the user buffer's size. */
    public HwInfoOut getHwInfo(int flags, int devId, long dataLen, int inDataType, int[] reserved) {
        if ((flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) != 0) {
            throw fail(EOPNOTSUPP, "unknown flag bits 0x%x", flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE);
        }
        if (reserved != null) {
            for (int r : reserved) {
                if (r != 0) {
                    throw fail(EOPNOTSUPP, "__reserved must be 0");
                }
            }
        }
        if ((flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE) == 0) {
            inDataType = IOMMU_HW_INFO_TYPE_DEFAULT;
        }
        IommufdDevice idev = getDevice(devId);
        HwInfo info = idev.dev.iommu().hwInfo(idev.dev.info(), inDataType);
        int type;
        byte[] data;
        if (info != null) {
            type = info.type();
            data = info.data();
            if (type == IOMMU_HW_INFO_TYPE_NONE) {
                throw fail(EOPNOTSUPP, "driver %s reported hw_info type NONE", idev.dev.iommu().driverName());
            }
        } else {
            type = IOMMU_HW_INFO_TYPE_NONE;
            data = new byte[0];
        }
        int copyLen = (int) Math.min(dataLen < 0 ? Integer.MAX_VALUE : dataLen, data.length);
        byte[] user = new byte[(int) Math.min(dataLen < 0 ? 0 : dataLen, 1 << 20)];
        System.arraycopy(data, 0, user, 0, Math.min(copyLen, user.length));
        DeviceCaps caps = idev.dev.iommu().capabilities(idev.dev.info());
        long out = 0;
        if (caps.dirtyTracking()) {
            out |= IOMMU_HW_CAP_DIRTY_TRACKING;
        }
        if (!caps.atsSupported()) {
            out |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
        }
        int maxPasidLog2 = caps.maxPasids() > 0 ? 31 - Integer.numberOfLeadingZeros(caps.maxPasids()) : 0;
        return new HwInfoOut(type, data.length, user, out, maxPasidLog2);
    }

    // ---- nesting: nested HWPTs, vIOMMU, vDEVICE, fault and event queues -----------------------

    /** IOMMU_HWPT_INVALIDATE result: entry_num, the number of entries handled. */
    public record InvalidateOut(int entryNum) {
    }

    /**
     * IOMMU_HWPT_INVALIDATE on a nested HWPT or a vIOMMU: returns entry_num (entries handled).
     * On failure the exception's partialOutput() is the entry_num the kernel wrote back.
     *
     * @param nullUptr data_uptr is NULL (only meaningful with entries)
     */
    public int hwptInvalidate(int hwptId, int dataType, int entryLen, List<byte[]> entries, boolean nullUptr, int reserved) {
        return HwptIoctls.hwptInvalidate(this, hwptId, dataType, entryLen, entries, nullUptr, reserved);
    }

    /** IOMMU_VIOMMU_ALLOC outputs. */
    public record ViommuOut(int outViommuId, byte[] outData) {
    }

    /** IOMMU_VIOMMU_ALLOC. */
    public ViommuOut viommuAlloc(int flags, int type, int devId, int hwptId, byte[] data) {
        ViommuIoctls.ViommuOut o = ViommuIoctls.viommuAlloc(this, flags, type, devId, hwptId, data);
        return new ViommuOut(o.outViommuId(), o.outData());
    }

    /** IOMMU_VDEVICE_ALLOC: returns out_vdevice_id. */
    public int vdeviceAlloc(int viommuId, int devId, long virtId) {
        return ViommuIoctls.vdeviceAlloc(this, viommuId, devId, virtId);
    }

    /** IOMMU_IOAS_CHANGE_PROCESS (iommufd_ioas_change_process): file-backed pages move to the caller. */
    public void ioasChangeProcess(int reserved) {
        IoasIoctls.changeProcess(this, reserved);
    }

    /** IOMMU_HW_QUEUE_ALLOC (iommufd_hw_queue_alloc_ioctl): out_hw_queue_id. */
    public int hwQueueAlloc(int flags, int viommuId, int type, int index, long nestingParentIova, long length) {
        return ViommuIoctls.hwQueueAlloc(this, flags, viommuId, type, index, nestingParentIova, length);
    }

    /** IOMMU_FAULT_QUEUE_ALLOC / IOMMU_VEVENTQ_ALLOC outputs: the object ID and its fd. */
    public record QueueOut(int id, int fd) {
    }

    /** IOMMU_FAULT_QUEUE_ALLOC. */
    public QueueOut faultQueueAlloc(int flags) {
        EventqIoctls.QueueOut o = EventqIoctls.faultAlloc(this, flags);
        return new QueueOut(o.id(), o.fd());
    }

    /** IOMMU_VEVENTQ_ALLOC. */
    public QueueOut veventqAlloc(int flags, int viommuId, int type, long depth, int reserved) {
        EventqIoctls.QueueOut o = EventqIoctls.veventqAlloc(this, flags, viommuId, type, depth, reserved);
        return new QueueOut(o.id(), o.fd());
    }

    /**
     * Not a uAPI call: the IRQ layer asking for the MSI address of a bound device (what
     * iommufd_sw_msi answers under the native model). Returns the address programmed into
     * the device's MSI message.
     *
     * @param msiAddr the doorbell's physical address, or -1 for the driver's default doorbell
     */
    public SwMsi.Programmed msiRequest(int devId, long msiAddr) {
        IommufdDevice idev = getDevice(devId);
        long addr = msiAddr == -1 ? idev.dev.iommu().msiDoorbell(idev.dev.info()) : msiAddr;
        return swMsi.request(idev, addr, profile().msiModel());
    }

    // ---- devices ----------------------------------------------------------------------------

    /** iommufd_get_group(). */
    private IommufdGroup getGroup(IommuGroup group) {
        if (!groups.containsKey(group.id())) {
            FailNth.step("iommufd_get_group kzalloc");
        }
        IommufdGroup g = groups.computeIfAbsent(group.id(), k -> new IommufdGroup(group));
        g.refs++;
        return g;
    }

    /** iommufd_put_group(). */
    void putGroup(IommufdGroup g) {
        if (--g.refs == 0) {
            groups.remove(g.group.id());
        }
    }

    /** iommu_device_claim_dma_owner() with __iommu_take_dma_ownership()'s blocking-domain rule. */
    private void claimDmaOwner(PhysDevice dev) {
        IommuGroup group = dev.group();
        if (group.ownerCount > 0) {
            if (group.dmaOwner != this) {
                throw fail(EPERM, "iommu group %d of %s is owned by iommufd context %d", group.id(), dev.name(), group.dmaOwner.number());
            }
            group.ownerCount++;
            return;
        }
        for (PhysDevice d : group.devices()) {
            for (ResvRegion r : d.iommu().getResvRegions(d.info())) {
                if (r.type() == ResvType.DIRECT) {
                    throw fail(EINVAL, "%s has a RESV_DIRECT region 0x%x-0x%x%s: its group cannot be given a blocking domain, so it cannot be bound",
                            d.name(), r.start(), r.last(), r.source() == null ? "" : " (" + r.source() + ")");
                }
            }
        }
        group.dmaOwner = this;
        group.ownerCount = 1;
    }

    /** iommu_device_release_dma_owner(). */
    void releaseDmaOwner(PhysDevice dev) {
        IommuGroup group = dev.group();
        if (--group.ownerCount == 0) {
            group.dmaOwner = null;
        }
    }

    /**
     * iommufd_device_bind(): the kernel side of VFIO_DEVICE_BIND_IOMMUFD and of the
     * selftest's MOCK_DOMAIN. The DEVICE object is allocated last. Returns the device.
     */
    IommufdDevice deviceBind(PhysDevice dev) {
        DeviceCaps caps = dev.iommu().capabilities(dev.info());
        if (!caps.cacheCoherency()) {
            throw fail(EINVAL, "%s: the IOMMU does not enforce cache coherency (IOMMU_CAP_CACHE_COHERENCY)", dev.name());
        }
        IommufdGroup igroup = getGroup(dev.group());
        try {
            if (!dev.isSelftestMock() && !caps.msiIsolated()) {
                throw fail(EPERM, "%s: the platform cannot isolate MSI and allow_unsafe_interrupts is off", dev.name());
            }
            claimDmaOwner(dev);
        } catch (RuntimeException e) {
            putGroup(igroup);
            throw e;
        }
        IommufdDevice idev = new IommufdDevice(this, dev, igroup);
        try {
            objects.reserve(idev);
        } catch (RuntimeException e) {
            // iommufd_device_bind's out_release_owner / out_group_put
            releaseDmaOwner(dev);
            putGroup(igroup);
            throw e;
        }
        idev.enforceCacheCoherency = caps.enforceCacheCoherency();
        idev.get(); // the binding driver is a user until unbind
        objects.finalize(idev);
        dev.bound = idev;
        return idev;
    }

    /** iommufd_device_unbind(): the driver drops its user and the object goes. */
    void deviceUnbind(IommufdDevice idev) {
        // iommufd_device_pre_destroy(): a vDEVICE still there is destroyed, its ID a tombstone.
        if (idev.vdev != null && idev.vdev.users() == 1) {
            IommufdVdevice v = idev.vdev;
            objects.remove(v, true);
            v.destroy();
        }
        idev.put();
        if (idev.users() != 1) {
            throw new IllegalStateException("unbind of a device that is still attached: " + idev);
        }
        objects.remove(idev, false);
        idev.destroy();
    }

    /** iommufd_device_attach(): returns the pt_id attached (an auto HWPT for an IOAS). */
    int deviceAttach(IommufdDevice idev, int pasid, int ptId) {
        return DeviceAttach.attach(idev, pasid, ptId);
    }

    int deviceReplace(IommufdDevice idev, int pasid, int ptId) {
        return DeviceAttach.replace(idev, pasid, ptId);
    }

    void deviceDetach(IommufdDevice idev, int pasid) {
        DeviceAttach.detach(idev, pasid);
    }

    // ---- VFIO device cdev (drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c) ----------------

    /** VFIO_DEVICE_BIND_IOMMUFD: returns out_devid. */
    public int vfioDeviceBind(PhysDevice dev, int flags) {
        return VfioCdev.bind(this, dev, flags);
    }

    /** VFIO_DEVICE_ATTACH_IOMMUFD_PT on the cdev of devId: returns the pt_id attached. */
    public int vfioDeviceAttach(int devId, int flags, int ptId, int pasid) {
        return VfioCdev.attach(this, devId, flags, ptId, pasid);
    }

    /** VFIO_DEVICE_DETACH_IOMMUFD_PT on the cdev of devId. */
    public void vfioDeviceDetach(int devId, int flags, int pasid) {
        VfioCdev.detach(this, devId, flags, pasid);
    }

    /** close() of the device cdev bound as devId: detach and unbind. */
    public void vfioDeviceClose(int devId) {
        VfioCdev.close(this, devId);
    }

    // ---- VFIO type1 compat on the iommufd (drivers/iommu/iommufd/vfio_compat.c) ---------------

    /** One copy_to_user() of the kernel: bytes written at the user struct's address + offset. */
    public record UserWrite(long offset, byte[] bytes) {
    }

    /**
     * VFIO_IOMMU_GET_INFO outputs: the struct's fields as written back (argsz = the size
     * that holds every cap), the caps' contents, and every copy to the user buffer in the
     * kernel's order (caps as far as the buffer allows, the struct last).
     */
    public record VfioIommuInfo(long argsz, int flags, long iovaPgsizes, long capOffset, List<IovaRange> iovaRanges,
                                long dmaAvail, List<UserWrite> userWrites) {
    }

    /** IOMMU_VFIO_IOAS: GET returns the compat IOAS's ID; SET and CLEAR return ioas_id unchanged. */
    public int vfioIoas(int op, int ioasId, int reserved) {
        return VfioCompat.vfioIoas(this, op, ioasId, reserved);
    }

    /** iommufd_vfio_compat_ioas_create() (VFIO_GROUP_SET_CONTAINER): a compat IOAS unless one is set. */
    public void vfioCompatIoasCreate() {
        VfioCompat.ioasCreate(this);
    }

    /** iommufd_vfio_compat_ioas_get_id(): the compat IOAS's ID, ENODEV without one. */
    public int vfioCompatIoasGetId() {
        return VfioCompat.ioasGetId(this);
    }

    /** VFIO_GET_API_VERSION on the iommufd: VFIO_API_VERSION. */
    public int vfioGetApiVersion() {
        return dev.iommufdsim.kernel.uapi.Vfio.VFIO_API_VERSION;
    }

    /** VFIO_CHECK_EXTENSION on the iommufd: 1 if supported, else 0. */
    public int vfioCheckExtension(long extension) {
        return VfioCompat.checkExtension(this, extension);
    }

    /** VFIO_SET_IOMMU on the iommufd: VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU. */
    public void vfioSetIommu(long type) {
        VfioCompat.setIommu(this, type);
    }

    /** VFIO_IOMMU_GET_INFO on the iommufd, for a user buffer of argsz bytes. */
    public VfioIommuInfo vfioIommuGetInfo(long argsz) {
        return VfioCompat.iommuGetInfo(this, argsz);
    }

    /** VFIO_IOMMU_MAP_DMA on the iommufd: maps vaddr at iova (always a fixed IOVA). */
    public void vfioIommuMapDma(long argsz, int flags, long vaddr, long iova, long size) {
        VfioCompat.mapDma(this, argsz, flags, vaddr, iova, size);
    }

    /**
     * VFIO_IOMMU_UNMAP_DMA on the iommufd: returns size, the bytes unmapped. When the unmap
     * fails after removing some areas, the exception's partialOutput() is that size (a Long).
     */
    public long vfioIommuUnmapDma(long argsz, int flags, long iova, long size) {
        return VfioCompat.unmapDma(this, argsz, flags, iova, size);
    }

    // ---- selftest ---------------------------------------------------------------------------

    /** The IOMMU_TEST_CMD ops of drivers/iommu/iommufd/selftest.c on this context. */
    public Selftest selftest() {
        return new Selftest(this);
    }

    IommufdGroup groupOf(IommufdDevice idev) {
        return idev.igroup;
    }

    static int noPasid() {
        return IOMMU_NO_PASID;
    }

    @Override
    public String toString() {
        return "iommufd context " + number;
    }
}
