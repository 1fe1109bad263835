package dev.iommufdsim.repl.server;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A process's address space for the dispatcher: pages mapped readable or read-write, zero
 * filled; reads and writes fault at the first byte of an unmapped (or, for writes, read-only)
 * page, a write leaving the bytes before the fault written, as copy_to_user() does. It can
 * stand for several processes of one program: {@link #fork} gives a child pid whose mappings
 * are a copy sharing the page contents (MAP_SHARED), {@link #as} makes a pid the caller, and
 * {@link #exit} ends one.
 */
final class FakeProcess implements UserAccess {
    static final long PAGE = 4096;

    private record Page(byte[] bytes, boolean writable) {
    }

    private final Map<Long, Page> pages;
    /** The processes of the program by pid (this one included once it has a pid). */
    private final Map<Integer, FakeProcess> family;
    private final int pid;
    /** The pid of the process making the calls (0: this one). */
    private int caller;
    private int nextFd = 10;
    final List<Integer> dropped = new ArrayList<>();
    final List<long[]> huge = new ArrayList<>();
    int probes;

    FakeProcess() {
        this(new HashMap<>(), new HashMap<>(), 0);
    }

    private FakeProcess(Map<Long, Page> pages, Map<Integer, FakeProcess> family, int pid) {
        this.pages = pages;
        this.family = family;
        this.pid = pid;
    }

    /** A child process (pid) with a copy of the mappings; the pages themselves are shared. */
    FakeProcess fork(int childPid) {
        FakeProcess child = new FakeProcess(new HashMap<>(pages), family, childPid);
        family.put(childPid, child);
        return child;
    }

    /** The calls come from process pid (0: this one) until the next as(). */
    FakeProcess as(int callerPid) {
        caller = callerPid;
        return this;
    }

    /** Process pid ends: its address space goes. */
    void exit(int exitPid) {
        family.remove(exitPid);
    }

    /** The process making the calls. */
    private FakeProcess current() {
        return caller == 0 ? this : family.get(caller);
    }

    @Override
    public int callerPid() {
        return caller;
    }

    /** The program's open files by fd (fstat answers for IOAS_MAP_FILE). */
    final Map<Integer, dev.iommufdsim.kernel.MappedFile> files = new HashMap<>();
    /** Shared file mappings of this process. */
    final List<dev.iommufdsim.kernel.UserMemory.FileMapping> fileMappings = new ArrayList<>();

    /** The program's iommufd descriptors: fd -> the server's number of that iommufd (S_IOMMUFD). */
    final Map<Integer, Integer> iommufds = new HashMap<>();

    @Override
    public int iommufd(int fd) {
        Integer n = iommufds.get(fd);
        return n != null ? n : files.containsKey(fd) ? -77 : -9; // EBADFD: another file; EBADF: not open
    }

    @Override
    public dev.iommufdsim.kernel.MappedFile file(int fd) {
        return files.get(fd);
    }

    @Override
    public dev.iommufdsim.kernel.UserMemory.FileMapping fileAt(long addr) {
        for (var m : current().fileMappings) {
            if (addr >= m.start() && addr < m.end()) {
                return m;
            }
        }
        return null;
    }

    /** mmap(addr, len, MAP_SHARED, fd, offset) of file: zeroed pages, the file behind them. */
    FakeProcess mapFile(long addr, long len, dev.iommufdsim.kernel.MappedFile.Id file, long offset) {
        map(addr, len, true);
        fileMappings.add(new dev.iommufdsim.kernel.UserMemory.FileMapping(addr, addr + len, file, offset));
        return this;
    }

    /** mmap(addr, len) of fresh zeroed pages. */
    FakeProcess map(long addr, long len, boolean writable) {
        for (long p = addr / PAGE; p <= (addr + len - 1) / PAGE; p++) {
            pages.put(p, new Page(new byte[(int) PAGE], writable));
        }
        return this;
    }

    FakeProcess unmap(long addr, long len) {
        for (long p = addr / PAGE; p <= (addr + len - 1) / PAGE; p++) {
            pages.remove(p);
        }
        return this;
    }

    private Page page(long addr) {
        return pages.get(Long.divideUnsigned(addr, PAGE));
    }

    @Override
    public byte[] read(long addr, int len) throws UserFault {
        if (current() != this) {
            return current().read(addr, len);
        }
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            Page p = page(addr + i);
            if (p == null) {
                throw new UserFault("read at 0x" + Long.toHexString(addr + i));
            }
            out[i] = p.bytes()[(int) Long.remainderUnsigned(addr + i, PAGE)];
        }
        return out;
    }

    @Override
    public void write(long addr, byte[] data) throws UserFault {
        if (current() != this) {
            current().write(addr, data);
            return;
        }
        for (int i = 0; i < data.length; i++) {
            Page p = page(addr + i);
            if (p == null || !p.writable()) {
                throw new UserFault("write at 0x" + Long.toHexString(addr + i));
            }
            p.bytes()[(int) Long.remainderUnsigned(addr + i, PAGE)] = data[i];
        }
    }

    @Override
    public boolean canPin(int inPid, long addr, long len, boolean write) {
        probes++;
        FakeProcess p = inPid == 0 ? current() : family.get(inPid);
        if (p == null) {
            return false; // gone
        }
        return len == 0 || p.mapped(addr, len, write);
    }

    @Override
    public List<long[]> hugeRanges(int inPid, long addr, long len) {
        return List.copyOf(huge);
    }

    private boolean mapped(long addr, long len, boolean write) {
        for (long a = addr - Long.remainderUnsigned(addr, PAGE); Long.compareUnsigned(a, addr + len) < 0; a += PAGE) {
            Page p = page(a);
            if (p == null || write && !p.writable()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int newFd(int kind) {
        return nextFd++;
    }

    @Override
    public void dropFd(int fd) {
        dropped.add(fd);
    }

    // ---- test helpers: poke and peek without faults --------------------------------------------

    void put(long addr, byte[] b) {
        for (int i = 0; i < b.length; i++) {
            page(addr + i).bytes()[(int) ((addr + i) % PAGE)] = b[i];
        }
    }

    byte[] get(long addr, int len) {
        try {
            return read(addr, len);
        } catch (UserFault f) {
            throw new AssertionError(f);
        }
    }

    int u32(long addr) {
        return ByteBuffer.wrap(get(addr, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    long u64(long addr) {
        return ByteBuffer.wrap(get(addr, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** A little-endian struct under construction. */
    static final class Struct {
        final ByteBuffer b;

        Struct(int size) {
            b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0, size);
        }

        Struct u32(int off, long v) {
            b.putInt(off, (int) v);
            return this;
        }

        Struct u16(int off, int v) {
            b.putShort(off, (short) v);
            return this;
        }

        Struct u64(int off, long v) {
            b.putLong(off, v);
            return this;
        }

        Struct u8(int off, int v) {
            b.put(off, (byte) v);
            return this;
        }

        byte[] bytes() {
            return b.array();
        }
    }
}
