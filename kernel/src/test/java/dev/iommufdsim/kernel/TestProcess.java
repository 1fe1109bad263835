package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A process for the kernel's tests: pages mapped readable or read-write (zero filled),
 * munmap, huge (compound) ranges, and exit. Its mm is the object itself, so two instances
 * are two processes; {@link #fork()} copies the mappings and shares the page contents, as
 * MAP_SHARED memory is shared with a child.
 */
final class TestProcess implements UserMemory {
    private record Page(byte[] bytes, boolean writable) {
    }

    private final Map<Long, Page> pages;
    private final List<Range> compound = new ArrayList<>();
    private final List<FileMapping> files = new ArrayList<>();
    private boolean alive = true;
    private boolean capIpcLock = true;
    private long rlimitMemlock = RLIM_INFINITY;
    private int uid;

    TestProcess() {
        this.pages = new HashMap<>();
    }

    private TestProcess(Map<Long, Page> pages) {
        this.pages = new HashMap<>(pages);
    }

    /** A child whose pages are the parent's (MAP_SHARED). */
    TestProcess fork() {
        TestProcess child = new TestProcess(pages);
        child.capIpcLock = capIpcLock;
        child.rlimitMemlock = rlimitMemlock;
        child.uid = uid;
        return child;
    }

    /** Drops CAP_IPC_LOCK (as the selftest's drop_cap_ipc_lock) and sets RLIMIT_MEMLOCK (bytes) and the uid. */
    TestProcess creds(boolean ipcLock, long memlock, int user) {
        this.capIpcLock = ipcLock;
        this.rlimitMemlock = memlock;
        this.uid = user;
        return this;
    }

    @Override
    public boolean capIpcLock() {
        return capIpcLock;
    }

    @Override
    public long rlimitMemlock() {
        return rlimitMemlock;
    }

    @Override
    public Object user() {
        return Integer.valueOf(uid);
    }

    TestProcess map(long va, long length, boolean writable) {
        for (long p = va / PAGE_SIZE; p <= (va + length - 1) / PAGE_SIZE; p++) {
            pages.put(p, new Page(new byte[(int) PAGE_SIZE], writable));
        }
        return this;
    }

    TestProcess munmap(long va, long length) {
        for (long p = va / PAGE_SIZE; p <= (va + length - 1) / PAGE_SIZE; p++) {
            pages.remove(p);
        }
        return this;
    }

    /** A MAP_SHARED mapping of file from offset at [va, va + length). */
    TestProcess mapFile(long va, long length, MappedFile.Id file, long offset) {
        map(va, length, true);
        files.add(new FileMapping(va, va + length, file, offset));
        return this;
    }

    @Override
    public FileMapping fileAt(long va) {
        for (FileMapping m : files) {
            if (va >= m.start() && va < m.end()) {
                return m;
            }
        }
        return pages.containsKey(va / PAGE_SIZE) ? new FileMapping(va - va % PAGE_SIZE, va - va % PAGE_SIZE + PAGE_SIZE, null, 0) : null;
    }

    /** Marks [va, va + length) as backed by huge pages. */
    TestProcess huge(long va, long length) {
        compound.add(new Range(va, va + length - 1));
        return this;
    }

    void exit() {
        alive = false;
        pages.clear();
    }

    @Override
    public Object mm() {
        return this;
    }

    @Override
    public boolean isAlive() {
        return alive;
    }

    @Override
    public boolean canPin(long va, long length, boolean write) {
        for (long a = va - va % PAGE_SIZE; a < va + length; a += PAGE_SIZE) {
            Page p = pages.get(a / PAGE_SIZE);
            if (p == null || write && !p.writable()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public byte[] read(long va, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            Page p = pages.get((va + i) / PAGE_SIZE);
            if (p == null) {
                throw fail(EFAULT, "read at 0x%x", va + i);
            }
            out[i] = p.bytes()[(int) ((va + i) % PAGE_SIZE)];
        }
        return out;
    }

    @Override
    public void write(long va, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            Page p = pages.get((va + i) / PAGE_SIZE);
            if (p == null || !p.writable()) {
                throw fail(EFAULT, "write at 0x%x", va + i);
            }
            p.bytes()[(int) ((va + i) % PAGE_SIZE)] = data[i];
        }
    }

    @Override
    public List<Range> compoundRanges(long va, long length) {
        return List.copyOf(compound);
    }
}
