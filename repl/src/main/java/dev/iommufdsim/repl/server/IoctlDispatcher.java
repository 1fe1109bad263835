package dev.iommufdsim.repl.server;

import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.repl.server.IoctlTable.DESTROY;
import static dev.iommufdsim.repl.server.IoctlTable.FAULT_QUEUE_ALLOC;
import static dev.iommufdsim.repl.server.IoctlTable.GET_HW_INFO;
import static dev.iommufdsim.repl.server.IoctlTable.HWPT_ALLOC;
import static dev.iommufdsim.repl.server.IoctlTable.HWPT_GET_DIRTY_BITMAP;
import static dev.iommufdsim.repl.server.IoctlTable.HWPT_INVALIDATE;
import static dev.iommufdsim.repl.server.IoctlTable.HWPT_SET_DIRTY_TRACKING;
import static dev.iommufdsim.repl.server.IoctlTable.IOAS_ALLOC;
import static dev.iommufdsim.repl.server.IoctlTable.IOAS_ALLOW_IOVAS;
import static dev.iommufdsim.repl.server.IoctlTable.IOAS_COPY;
import static dev.iommufdsim.repl.server.IoctlTable.IOAS_IOVA_RANGES;
import static dev.iommufdsim.repl.server.IoctlTable.IOAS_MAP;
import static dev.iommufdsim.repl.server.IoctlTable.IOAS_MAP_FILE;
import static dev.iommufdsim.repl.server.IoctlTable.IOAS_UNMAP;
import static dev.iommufdsim.repl.server.IoctlTable.OPTION;
import static dev.iommufdsim.repl.server.IoctlTable.TEST_CMD;
import static dev.iommufdsim.repl.server.IoctlTable.HW_QUEUE_ALLOC;
import static dev.iommufdsim.repl.server.IoctlTable.IOAS_CHANGE_PROCESS;
import static dev.iommufdsim.repl.server.IoctlTable.VDEVICE_ALLOC;
import static dev.iommufdsim.repl.server.IoctlTable.VEVENTQ_ALLOC;
import static dev.iommufdsim.repl.server.IoctlTable.VFIO_IOAS;
import static dev.iommufdsim.repl.server.IoctlTable.VIOMMU_ALLOC;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.IovaBitmap;
import dev.iommufdsim.kernel.ObjType;
import dev.iommufdsim.kernel.Selftest;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One iommufd context's ioctl entry point, as iommufd_fops_ioctl() decodes calls: the struct
 * is read from the caller's memory with the kernel's size rules, the emulator's
 * {@link IommufdCtx} method named after the ioctl runs, and the outputs are copied back
 * (iommufd_ucmd_respond: min(user size, struct size) bytes). Memory the struct points to is
 * read and written when and as the kernel does; a fault is EFAULT. Nothing a program passes
 * can make this throw: malformed structs get the kernel's errno, emulator failures EIO.
 *
 * <p>Not thread-safe: the caller serializes calls on the machine.
 */
public final class IoctlDispatcher {
    private static final int EFAULT = Errno.EFAULT.number();
    private static final int ENOTTY = Errno.ENOTTY.number();
    private static final int EIO = Errno.EIO.number();
    private static final long PAGE = Uapi.PAGE_SIZE;
    /** The most the server reads for one array argument (invalidation entries, allowed IOVAs). */
    private static final long MAX_ARRAY_BYTES = 256L << 20;
    /** Driver data longer than this is refused by every driver before it is read (EINVAL). */
    private static final int MAX_DRIVER_DATA = 4096;
    /** The S_NEWFD kinds. */
    static final int FD_FAULT = 1;
    static final int FD_VEVENTQ = 2;
    static final int FD_ACCESS = 3;
    static final int FD_DMABUF = 4;
    /**
     * How long MD_CHECK_REFS waits for other contexts to be released before it answers EIO:
     * the kernel releases a context inside close(), the server when it sees the connection
     * end, which can come after the program's next call on a new connection.
     */
    static final long RELEASE_WAIT_MS = 2000;

    private final IommufdCtx ctx;
    private final GapLog gaps;
    private final PrintStream trace;
    /** Program descriptor -> the emulator's fd number of each fault / vEVENTQ queue and access. */
    private final Map<Integer, Integer> programFds = new HashMap<>();
    /** The program's dma-buf descriptors (IOMMU_TEST_OP_DMABUF_GET): dma_buf_get() of this context. */
    private final Map<Integer, dev.iommufdsim.kernel.Dmabuf> dmabufs = new HashMap<>();
    /** The processes (by pid) that called this context, as the kernel module's mm. */
    private final Map<Integer, ProcessMemory> processes = new HashMap<>();
    /** The program's mappings of the iommufd. */
    private final MmapIo mmaps;

    public IoctlDispatcher(IommufdCtx ctx, ServerOptions opts) {
        this.ctx = ctx;
        this.gaps = opts.gaps();
        this.trace = opts.trace();
        this.mmaps = new MmapIo(ctx);
    }

    public IommufdCtx ctx() {
        return ctx;
    }

    /**
     * ioctl(fd, cmd, arg) on this context: the value the syscall returns (>= 0) or -errno.
     *
     * @throws ClientGone when the program's end broke during the call (from {@code mem})
     */
    public long ioctl(int cmd, long arg, UserAccess mem) {
        long r;
        ctx.setUserMemory(processes.computeIfAbsent(mem.callerPid(), pid -> new ProcessMemory(mem, pid)));
        try {
            r = dispatch(cmd, arg, mem);
        } catch (IommufdException e) {
            r = -e.errno().number();
            if (trace != null) {
                trace.printf("iommufd-sim: %s: %s%n", IoctlTable.name(cmd), e);
            }
            return r;
        } catch (UserFault e) {
            r = -EFAULT;
            if (trace != null) {
                trace.printf("iommufd-sim: %s: EFAULT: %s%n", IoctlTable.name(cmd), e.getMessage());
            }
            return r;
        } catch (ClientGone e) {
            throw e;
        } catch (RuntimeException e) {
            gaps.bug(IoctlTable.name(cmd) + ": " + e);
            if (trace != null) {
                trace.printf("iommufd-sim: %s: emulator error%n", IoctlTable.name(cmd));
                e.printStackTrace(trace);
            }
            return -EIO;
        }
        if (trace != null) {
            trace.printf("iommufd-sim: %s: %d%n", IoctlTable.name(cmd), r);
        }
        return r;
    }

    /**
     * close() of a queue or access descriptor the program was given: the queue fd's reference
     * goes; an access is unpinned and destroyed.
     */
    public void closeFd(int programFd) {
        if (dmabufs.remove(programFd) != null) {
            return; // the areas mapping it keep their reference, as the kernel's pages do
        }
        Integer fd = programFds.remove(programFd);
        if (fd != null) {
            try {
                ctx.closeFd(fd);
            } catch (IommufdException e) {
                // already gone with its object
            }
        }
    }

    /**
     * read() (write: false) or write() of a queue descriptor the program was given: bytes
     * done or -errno (QueueIo). An unknown descriptor is EBADF.
     */
    public long queueIo(int programFd, boolean write, long buf, long count, UserAccess mem) {
        String what = (write ? "write" : "read") + "(queue fd " + programFd + ")";
        return QueueIo.call(what, () -> write ? QueueIo.write(ctx, emulatorFd(programFd), buf, count, mem)
                : QueueIo.read(ctx, emulatorFd(programFd), buf, count, mem), gaps, trace);
    }

    /** poll() of a queue descriptor: its EPOLL* mask or -errno. */
    public long queuePoll(int programFd) {
        return QueueIo.call("poll(queue fd " + programFd + ")", () -> ctx.eventqPoll(emulatorFd(programFd)), gaps, null);
    }

    /** mmap() of the iommufd (MmapIo): the mapping's ID or -errno. */
    public long mmap(long addr, long length, long offset, int prot, int flags, UserAccess mem) {
        return QueueIo.call("mmap(offset 0x" + Long.toHexString(offset) + ")", () -> {
            try {
                return mmaps.mmap(addr, length, offset, prot, flags, mem);
            } catch (UserFault f) {
                return -EFAULT;
            }
        }, gaps, trace);
    }

    /** munmap() of a mapping mmap() made. */
    public void munmap(int id) {
        mmaps.munmap(id);
    }

    private int emulatorFd(int programFd) {
        Integer fd = programFds.get(programFd);
        if (fd == null) {
            throw fail(Errno.EBADF, "fd %d is not a fault or vEVENTQ descriptor of this context", programFd);
        }
        return fd;
    }

    // ---- iommufd_fops_ioctl -----------------------------------------------------------------

    private long dispatch(int cmd, long arg, UserAccess mem) throws UserFault {
        int nr = cmd & 0xff;
        if (!IoctlTable.inTable(nr)) {
            return VfioCompatIoctls.vfioIoctl(ctx, cmd, arg, mem);
        }
        int usize = le32(mem.read(arg, 4), 0); // get_user(ucmd.user_size, ...)
        IoctlTable.Op op = IoctlTable.op(nr);
        if (op == null || op.ioctlNum() != cmd) {
            return -ENOTTY; // -ENOIOCTLCMD
        }
        if (Integer.compareUnsigned(usize, op.minSize()) < 0) {
            throw fail(Errno.EINVAL, "size %d is below the minimum %d of %s", Integer.toUnsignedLong(usize), op.minSize(), op.name());
        }
        Call c = new Call(mem, arg, Integer.toUnsignedLong(usize), copyStructFromUser(mem, op.size(), arg, Integer.toUnsignedLong(usize)));
        switch (nr) {
            case DESTROY -> ctx.destroy(c.u32(4));
            case IOAS_ALLOC -> ioasAlloc(c);
            case IOAS_ALLOW_IOVAS -> ioasAllowIovas(c);
            case IOAS_COPY -> ioasCopy(c);
            case IOAS_IOVA_RANGES -> ioasIovaRanges(c);
            case IOAS_MAP -> ioasMap(c);
            case IOAS_MAP_FILE -> ioasMapFile(c);
            case IOAS_UNMAP -> ioasUnmap(c);
            case OPTION -> option(c);
            case VFIO_IOAS -> VfioCompatIoctls.vfioIoas(ctx, c);
            case HWPT_ALLOC -> hwptAlloc(c);
            case GET_HW_INFO -> getHwInfo(c);
            case HWPT_INVALIDATE -> hwptInvalidate(c);
            case HWPT_SET_DIRTY_TRACKING -> ctx.hwptSetDirtyTracking(c.u32(4), c.u32(8));
            case HWPT_GET_DIRTY_BITMAP -> hwptGetDirtyBitmap(c);
            case FAULT_QUEUE_ALLOC -> faultQueueAlloc(c);
            case VIOMMU_ALLOC -> viommuAlloc(c);
            case VDEVICE_ALLOC -> vdeviceAlloc(c);
            case VEVENTQ_ALLOC -> veventqAlloc(c);
            case HW_QUEUE_ALLOC -> hwQueueAlloc(c);
            case IOAS_CHANGE_PROCESS -> ctx.ioasChangeProcess(c.u32(4)); // nothing is copied back
            case TEST_CMD -> {
                if (c.u32(4) == OP_DMABUF_GET) {
                    return dmabufGet(c); // the new fd is the ioctl's return value
                }
                test(c);
            }
            default -> {
                // none left: every entry of the table is served
                gaps.gap(op.name());
                return -ENOTTY;
            }
        }
        return 0;
    }

    /**
     * copy_struct_from_user(): a ksize-byte kernel struct from usize user bytes. A longer
     * user struct must have a zero tail (E2BIG), a shorter one is zero-extended.
     */
    static byte[] copyStructFromUser(UserAccess mem, int ksize, long src, long usize) throws UserFault {
        long size = Math.min(ksize, usize);
        if (usize > ksize) {
            checkZeroedUser(mem, src + ksize, usize - ksize);
        }
        byte[] k = new byte[ksize];
        System.arraycopy(mem.read(src, (int) size), 0, k, 0, (int) size);
        return k;
    }

    /**
     * check_zeroed_user(): E2BIG at the first non-zero byte, EFAULT where readable memory
     * ends first (page by page once a large read faulted).
     */
    private static void checkZeroedUser(UserAccess mem, long from, long n) throws UserFault {
        long pos = from;
        long left = n;
        boolean careful = false;
        while (left > 0) {
            long chunk = careful ? Math.min(left, PAGE - Long.remainderUnsigned(pos, PAGE)) : Math.min(left, Wire.MAX_XFER);
            byte[] b;
            try {
                b = mem.read(pos, (int) chunk);
            } catch (UserFault f) {
                if (careful) {
                    throw f;
                }
                careful = true;
                continue;
            }
            for (byte x : b) {
                if (x != 0) {
                    throw fail(Errno.E2BIG, "a non-zero byte in the struct's tail beyond the kernel's size");
                }
            }
            pos += chunk;
            left -= chunk;
        }
    }

    /**
     * The longest readable prefix of [addr, addr+len), page by page after a fault (what a
     * kernel loop of copy_from_user calls reaches).
     */
    static byte[] readPrefix(UserAccess mem, long addr, long len) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long pos = addr;
        long left = len;
        boolean careful = false;
        while (left > 0) {
            long chunk = careful ? Math.min(left, PAGE - Long.remainderUnsigned(pos, PAGE)) : Math.min(left, Wire.MAX_XFER);
            try {
                out.writeBytes(mem.read(pos, (int) chunk));
            } catch (UserFault f) {
                if (careful) {
                    break;
                }
                careful = true;
                continue;
            }
            pos += chunk;
            left -= chunk;
        }
        return out.toByteArray();
    }

    /** The kernel's struct buffer of one call, its user address and user size. */
    static final class Call {
        final UserAccess mem;
        final long arg;
        final long usize;
        final byte[] k;
        final ByteBuffer b;

        Call(UserAccess mem, long arg, long usize, byte[] k) {
            this.mem = mem;
            this.arg = arg;
            this.usize = usize;
            this.k = k;
            this.b = ByteBuffer.wrap(k).order(ByteOrder.LITTLE_ENDIAN);
        }

        int u32(int off) {
            return b.getInt(off);
        }

        long u32l(int off) {
            return Integer.toUnsignedLong(b.getInt(off));
        }

        int u16(int off) {
            return b.getShort(off) & 0xffff;
        }

        long u64(int off) {
            return b.getLong(off);
        }

        void put32(int off, int v) {
            b.putInt(off, v);
        }

        void put64(int off, long v) {
            b.putLong(off, v);
        }

        /** iommufd_ucmd_respond(ucmd, sizeof(*cmd)). */
        void respond() throws UserFault {
            mem.write(arg, Arrays.copyOf(k, (int) Math.min(usize, k.length)));
        }
    }

    /** iommufd_ucmd_respond() of an ioctl that made an object: a failed copy aborts it. */
    private void respondOrAbort(Call c, int newId) throws UserFault {
        try {
            c.respond();
        } catch (UserFault f) {
            abort(newId);
            throw f;
        }
    }

    /** iommufd_object_abort_and_destroy() of an object the emulator already published. */
    private void abort(int id) {
        try {
            ctx.destroy(id);
        } catch (IommufdException e) {
            gaps.bug("abort of object " + id + ": " + e);
        }
    }

    // ---- IOAS (ioas.c) ----------------------------------------------------------------------

    private void ioasAlloc(Call c) throws UserFault {
        int id = ctx.ioasAlloc(c.u32(4));
        c.put32(8, id);
        respondOrAbort(c, id);
    }

    private void ioasAllowIovas(Call c) throws UserFault {
        int ioasId = c.u32(4);
        long num = c.u32l(8);
        int reserved = c.u32(12);
        long uptr = c.u64(16);
        long bytes = num * 16;
        List<IovaRange> ranges = new ArrayList<>();
        boolean fault = false;
        if (reserved == 0 && ctx.object(ioasId) != null && ctx.object(ioasId).type() == ObjType.IOAS) {
            // iommufd_ioas_load_iovas(): only after the __reserved and IOAS checks
            byte[] raw = bytes > MAX_ARRAY_BYTES ? readPrefix(c.mem, uptr, MAX_ARRAY_BYTES) : readPrefix(c.mem, uptr, bytes);
            ByteBuffer rb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i + 16 <= raw.length; i += 16) {
                ranges.add(new IovaRange(rb.getLong(i), rb.getLong(i + 8)));
            }
            fault = raw.length < bytes;
        }
        if (!fault) {
            ctx.ioasAllowIovas(ioasId, ranges, reserved);
            return;
        }
        // entry k could not be read: the kernel stopped there with EFAULT unless an earlier
        // entry was already refused
        for (int i = 0; i < ranges.size(); i++) {
            IovaRange r = ranges.get(i);
            if (Long.compareUnsigned(r.start(), r.last()) >= 0) {
                throw fail(Errno.EINVAL, "allowed range %d: start 0x%x >= last 0x%x", i, r.start(), r.last());
            }
            for (int j = 0; j < i; j++) {
                IovaRange o = ranges.get(j);
                if (Long.compareUnsigned(r.start(), o.last()) <= 0 && Long.compareUnsigned(o.start(), r.last()) <= 0) {
                    throw fail(Errno.EINVAL, "allowed range %d overlaps range %d", i, j);
                }
            }
        }
        throw new UserFault(String.format("allowed_iovas entry %d at 0x%x", ranges.size(), uptr + ranges.size() * 16L));
    }

    private void ioasCopy(Call c) throws UserFault {
        long r = ctx.ioasCopy(c.u32(4), c.u32(8), c.u32(12), c.u64(16), c.u64(24), c.u64(32));
        c.put64(24, r);
        c.respond();
    }

    private void ioasIovaRanges(Call c) throws UserFault {
        long max = c.u32l(8);
        long uptr = c.u64(16);
        IommufdCtx.IovaRanges r;
        IommufdException tooSmall = null;
        try {
            r = ctx.ioasIovaRanges(c.u32(4), max, c.u32(12));
        } catch (IommufdException e) {
            if (e.errno() != Errno.EMSGSIZE || !(e.partialOutput() instanceof IommufdCtx.IovaRanges p)) {
                throw e;
            }
            r = p;
            tooSmall = e;
        }
        List<IovaRange> rs = r.ranges();
        int n = (int) Math.min(max, rs.size());
        if (n > 0) {
            ByteBuffer out = ByteBuffer.allocate(16 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                out.putLong(rs.get(i).start()).putLong(rs.get(i).last());
            }
            c.mem.write(uptr, out.array());
        }
        c.put32(8, (int) r.numIovas());
        c.put64(24, r.outIovaAlignment());
        c.respond();
        if (tooSmall != null) {
            throw tooSmall;
        }
    }

    private void ioasMap(Call c) throws UserFault {
        long iova = ctx.ioasMap(c.u32(8), c.u32(4), c.u64(16), c.u64(24), c.u64(32), c.u32(12));
        c.put64(32, iova);
        c.respond();
    }

    /**
     * IOMMU_IOAS_MAP_FILE {u32 size, flags, ioas_id; s32 fd; u64 start, length, iova}: the fd
     * is the program's, looked up there (fstat) when the kernel's fget() would be.
     */
    private void ioasMapFile(Call c) throws UserFault {
        long iova = ctx.ioasMapFile(c.u32(8), c.u32(4), c.u32(12), c.u64(16), c.u64(24), c.u64(32), dmabufs::get, c.mem::file);
        c.put64(32, iova);
        c.respond();
    }

    private void ioasUnmap(Call c) throws UserFault {
        long length = ctx.ioasUnmap(c.u32(4), c.u64(8), c.u64(16));
        c.put64(16, length);
        c.respond();
    }

    /** iommufd_option(): only val64 is copied back. */
    private void option(Call c) throws UserFault {
        long val = ctx.option(c.u32(4), c.u16(8), c.u32(12), c.u64(16), c.u16(10));
        byte[] v = new byte[8];
        ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).putLong(val);
        c.mem.write(c.arg + 16, v);
    }

    // ---- HWPT (hw_pagetable.c), hw_info (device.c) --------------------------------------------

    /**
     * The driver data of HWPT_ALLOC / VIOMMU_ALLOC (struct iommu_user_data): the kernel's
     * driver copies it late (iommu_copy_struct_from_user); here it is read first. Longer than
     * any driver struct: not read (the driver refuses it by length). Unreadable: zeros stand
     * in and {@code fault[0]} is set, so the caller can answer EFAULT once the kernel's
     * earlier checks have passed.
     */
    private static byte[] driverData(UserAccess mem, long uptr, long len, boolean[] fault) {
        if (len == 0) {
            return new byte[0];
        }
        if (len > MAX_DRIVER_DATA) {
            return new byte[MAX_DRIVER_DATA + 1];
        }
        try {
            return mem.read(uptr, (int) len);
        } catch (UserFault f) {
            fault[0] = true;
            return new byte[(int) len];
        }
    }

    private void hwptAlloc(Call c) throws UserFault {
        int flags = c.u32(4);
        int reserved = c.u32(20);
        int dataType = c.u32(24);
        long dataLen = c.u32l(28);
        boolean[] fault = {false};
        byte[] data = reserved == 0 && dataType != Uapi.IOMMU_HWPT_DATA_NONE ? driverData(c.mem, c.u64(32), dataLen, fault)
                : new byte[(int) Math.min(dataLen, MAX_DRIVER_DATA + 1)];
        int id = ctx.hwptAlloc(flags, c.u32(8), c.u32(12), dataType, data, c.u32(40), reserved);
        if (fault[0]) {
            abort(id);
            throw new UserFault(String.format("data_uptr 0x%x (%d bytes)", c.u64(32), dataLen));
        }
        c.put32(16, id);
        respondOrAbort(c, id);
    }

    private void getHwInfo(Call c) throws UserFault {
        long userLen = c.u32l(12);
        long uptr = c.u64(16);
        int[] reserved = {c.k[29] & 0xff, c.k[30] & 0xff, c.k[31] & 0xff};
        IommufdCtx.HwInfoOut r = ctx.getHwInfo(c.u32(4), c.u32(8), userLen, c.u32(24), reserved);
        long copyLen = Math.min(userLen, r.dataLen());
        byte[] d = r.data();
        if (copyLen > 0) {
            c.mem.write(uptr, Arrays.copyOf(d, (int) copyLen));
        }
        // clear_user() of the rest of the user buffer
        long pos = uptr + copyLen;
        long left = userLen - copyLen;
        while (left > 0) {
            int chunk = (int) Math.min(left, Wire.MAX_XFER);
            c.mem.write(pos, new byte[chunk]);
            pos += chunk;
            left -= chunk;
        }
        c.put32(12, (int) r.dataLen());
        c.put32(24, r.outDataType());
        c.k[28] = (byte) r.outMaxPasidLog2();
        c.put64(32, r.outCapabilities());
        c.respond();
    }

    /** iommufd_hwpt_invalidate(): entry_num is written back whatever happened. */
    private void hwptInvalidate(Call c) throws UserFault {
        int hwptId = c.u32(4);
        long uptr = c.u64(8);
        int dataType = c.u32(16);
        long entryLen = c.u32l(20);
        long entryNum = c.u32l(24);
        int reserved = c.u32(28);
        int done = 0;
        RuntimeException err = null;
        UserFault fault = null;
        if (reserved != 0) {
            err = fail(Errno.EOPNOTSUPP, "__reserved must be 0");
        } else if (entryNum != 0 && (uptr == 0 || entryLen == 0 || entryLen > PAGE || entryNum > Uapi.IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX)) {
            err = fail(Errno.EINVAL, uptr == 0 ? "data_uptr is NULL" : "entry_len %d / entry_num %d out of bounds", entryLen, entryNum);
        } else {
            long bytes = entryLen * entryNum;
            byte[] raw = readPrefix(c.mem, uptr, Math.min(bytes, MAX_ARRAY_BYTES));
            List<byte[]> entries = new ArrayList<>();
            for (long off = 0; off + entryLen <= raw.length && entries.size() < entryNum; off += entryLen) {
                entries.add(Arrays.copyOfRange(raw, (int) off, (int) (off + entryLen)));
            }
            try {
                done = ctx.hwptInvalidate(hwptId, dataType, (int) entryLen, entries, false, 0);
                if (entries.size() < entryNum) {
                    // the driver's copy of the next entry faulted
                    fault = new UserFault(String.format("invalidation entry %d at 0x%x", entries.size(), uptr + entries.size() * entryLen));
                }
            } catch (IommufdException e) {
                err = e;
                if (e.partialOutput() instanceof IommufdCtx.InvalidateOut o) {
                    done = o.entryNum();
                }
            }
        }
        c.put32(24, done);
        c.respond();
        if (fault != null) {
            throw fault;
        }
        if (err != null) {
            throw err;
        }
    }

    /**
     * iommufd_hwpt_get_dirty_bitmap(): {size, hwpt_id @4, flags @8, __reserved @12, iova @16,
     * length @24, page_size @32, data @40}. The kernel sets the bits in the pages of the
     * bitmap it pinned (an OR into what the program has there) and copies nothing back.
     */
    private void hwptGetDirtyBitmap(Call c) {
        IovaBitmap bitmap = ctx.hwptGetDirtyBitmap(c.u32(4), c.u32(8), c.u32(12), c.u64(16), c.u64(24), c.u64(32), c.u64(40));
        for (IovaBitmap.Write w : bitmap.writes()) {
            orIntoUser(c.mem, w.va(), w.bits());
        }
        if (bitmap.gaveUp()) {
            // the 7.2 kernel loops forever here; the program gets an answer, and the summary says so
            gaps.gap("IOMMU_HWPT_GET_DIRTY_BITMAP that never returns on 7.2 (iova_bitmap_set of a zero-length range)");
        }
    }

    /**
     * bitmap_set() on pages the kernel pinned: the bits are ORed into the bytes there. A page
     * that cannot be written after all (pinnable for reading only) keeps its bytes.
     */
    private static void orIntoUser(UserAccess mem, long va, byte[] bits) {
        try {
            byte[] cur = mem.read(va, bits.length);
            for (int i = 0; i < bits.length; i++) {
                cur[i] |= bits[i];
            }
            mem.write(va, cur);
        } catch (UserFault f) {
            // FOLL_WRITE would not have pinned it: the kernel drops these bits
        }
    }

    // ---- nesting objects and queues (viommu.c, eventq.c) --------------------------------------

    private void viommuAlloc(Call c) throws UserFault {
        long dataLen = c.u32l(24);
        long uptr = c.u64(32);
        boolean[] fault = {false};
        byte[] data = driverData(c.mem, uptr, dataLen, fault);
        IommufdCtx.ViommuOut r = ctx.viommuAlloc(c.u32(4), c.u32(8), c.u32(12), c.u32(16), dataLen == 0 ? null : data);
        int id = r.outViommuId();
        if (fault[0]) {
            abort(id);
            throw new UserFault(String.format("data_uptr 0x%x (%d bytes)", uptr, dataLen));
        }
        if (dataLen != 0 && r.outData() != null) {
            // the driver's iommu_copy_struct_to_user(): a failure fails viommu_init
            byte[] out = r.outData();
            try {
                c.mem.write(uptr, Arrays.copyOf(out, (int) Math.min(dataLen, out.length)));
            } catch (UserFault f) {
                abort(id);
                throw f;
            }
        }
        c.put32(20, id);
        respondOrAbort(c, id);
    }

    private void vdeviceAlloc(Call c) throws UserFault {
        int id = ctx.vdeviceAlloc(c.u32(4), c.u32(8), c.u64(16));
        c.put32(12, id);
        respondOrAbort(c, id);
    }

    /** iommufd_hw_queue_alloc_ioctl(): struct iommu_hw_queue_alloc; out_hw_queue_id at 20. */
    private void hwQueueAlloc(Call c) throws UserFault {
        int id = ctx.hwQueueAlloc(c.u32(4), c.u32(8), c.u32(12), c.u32(16), c.u64(24), c.u64(32));
        c.put32(20, id);
        respondOrAbort(c, id);
    }

    private void faultQueueAlloc(Call c) throws UserFault {
        IommufdCtx.QueueOut q = ctx.faultQueueAlloc(c.u32(4));
        installQueue(c, q, FD_FAULT, 8, 12);
    }

    private void veventqAlloc(Call c) throws UserFault {
        IommufdCtx.QueueOut q = ctx.veventqAlloc(c.u32(4), c.u32(8), c.u32(12), c.u32l(16), c.u32(28));
        installQueue(c, q, FD_VEVENTQ, 20, 24);
    }

    /** The queue's descriptor in the program, the IDs copied back, fd_install() last. */
    private void installQueue(Call c, IommufdCtx.QueueOut q, int kind, int idOff, int fdOff) throws UserFault {
        int pfd = c.mem.newFd(kind);
        if (pfd < 0) {
            dropQueue(q);
            throw new IommufdException(errnoOf(-pfd), "the program has no free descriptor");
        }
        c.put32(idOff, q.id());
        c.put32(fdOff, pfd);
        try {
            c.respond();
        } catch (UserFault f) {
            c.mem.dropFd(pfd);
            dropQueue(q);
            throw f;
        }
        programFds.put(pfd, q.fd());
    }

    private void dropQueue(IommufdCtx.QueueOut q) {
        try {
            ctx.closeFd(q.fd());
        } catch (IommufdException e) {
            // nothing held
        }
        abort(q.id());
    }

    private static Errno errnoOf(int n) {
        for (Errno e : Errno.values()) {
            if (e.number() == n) {
                return e;
            }
        }
        return Errno.ENOMEM;
    }

    // ---- IOMMU_TEST_CMD (selftest.c) ----------------------------------------------------------

    private static final int OP_ADD_RESERVED = 1;
    private static final int OP_MOCK_DOMAIN = 2;
    private static final int OP_MD_CHECK_MAP = 3;
    private static final int OP_MD_CHECK_REFS = 4;
    private static final int OP_CREATE_ACCESS = 5;
    private static final int OP_DESTROY_ACCESS_PAGES = 6;
    private static final int OP_ACCESS_PAGES = 7;
    private static final int OP_ACCESS_RW = 8;
    private static final int OP_SET_TEMP_MEMORY_LIMIT = 9;
    private static final int OP_MOCK_DOMAIN_REPLACE = 10;
    private static final int OP_ACCESS_REPLACE_IOAS = 11;
    private static final int OP_MOCK_DOMAIN_FLAGS = 12;
    private static final int OP_DIRTY = 13;
    private static final int OP_MD_CHECK_IOTLB = 14;
    private static final int OP_DEV_CHECK_CACHE = 16;
    private static final int OP_TRIGGER_IOPF = 15;
    private static final int OP_TRIGGER_VEVENT = 17;
    private static final int OP_PASID_ATTACH = 18;
    private static final int OP_PASID_REPLACE = 19;
    private static final int OP_PASID_DETACH = 20;
    private static final int OP_PASID_CHECK_HWPT = 21;
    private static final int OP_DMABUF_GET = 22;
    private static final int OP_DMABUF_REVOKE = 23;

    /** iommufd_test(): {size, op, id, __reserved, union @16, last @64}. */
    private void test(Call c) throws UserFault {
        int op = c.u32(4);
        int id = c.u32(8);
        Selftest st = ctx.selftest();
        switch (op) {
            case OP_ADD_RESERVED -> st.addReserved(id, c.u64(16), c.u64(24));
            case OP_MOCK_DOMAIN, OP_MOCK_DOMAIN_FLAGS -> {
                Selftest.MockDomain r = st.mockDomain(id, op == OP_MOCK_DOMAIN_FLAGS ? c.u32(28) : 0);
                c.put32(16, r.outStdevId());
                c.put32(20, r.outHwptId());
                c.put32(24, r.outIdevId());
                respondOrAbort(c, r.outStdevId());
            }
            case OP_MD_CHECK_MAP -> {
                long length = c.u64(24);
                long uptr = c.u64(32);
                st.mdCheckMap(id, c.u64(16), length, uptr);
                // get_user_pages_fast() of every page of uptr
                if (length != 0 && !c.mem.canPin(0, uptr, length, false)) {
                    throw new UserFault(String.format("uptr 0x%x (0x%x bytes) is not mapped", uptr, length));
                }
            }
            case OP_MD_CHECK_REFS -> mdCheckRefs(st, c);
            case OP_CREATE_ACCESS -> createAccess(st, c, id);
            case OP_DESTROY_ACCESS_PAGES -> st.destroyAccessPages(accessFd(id), c.u32(16));
            case OP_ACCESS_PAGES -> {
                // access_pages {flags @16, out_access_pages_id @20, iova @24, length @32, uptr @40}
                int fd = accessFd(id);
                int item = st.accessPages(fd, c.u64(24), c.u64(32), c.u64(40), c.u32(16));
                c.put32(20, item);
                try {
                    c.respond();
                } catch (UserFault f) {
                    st.destroyAccessPages(fd, item); // out_free_item, out_unaccess
                    throw f;
                }
            }
            case OP_ACCESS_RW -> st.accessRw(accessFd(id), c.u64(16), c.u64(24), c.u64(32), c.u32(40));
            case OP_ACCESS_REPLACE_IOAS -> st.accessReplaceIoas(accessFd(id), c.u32(16));
            case OP_SET_TEMP_MEMORY_LIMIT -> {
                // the limit sizes the kernel's pfn batches, which the emulator does not model
                if (c.u32l(16) < 12) {
                    throw fail(Errno.EINVAL, "memory limit %d is below sizeof(unsigned long) + sizeof(u32)", c.u32l(16));
                }
            }
            case OP_MOCK_DOMAIN_REPLACE -> {
                int pt = st.mockDomainReplace(id, c.u32(16));
                c.put32(16, pt);
                c.respond();
            }
            case OP_DIRTY -> {
                // dirty {flags @16, iova @24, length @32, page_size @40, uptr @48, out_nr_dirty @56}
                long uptr = c.u64(48);
                long n = st.dirty(id, c.u64(24), c.u64(32), c.u64(40), uptr, bytes -> {
                    byte[] b = readPrefix(c.mem, uptr, bytes);
                    return b.length < bytes ? null : b;
                });
                c.put64(56, n);
                c.respond();
            }
            case OP_MD_CHECK_IOTLB -> st.mdCheckIotlb(id, c.u32(16), c.u32l(20));
            case OP_DEV_CHECK_CACHE -> st.devCheckCache(id, c.u32(16), c.u32l(20));
            case OP_PASID_ATTACH -> {
                // pasid_attach {pasid @16, pt_id @20}: a failed copy-back detaches again
                int pt = st.pasidAttach(id, c.u32(16), c.u32(20));
                c.put32(20, pt);
                try {
                    c.respond();
                } catch (UserFault f) {
                    st.pasidDetach(id, c.u32(16));
                    throw f;
                }
            }
            case OP_PASID_REPLACE -> {
                c.put32(20, st.pasidReplace(id, c.u32(16), c.u32(20)));
                c.respond();
            }
            case OP_PASID_DETACH -> st.pasidDetach(id, c.u32(16));
            case OP_PASID_CHECK_HWPT -> st.pasidCheckHwpt(id, c.u32(16), c.u32(20));
            // trigger_iopf {dev_id @16, pasid @20, grpid @24, perm @28, addr @32}
            case OP_TRIGGER_IOPF -> st.triggerIopf(c.u32(16), c.u32(20), c.u32(24), c.u32(28), c.u64(32));
            case OP_TRIGGER_VEVENT -> st.triggerVevent(c.u32(16));
            // dmabuf_revoke {s32 dmabuf_fd @16, u32 revoked @20}
            case OP_DMABUF_REVOKE -> st.dmabufRevoke(c.u32(16), c.u32(20) != 0, dmabufs::get, c.mem::file);
            default -> {
                if (op > 0 && op < IoctlTable.TEST_OPS.length) {
                    gaps.gap("IOMMU_TEST_OP_" + IoctlTable.TEST_OPS[op]);
                }
                throw fail(Errno.EOPNOTSUPP, "IOMMU_TEST_CMD op %d is not emulated", op);
            }
        }
    }

    /**
     * MD_CHECK_REFS {length @16, uptr @24, refs @32}. Pins are machine-wide, and a context the
     * program closed is released when the server sees its connection end, which may come after
     * this call (the selftest's teardown closes its fd, opens a new one and checks at once).
     * So a mismatch while other contexts are open waits for them to be released, up to
     * {@link #RELEASE_WAIT_MS}, and looks again after each release.
     */
    private void mdCheckRefs(Selftest st, Call c) {
        long deadline = System.nanoTime() + RELEASE_WAIT_MS * 1_000_000;
        while (true) {
            try {
                st.mdCheckRefs(c.u64(24), c.u64(16), c.u32(32));
                return;
            } catch (IommufdException e) {
                if (e.errno() != Errno.EIO || !awaitARelease(deadline)) {
                    throw e;
                }
            }
        }
    }

    /** Waits (the machine's lock released) until another context closes; false at the deadline or without one. */
    private boolean awaitARelease(long deadline) {
        Machine m = ctx.machine();
        MachineLock lock = MachineLock.of(m);
        if (!lock.heldByCurrentThread()) {
            return false;
        }
        int open = m.contexts().size();
        while (open > 1 && m.contexts().size() >= open) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            try {
                lock.await(left);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return open > 1;
    }

    /**
     * IOMMU_TEST_OP_CREATE_ACCESS {out_access_fd @16, flags @20}: the access file becomes a
     * descriptor of the program (an eventfd placeholder, closed like the kernel's file).
     */
    private void createAccess(Selftest st, Call c, int ioasId) throws UserFault {
        int fd = st.createAccess(ioasId, c.u32(20));
        int pfd = c.mem.newFd(FD_ACCESS);
        if (pfd < 0) {
            ctx.closeFd(fd);
            throw fail(Errno.ENOMEM, "the program has no free descriptor"); // the selftest's answer to get_unused_fd_flags()
        }
        c.put32(16, pfd);
        try {
            c.respond();
        } catch (UserFault f) {
            c.mem.dropFd(pfd);
            ctx.closeFd(fd);
            throw f;
        }
        programFds.put(pfd, fd);
    }

    /**
     * IOMMU_TEST_OP_DMABUF_GET {length @16, open_flags @20}: the dma-buf becomes a descriptor of
     * the program (an eventfd placeholder), returned as the ioctl's value (dma_buf_fd).
     */
    private long dmabufGet(Call c) {
        dev.iommufdsim.kernel.Dmabuf d = ctx.selftest().dmabufGet(c.u32(16), c.u32(20));
        int pfd = c.mem.newFd(FD_DMABUF);
        if (pfd < 0) {
            throw new IommufdException(errnoOf(-pfd), "the program has no free descriptor");
        }
        dmabufs.put(pfd, d);
        return pfd;
    }

    /** The emulator's fd behind a program's access descriptor; -1 (EBADFD) for anything else. */
    private int accessFd(int programFd) {
        Integer fd = programFds.get(programFd);
        return fd == null ? -1 : fd;
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
