package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.UserMemory;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.ArrayList;
import java.util.List;

/**
 * One process of a program as the kernel module sees it (an mm): the calling process, or one
 * it forked that mapped memory earlier (an iopt_pages' source_mm). Pins and liveness are asked
 * of that process (its /proc/PID/maps through the shim); bytes are always read and written in
 * the calling process at the same address (the emulator has no pages of its own: right for the
 * caller's memory and for MAP_SHARED memory it shares with its children). The mm is the pid,
 * so every connection of one process counts pins on the same pages.
 */
final class ProcessMemory implements UserMemory {
    private final UserAccess mem;
    /** The process, or 0: the connection's one process (no pid known, as in tests). */
    private final int pid;

    ProcessMemory(UserAccess mem, int pid) {
        this.mem = mem;
        this.pid = pid;
    }

    /** The pid to ask the shim about: 0 when this is the process in the ioctl. */
    private int target() {
        return pid == mem.callerPid() ? 0 : pid;
    }

    @Override
    public Object mm() {
        return pid != 0 ? Integer.valueOf(pid) : mem;
    }

    @Override
    public boolean isAlive() {
        return target() == 0 || mem.canPin(target(), 0, 0, false);
    }

    @Override
    public boolean canPin(long va, long length, boolean write) {
        return mem.canPin(target(), va, length, write);
    }

    @Override
    public byte[] read(long va, int length) {
        try {
            return mem.read(va, length);
        } catch (UserFault f) {
            throw new IommufdException(Errno.EFAULT, f.getMessage());
        }
    }

    @Override
    public void write(long va, byte[] data) {
        try {
            mem.write(va, data);
        } catch (UserFault f) {
            throw new IommufdException(Errno.EFAULT, f.getMessage());
        }
    }

    /** The caller's mapping at va (maps of the process in the ioctl; others have none known). */
    @Override
    public FileMapping fileAt(long va) {
        return target() == 0 ? mem.fileAt(va) : null;
    }

    @Override
    public List<Range> compoundRanges(long va, long length) {
        List<Range> out = new ArrayList<>();
        for (long[] r : mem.hugeRanges(target(), va, length)) {
            out.add(new Range(r[0], r[1] - 1));
        }
        return out;
    }

    @Override
    public String toString() {
        return pid != 0 ? "pid " + pid : "the process";
    }
}
