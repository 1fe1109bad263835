package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.Machine;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * One open of /dev/iommu by a program running with the shim: a fresh iommufd context on the
 * shared machine, alive until the connection ends (the last copy of the descriptor closed:
 * iommufd_fops_release) and no VFIO device file bound to it holds it any more. During an ioctl
 * it is the program's memory for the kernel.
 *
 * <p>Or, when its first message is {@link Wire#T_VFIO_OPEN}, one open of
 * /dev/vfio/devices/vfioN: a {@link VfioDeviceFile}, released when the connection ends
 * (vfio_device_fops_release). The context of an iommufd connection is opened with its first
 * call (or when a device binds to it), not at connect, so that a connection can say what it is
 * first.
 */
final class ShimConnection implements UserAccess, Runnable, VfioDeviceFile.IommufdFile {
    private final SocketChannel ch;
    private final DataInputStream in;
    private final OutputStream out;
    private final Machine machine;
    private final ServerOptions opts;
    private final GapLog gaps;
    private final PrintStream trace;
    private final MachineLock lock;
    private IommufdCtx ctx;
    private IoctlDispatcher dispatcher;
    /** The server's number of this connection (T_WHO): how a device's BIND names this iommufd. */
    private final int number;
    /** The server's live connections by number. */
    private final IntFunction<ShimConnection> connections;
    /** Set when the connection is a VFIO device file (T_VFIO_OPEN), else null. */
    private VfioDeviceFile device;
    /** Device files bound to this iommufd (iommufd_ctx_get), which keep the context alive. */
    private int ctxRefs;
    /** Whether the program closed this iommufd (the connection ended). */
    private boolean ended;
    /** A device file's connection in a call that reaches this context (memory requests go there), or null. */
    private volatile UserAccess lender;
    /** Whether the call in flight owes the program an S_DONE answer (read by the server's watch). */
    private volatile boolean answerPending;
    /** What the connection's thread is doing in the kernel, for messages. */
    private volatile String inFlight = "open";
    /** Whether the context's release began (a resumed thread must not release it again). */
    private volatile boolean released;
    /** Requests may only be sent while the program waits in ioctl(). */
    private boolean inIoctl;
    /** The struct bytes the shim sent with the ioctl (a read cache for them). */
    private long cacheAddr;
    private byte[] cache = new byte[0];
    /** The pid of the process in the ioctl (the shim sends it with each call). */
    private volatile int callerPid;
    /** Queue and access descriptors closed by another thread while a request was in flight. */
    private final ArrayDeque<Integer> pendingCloses = new ArrayDeque<>();
    /** Mappings unmapped by another thread while a request was in flight. */
    private final ArrayDeque<Integer> pendingUnmaps = new ArrayDeque<>();

    private record Frame(int type, byte[] payload) {
    }

    ShimConnection(SocketChannel ch, Machine machine, ServerOptions opts, int number, IntFunction<ShimConnection> connections) {
        this.ch = ch;
        this.number = number;
        this.connections = connections;
        this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 1 << 16));
        this.out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        this.machine = machine;
        this.opts = opts;
        this.gaps = opts.gaps();
        this.trace = opts.trace();
        this.lock = MachineLock.of(machine);
    }

    @Override
    public void run() {
        serve(false);
    }

    /**
     * On a fresh thread, once the server abandoned this connection's thread in a driver call
     * that did not return ({@link SimServer}): answers the call in flight (when it has an
     * answer) with -EIO, then serves the connection on. The abandoned thread holds nothing: the
     * server took the machine's lock back, and the thread parks for good if the call returns.
     */
    void resumeAfterAbandon() {
        serve(true);
    }

    /** The ioctl (or other call) in flight, for messages. */
    String inFlight() {
        return inFlight;
    }

    /** The pid of the process whose call is in flight. */
    int pid() {
        return callerPid;
    }

    private void serve(boolean resumed) {
        try {
            if (resumed && released) {
                return; // abandoned while closing the context: the channel is all that is left
            }
            if (resumed) {
                inIoctl = false;
                cache = new byte[0];
                if (answerPending) {
                    answerPending = false;
                    sendFrame(Wire.S_DONE, le(8).putLong(0, -dev.iommufdsim.kernel.uapi.Errno.EIO.number()).array());
                }
            }
            Frame f;
            while ((f = readFrame(true)) != null) {
                ByteBuffer p = le(f.payload());
                if (device != null && f.type() != Wire.T_IOCTL && f.type() != Wire.T_WHO) {
                    throw new IOException("message type " + f.type() + " on a VFIO device file's connection");
                }
                switch (f.type()) {
                    case Wire.T_WHO -> sendFrame(Wire.S_DONE,
                            le(8).putInt(0, device != null ? Wire.KIND_VFIO : Wire.KIND_IOMMUFD).putInt(4, number).array());
                    case Wire.T_VFIO_OPEN -> vfioOpen(p.getInt(0), p.getInt(4));
                    case Wire.T_IOCTL -> {
                        int cmd = p.getInt(0);
                        int pid = p.getInt(4);
                        long arg = p.getLong(8);
                        long r;
                        lock.lock();
                        try {
                            cacheAddr = arg;
                            cache = Arrays.copyOfRange(f.payload(), 16, f.payload().length);
                            callerPid = pid;
                            inIoctl = true;
                            inFlight = IoctlTable.name(cmd);
                            answerPending = true;
                            try {
                                r = device != null ? device.ioctl(cmd, arg, this) : dispatcher().ioctl(cmd, arg, this);
                            } finally {
                                inIoctl = false;
                                cache = new byte[0];
                            }
                            drainCloses();
                        } finally {
                            lock.unlock();
                        }
                        answerPending = false;
                        sendFrame(Wire.S_DONE, le(8).putLong(0, r).array());
                    }
                    case Wire.T_QREAD, Wire.T_QWRITE, Wire.T_QPOLL -> queueCall(f.type(), p);
                    case Wire.T_MMAP -> mmapCall(p);
                    case Wire.T_MUNMAP -> {
                        lock.lock();
                        try {
                            inFlight = "munmap";
                            dispatcher().munmap(p.getInt(0));
                        } finally {
                            lock.unlock();
                        }
                    }
                    case Wire.T_VMSTAT -> {
                        long pinned;
                        long locked;
                        lock.lock();
                        try {
                            // the mm key of the process is its pid (ProcessMemory.mm())
                            Integer mm = p.getInt(0);
                            dev.iommufdsim.kernel.PinnedVm vm = machine.userPagePins().pinnedVm();
                            pinned = vm.pinnedVm(mm);
                            locked = vm.lockedVm(mm);
                        } finally {
                            lock.unlock();
                        }
                        long kb = dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE / 1024;
                        sendFrame(Wire.S_DONE, le(16).putLong(0, pinned * kb).putLong(8, locked * kb).array());
                    }
                    case Wire.T_CLOSEFD -> {
                        lock.lock();
                        try {
                            inFlight = "close";
                            dispatcher().closeFd(p.getInt(0));
                        } finally {
                            lock.unlock();
                        }
                    }
                    default -> throw new IOException("unexpected message type " + f.type());
                }
            }
        } catch (IOException | ClientGone e) {
            if (trace != null) {
                trace.println("iommufd-sim: connection ended: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            gaps.bug("connection: " + e);
            if (trace != null) {
                e.printStackTrace(trace);
            }
        } finally {
            lock.lock();
            try {
                if (device != null) {
                    if (!released) {
                        released = true;
                        inFlight = "the release of " + VfioCdevs.PREFIX + "... (vfio_device_fops_release)";
                        device.release();
                    }
                } else {
                    ended = true;
                    if (ctxRefs == 0) {
                        releaseCtx();
                    }
                }
            } catch (RuntimeException e) {
                gaps.bug("close: " + e);
            } finally {
                lock.unlock(); // wakes a MD_CHECK_REFS that waits for this release (IoctlDispatcher)
            }
            try {
                ch.close();
            } catch (IOException e) {
                // gone already
            }
        }
    }

    /** iommufd_fops_release() once the program closed the iommufd and no device file holds it (machine lock held). */
    private void releaseCtx() {
        if (ctx != null && !released) {
            inFlight = "the release of /dev/iommu (the program's context closed)";
            released = true;
            ctx.close();
        }
    }

    /** The context's dispatcher; the context is opened on first use (machine lock held). */
    private IoctlDispatcher dispatcher() {
        if (dispatcher == null) {
            ctx = machine.open();
            dispatcher = new IoctlDispatcher(ctx, opts);
        }
        return dispatcher;
    }

    /**
     * vfio_device_fops_cdev_open() of /dev/vfio/devices/vfio{index}: this connection becomes
     * that device file; ENOENT (no such node) when the machine declares fewer devices.
     */
    private void vfioOpen(int index, int pid) throws IOException {
        if (device != null || ctx != null) {
            throw new IOException("T_VFIO_OPEN after the connection's first call");
        }
        long r;
        lock.lock();
        try {
            callerPid = pid;
            inFlight = "open of " + VfioCdevs.PREFIX + index;
            java.util.List<dev.iommufdsim.kernel.PhysDevice> cdevs = VfioCdevs.of(machine);
            if (index < 0 || index >= cdevs.size()) {
                r = -dev.iommufdsim.kernel.uapi.Errno.ENOENT.number();
            } else {
                device = new VfioDeviceFile(cdevs.get(index), index, this::iommufdFile, opts, this::awaitRelease);
                r = 0;
            }
        } finally {
            lock.unlock();
        }
        if (trace != null) {
            trace.printf("iommufd-sim: open %s%d: %d%n", VfioCdevs.PREFIX, index, r);
        }
        sendFrame(Wire.S_DONE, le(8).putLong(0, r).array());
    }

    /**
     * Lets other connections run (the machine lock released) until d is unbound, at most
     * {@link IoctlDispatcher#RELEASE_WAIT_MS}: the kernel releases a device file inside the last
     * close(), the server when it sees the connection end, which can come after the program's
     * next open and bind. A device still bound after the wait is genuinely open elsewhere.
     */
    private void awaitRelease(dev.iommufdsim.kernel.PhysDevice d) {
        long deadline = System.currentTimeMillis() + IoctlDispatcher.RELEASE_WAIT_MS;
        while (d.boundTo() != null) {
            long left = deadline - System.currentTimeMillis();
            try {
                if (left <= 0 || !lock.await(left)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The program's open iommufd with that number, or null (gone, or a device file). */
    private VfioDeviceFile.IommufdFile iommufdFile(int n) {
        ShimConnection c = connections.apply(n);
        return c == null || c.device != null || c.ended ? null : c;
    }

    // ---- VfioDeviceFile.IommufdFile (machine lock held) -------------------------------------

    @Override
    public IommufdCtx ctx() {
        return dispatcher().ctx();
    }

    @Override
    public void get() {
        ctxRefs++;
    }

    @Override
    public void put() {
        if (--ctxRefs == 0 && ended) {
            releaseCtx();
        }
    }

    @Override
    public void lend(UserAccess caller) {
        lender = caller;
    }

    /** mmap() of the iommufd: the region's bytes written into the shim's mapping, then its ID. */
    private void mmapCall(ByteBuffer p) throws IOException {
        long r;
        lock.lock();
        try {
            inIoctl = true;
            inFlight = "mmap";
            answerPending = true;
            try {
                r = dispatcher().mmap(p.getLong(0), p.getLong(8), p.getLong(16), p.getInt(24), p.getInt(28), this);
            } finally {
                inIoctl = false;
            }
            drainCloses();
        } finally {
            lock.unlock();
        }
        answerPending = false;
        sendFrame(Wire.S_DONE, le(8).putLong(0, r).array());
    }

    /** read/write/poll of a queue descriptor: served like an ioctl (the buffer through requests). */
    private void queueCall(int type, ByteBuffer p) throws IOException {
        int fd = p.getInt(0);
        long r;
        lock.lock();
        try {
            inIoctl = true;
            inFlight = type == Wire.T_QPOLL ? "poll" : type == Wire.T_QWRITE ? "write" : "read";
            answerPending = true;
            try {
                r = type == Wire.T_QPOLL ? dispatcher().queuePoll(fd)
                        : dispatcher().queueIo(fd, type == Wire.T_QWRITE, p.getLong(8), p.getLong(16), this);
            } finally {
                inIoctl = false;
            }
            drainCloses();
        } finally {
            lock.unlock();
        }
        answerPending = false;
        sendFrame(Wire.S_DONE, le(8).putLong(0, r).array());
    }

    void shutdown() {
        try {
            ch.close();
        } catch (IOException e) {
            // gone already
        }
    }

    private void drainCloses() {
        while (!pendingCloses.isEmpty()) {
            dispatcher().closeFd(pendingCloses.poll());
        }
        while (!pendingUnmaps.isEmpty()) {
            dispatcher().munmap(pendingUnmaps.poll());
        }
    }

    // ---- frames ------------------------------------------------------------------------------

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The next frame, or null at a clean end of stream (only between messages). */
    private Frame readFrame(boolean eofOk) throws IOException {
        int type;
        try {
            type = Integer.reverseBytes(in.readInt());
        } catch (EOFException e) {
            if (eofOk) {
                return null;
            }
            throw e;
        }
        int len = Integer.reverseBytes(in.readInt());
        if (len < 0 || len > Wire.MAX_FRAME) {
            throw new IOException("frame of " + Integer.toUnsignedString(len) + " bytes");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return new Frame(type, b);
    }

    private void sendFrame(int type, byte[]... parts) throws IOException {
        int len = 0;
        for (byte[] p : parts) {
            len += p.length;
        }
        out.write(le(8).putInt(0, type).putInt(4, len).array());
        for (byte[] p : parts) {
            out.write(p);
        }
        out.flush();
    }

    /** A request and its answer; queue closes that slip in between. */
    private Frame request(int type, byte[]... parts) {
        if (!inIoctl) {
            throw new IllegalStateException("no ioctl in flight");
        }
        try {
            sendFrame(type, parts);
            while (true) {
                Frame f = readFrame(false);
                if (f.type() == Wire.T_CLOSEFD) {
                    pendingCloses.add(le(f.payload()).getInt(0));
                    continue;
                }
                if (f.type() == Wire.T_MUNMAP) {
                    pendingUnmaps.add(le(f.payload()).getInt(0));
                    continue;
                }
                return f;
            }
        } catch (IOException e) {
            throw new ClientGone("the program's end closed: " + e.getMessage(), e);
        }
    }

    private static ClientGone protocol(String what, Frame f) {
        return new ClientGone("unexpected answer " + f.type() + " to " + what, null);
    }

    // ---- UserAccess --------------------------------------------------------------------------

    /** A device call's connection that serves this context's memory requests now, or null. */
    private UserAccess lent() {
        return inIoctl ? null : lender;
    }

    @Override
    public byte[] read(long addr, int len) throws UserFault {
        UserAccess l = lent();
        if (l != null) {
            return l.read(addr, len);
        }
        long off = addr - cacheAddr;
        if (off >= 0 && off <= cache.length && len <= cache.length - off) {
            return Arrays.copyOfRange(cache, (int) off, (int) off + len);
        }
        byte[] result = new byte[len];
        for (int done = 0; done < len;) {
            int chunk = Math.min(len - done, Wire.MAX_XFER);
            Frame f = request(Wire.S_READ, le(12).putLong(0, addr + done).putInt(8, chunk).array());
            if (f.type() == Wire.R_FAULT) {
                throw new UserFault(String.format("cannot read 0x%x bytes at 0x%x", chunk, addr + done));
            }
            if (f.type() != Wire.R_DATA || f.payload().length != chunk) {
                throw protocol("read", f);
            }
            System.arraycopy(f.payload(), 0, result, done, chunk);
            done += chunk;
        }
        return result;
    }

    @Override
    public void write(long addr, byte[] data) throws UserFault {
        UserAccess l = lent();
        if (l != null) {
            l.write(addr, data);
            return;
        }
        // keep the cached struct what the program now holds
        for (int i = 0; i < data.length; i++) {
            long off = addr + i - cacheAddr;
            if (off >= 0 && off < cache.length) {
                cache[(int) off] = data[i];
            }
        }
        for (int done = 0; done < data.length;) {
            int chunk = Math.min(data.length - done, Wire.MAX_XFER);
            Frame f = request(Wire.S_WRITE, le(8).putLong(0, addr + done).array(), Arrays.copyOfRange(data, done, done + chunk));
            if (f.type() == Wire.R_FAULT) {
                cache = new byte[0];
                throw new UserFault(String.format("cannot write 0x%x bytes at 0x%x", chunk, addr + done));
            }
            if (f.type() != Wire.R_OK) {
                throw protocol("write", f);
            }
            done += chunk;
        }
    }

    @Override
    public int callerPid() {
        UserAccess l = lent();
        return l != null ? l.callerPid() : callerPid;
    }

    @Override
    public boolean canPin(int pid, long addr, long len, boolean write) {
        UserAccess l = lent();
        if (l != null) {
            return l.canPin(pid, addr, len, write);
        }
        if (!inIoctl) {
            return true; // the kernel pins only inside calls; nothing asks outside one
        }
        Frame f = request(Wire.S_PROBE, le(24).putLong(0, addr).putLong(8, len).putInt(16, write ? 1 : 0).putInt(20, pid).array());
        if (f.type() != Wire.R_BOOL || f.payload().length != 4) {
            throw protocol("probe", f);
        }
        return le(f.payload()).getInt(0) != 0;
    }

    /**
     * The shim answers by asking the iommufd's own connection (T_WHO), whose thread may first
     * have to take the machine lock for a message sent before (a T_CLOSEFD): the lock is let go
     * while the program answers. BIND looks at nothing before this request that another
     * connection could change, and checks the device after it.
     */
    @Override
    public int iommufd(int fd) {
        int held = lock.unlockAll();
        try {
            return fdRequest(Wire.S_IOMMUFD, fd, "iommufd");
        } finally {
            lock.relock(held);
        }
    }

    /** A request with one s32 argument answered R_FD s32 (a descriptor, a number, or -errno). */
    private int fdRequest(int type, int value, String what) {
        Frame f = request(type, le(4).putInt(0, value).array());
        if (f.type() != Wire.R_FD || f.payload().length != 4) {
            throw protocol(what, f);
        }
        return le(f.payload()).getInt(0);
    }

    /**
     * Asks the shim something it answers with either nothing (no such file) or a record of
     * {@code size} bytes: the record, or null for nothing; any other answer is a protocol error.
     */
    private ByteBuffer optionalData(int type, byte[] payload, int size, String what) {
        Frame f = request(type, payload);
        if (f.type() != Wire.R_DATA || (f.payload().length != 0 && f.payload().length != size)) {
            throw protocol(what, f);
        }
        return f.payload().length == 0 ? null : le(f.payload());
    }

    @Override
    public dev.iommufdsim.kernel.MappedFile file(int fd) {
        UserAccess l = lent();
        if (l != null) {
            return l.file(fd);
        }
        ByteBuffer b = inIoctl ? optionalData(Wire.S_FSTAT, le(4).putInt(0, fd).array(), 28, "fstat") : null;
        if (b == null) {
            return null;
        }
        var id = new dev.iommufdsim.kernel.MappedFile.Id(Integer.toUnsignedLong(b.getInt(0)), Integer.toUnsignedLong(b.getInt(4)), b.getLong(8));
        return dev.iommufdsim.kernel.MappedFile.of(id, b.getLong(16), b.getInt(24) != 0);
    }

    @Override
    public dev.iommufdsim.kernel.UserMemory.FileMapping fileAt(long addr) {
        UserAccess l = lent();
        if (l != null) {
            return l.fileAt(addr);
        }
        ByteBuffer b = inIoctl ? optionalData(Wire.S_FILEAT, le(8).putLong(0, addr).array(), 44, "fileat") : null;
        if (b == null) {
            return null;
        }
        var id = b.getInt(40) != 0
                ? new dev.iommufdsim.kernel.MappedFile.Id(Integer.toUnsignedLong(b.getInt(24)), Integer.toUnsignedLong(b.getInt(28)), b.getLong(32))
                : null;
        return new dev.iommufdsim.kernel.UserMemory.FileMapping(b.getLong(0), b.getLong(8), id, b.getLong(16));
    }

    @Override
    public List<long[]> hugeRanges(int pid, long addr, long len) {
        UserAccess l = lent();
        if (l != null) {
            return l.hugeRanges(pid, addr, len);
        }
        if (!inIoctl) {
            return List.of();
        }
        Frame f = request(Wire.S_HUGE, le(20).putLong(0, addr).putLong(8, len).putInt(16, pid).array());
        if (f.type() != Wire.R_DATA || f.payload().length % 16 != 0) {
            throw protocol("huge", f);
        }
        ByteBuffer b = le(f.payload());
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < f.payload().length; i += 16) {
            out.add(new long[] {b.getLong(i), b.getLong(i + 8)});
        }
        return out;
    }

    @Override
    public int newFd(int kind) {
        return fdRequest(Wire.S_NEWFD, kind, "newfd");
    }

    @Override
    public void dropFd(int fd) {
        Frame f = request(Wire.S_DROPFD, le(4).putInt(0, fd).array());
        if (f.type() != Wire.R_OK) {
            throw protocol("dropfd", f);
        }
    }
}
