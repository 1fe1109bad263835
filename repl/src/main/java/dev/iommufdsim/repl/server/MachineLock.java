package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.Machine;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The lock that serializes every call on one machine (one kernel serves every process), in
 * place of the machine's Java monitor: a monitor stays held by a thread that never returns
 * from a driver plugin, and no other thread can ever release it. This lock can be taken back
 * from such a thread ({@link #breakFrom}) once the server has abandoned it
 * ({@link dev.iommufdsim.kernel.DriverCallWatch}), so the other connections go on.
 */
public final class MachineLock {
    private static final Map<Machine, MachineLock> LOCKS = Collections.synchronizedMap(new WeakHashMap<>());

    private Thread owner;
    private int depth;

    private MachineLock() {
    }

    /** The lock of a machine (one per machine, shared by its servers). */
    public static MachineLock of(Machine m) {
        return LOCKS.computeIfAbsent(m, k -> new MachineLock());
    }

    /** Takes the lock (reentrant); an interrupt while waiting is kept for later. */
    public synchronized void lock() {
        Thread me = Thread.currentThread();
        if (owner == me) {
            depth++;
            return;
        }
        take(me, 1);
    }

    /**
     * Waits, deaf to interrupts, until nobody holds the lock, then holds it {@code held} deep for
     * {@code me}; an interrupt that came meanwhile is set again for the caller to see.
     */
    private void take(Thread me, int held) {
        boolean interrupted = false;
        while (owner != null) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        owner = me;
        depth = held;
        if (interrupted) {
            me.interrupt();
        }
    }

    /** Gives the lock back; a no-op for a thread it was taken from by {@link #breakFrom}. */
    public synchronized void unlock() {
        if (owner != Thread.currentThread()) {
            return;
        }
        if (--depth == 0) {
            owner = null;
            notifyAll();
        }
    }

    /** Whether the calling thread holds the lock. */
    public synchronized boolean heldByCurrentThread() {
        return owner == Thread.currentThread();
    }

    /**
     * Object.wait for this lock: releases it, waits until another holder releases it or the time
     * is up, and takes it back. False (without waiting) when the caller does not hold it.
     */
    public synchronized boolean await(long millis) throws InterruptedException {
        Thread me = Thread.currentThread();
        if (owner != me || millis <= 0) {
            return owner == me;
        }
        int held = depth;
        owner = null;
        depth = 0;
        notifyAll();
        try {
            wait(millis);
        } finally {
            take(me, held);
        }
        return true;
    }

    /**
     * Releases the lock however deeply the caller holds it, for a wait on something other
     * than the kernel (an answer from the program); returns the depth for {@link #relock}
     * (0 when the caller did not hold it).
     */
    public synchronized int unlockAll() {
        if (owner != Thread.currentThread()) {
            return 0;
        }
        int held = depth;
        owner = null;
        depth = 0;
        notifyAll();
        return held;
    }

    /** Takes the lock back at the depth {@link #unlockAll} returned (nothing for 0). */
    public synchronized void relock(int held) {
        if (held == 0) {
            return;
        }
        lock();
        depth = held;
    }

    /** Takes the lock from an abandoned thread that will never release it; false when it did not hold it. */
    public synchronized boolean breakFrom(Thread t) {
        if (owner != t) {
            return false;
        }
        owner = null;
        depth = 0;
        notifyAll();
        return true;
    }
}
