package dev.iommufdsim.kernel;

import java.util.HashMap;
import java.util.Map;

/**
 * The counters iopt_pages_update_pinned() (pages.c) charges pinned pages to, in pages:
 * mm->pinned_vm (every mode; /proc/PID/status VmPin) and mm->locked_vm
 * (IOPT_PAGES_ACCOUNT_MM, __account_locked_vm; VmLck) per mm ({@link UserMemory#mm()}), and
 * user_struct->locked_vm (IOPT_PAGES_ACCOUNT_USER, incr_user_locked_vm) per user
 * ({@link UserMemory#user()}). Like the pins, they live with the machine: one kernel.
 */
public final class PinnedVm {
    private final Map<Object, Long> pinnedVm = new HashMap<>();
    private final Map<Object, Long> mmLockedVm = new HashMap<>();
    private final Map<Object, Long> userLockedVm = new HashMap<>();

    /** mm->pinned_vm of an mm key, in pages. */
    public long pinnedVm(Object mm) {
        return pinnedVm.getOrDefault(mm, 0L);
    }

    /** mm->locked_vm (the part iommufd charged) of an mm key, in pages. */
    public long lockedVm(Object mm) {
        return mmLockedVm.getOrDefault(mm, 0L);
    }

    /** user_struct->locked_vm (the part iommufd charged) of a user, in pages. */
    public long userLockedVm(Object user) {
        return userLockedVm.getOrDefault(user, 0L);
    }

    /** Whether nothing is charged anywhere (every pin released). */
    public boolean isEmpty() {
        return pinnedVm.isEmpty() && mmLockedVm.isEmpty() && userLockedVm.isEmpty();
    }

    /** Copies of the three counters (pinned_vm per mm, locked_vm per mm, locked_vm per user), for checks. */
    public java.util.List<Map<Object, Long>> snapshot() {
        return java.util.List.of(new HashMap<>(pinnedVm), new HashMap<>(mmLockedVm), new HashMap<>(userLockedVm));
    }

    void addPinnedVm(Object mm, long delta) {
        add(pinnedVm, mm, delta);
    }

    void addMmLockedVm(Object mm, long delta) {
        add(mmLockedVm, mm, delta);
    }

    void addUserLockedVm(Object user, long delta) {
        add(userLockedVm, user, delta);
    }

    private static void add(Map<Object, Long> m, Object key, long delta) {
        long v = m.getOrDefault(key, 0L) + delta;
        if (v == 0) {
            m.remove(key);
        } else {
            m.put(key, v);
        }
    }

    @Override
    public String toString() {
        return "pinned_vm " + pinnedVm + ", mm locked_vm " + mmLockedVm + ", user locked_vm " + userLockedVm;
    }
}
