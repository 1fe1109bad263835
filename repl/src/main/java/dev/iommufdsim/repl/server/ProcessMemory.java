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

    /** CAP_IPC_LOCK's bit in a capability set (include/uapi/linux/capability.h). */
    private static final int CAP_IPC_LOCK = 14;

    /**
     * capable(CAP_IPC_LOCK): the CapEff line of /proc/PID/status, read by the server when the
     * kernel asks (iopt_alloc_pages), as the program changes it (the selftest drops it). Yes
     * when unknown (no pid, not readable: another pid namespace), as for scripts.
     */
    @Override
    public boolean capIpcLock() {
        String eff = statusField("CapEff:");
        try {
            return eff == null || (Long.parseUnsignedLong(eff, 16) & (1L << CAP_IPC_LOCK)) != 0;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /** current_user(): the real uid of the Uid line of /proc/PID/status (0 when unknown). */
    @Override
    public Object user() {
        String uid = statusField("Uid:");
        try {
            return uid == null ? Integer.valueOf(0) : Integer.valueOf(Integer.parseUnsignedInt(uid));
        } catch (NumberFormatException e) {
            return Integer.valueOf(0);
        }
    }

    /**
     * task_rlimit(RLIMIT_MEMLOCK): the soft limit of "Max locked memory" in /proc/PID/limits
     * (bytes; unlimited, or unknown, is RLIM_INFINITY).
     */
    @Override
    public long rlimitMemlock() {
        for (String line : proc("limits")) {
            if (line.startsWith("Max locked memory")) {
                String[] f = line.substring("Max locked memory".length()).trim().split("\\s+");
                try {
                    return f[0].equals("unlimited") ? RLIM_INFINITY : Long.parseUnsignedLong(f[0]);
                } catch (NumberFormatException e) {
                    return RLIM_INFINITY;
                }
            }
        }
        return RLIM_INFINITY;
    }

    /** The first word after tag in /proc/PID/status, or null. */
    private String statusField(String tag) {
        for (String line : proc("status")) {
            if (line.startsWith(tag)) {
                String[] f = line.substring(tag.length()).trim().split("\\s+");
                return f.length > 0 ? f[0] : null;
            }
        }
        return null;
    }

    /** The lines of /proc/PID/name, none when there is no pid or it cannot be read. */
    private List<String> proc(String name) {
        if (pid <= 0) {
            return List.of();
        }
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc", Integer.toString(pid), name));
        } catch (java.io.IOException | RuntimeException e) {
            return List.of();
        }
    }

    @Override
    public String toString() {
        return pid != 0 ? "pid " + pid : "the process";
    }
}
