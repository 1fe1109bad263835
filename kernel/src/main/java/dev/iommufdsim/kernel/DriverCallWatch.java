package dev.iommufdsim.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * The time bound on driver (plugin) calls, without a thread hand-off per call. A host runs a
 * script on a thread from {@link #newThread}; on such a thread every call into driver code
 * ({@link IommuInstanceHandle}, a probe) marks on the thread's watch that it is running: a
 * release store on entry and a compare-and-set on return, nothing else. The host, waiting on
 * its own thread, looks at {@link #running()} now and then; when the same call is still
 * running after its bound, it {@link #abandon}s it and goes on without that thread.
 *
 * <p>Java cannot stop a thread, so an abandoned call keeps running for as long as the plugin
 * loops; if it ever returns, the thread parks for good right there, and never comes back into
 * the kernel or the interpreter, whose state the host has moved on from. What the call had
 * changed before it hung stays as it was: nothing is rolled back.
 *
 * <p>Hosts: the script hosts (repl's Sim, one thread per run) and the server (repl's SimServer,
 * one thread per connection, one watch thread per server). On other threads (tests calling the
 * kernel directly) driver calls are not watched.
 */
public final class DriverCallWatch {
    private static final long ABANDONED = -1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(DriverCallWatch.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Even (2n after n calls): no driver call running; odd: call n+1 running; or ABANDONED. */
    @SuppressWarnings("unused") // through STATE
    private long state;
    // The running call, written before the release store of its odd state.
    private PluginStatus plugin;
    private String driver;
    private String hook;

    /** A driver call that is running on a watched thread, as {@link #running()} saw it. */
    public record Call(long stamp, PluginStatus plugin, String driver, String hook) {
    }

    private static final class WatchedThread extends Thread {
        final DriverCallWatch watch = new DriverCallWatch();

        WatchedThread(Runnable body, String name, long stackSize) {
            super(null, body, name, stackSize);
        }
    }

    private DriverCallWatch() {
    }

    /**
     * A daemon thread whose driver calls are watched (not started). A daemon, because an
     * abandoned one may never end.
     */
    public static Thread newThread(Runnable body, String name, long stackSize) {
        Thread t = new WatchedThread(body, name, stackSize);
        t.setDaemon(true);
        return t;
    }

    /** The watch of a thread from {@link #newThread}, or null for any other thread. */
    public static DriverCallWatch of(Thread t) {
        return t instanceof WatchedThread w ? w.watch : null;
    }

    /** The calling thread's watch, or null. */
    static DriverCallWatch current() {
        return Thread.currentThread() instanceof WatchedThread w ? w.watch : null;
    }

    /**
     * On the watched thread, before calling driver code: returns the stamp to hand to
     * {@link #exit}, or 0 for a driver call made from within another (the outer one is timed).
     */
    long enter(PluginStatus plugin, String driver, String hook) {
        long s = (long) STATE.getOpaque(this);
        if ((s & 1) != 0) {
            return 0;
        }
        this.plugin = plugin;
        this.driver = driver;
        this.hook = hook;
        STATE.setRelease(this, s + 1);
        return s + 1;
    }

    /** On the watched thread, once the driver code returned or threw: parks for good if the call was abandoned. */
    void exit(long stamp) {
        if (stamp != 0 && !STATE.compareAndSet(this, stamp, stamp + 1)) {
            while (true) {
                Thread.interrupted(); // the host interrupted it when abandoning: park anyway
                LockSupport.park(this);
            }
        }
    }

    /** The driver call running on the watched thread now, or null (from any thread). */
    public Call running() {
        long s = (long) STATE.getAcquire(this);
        if ((s & 1) == 0 || s == ABANDONED) {
            return null;
        }
        Call c = new Call(s, plugin, driver, hook);
        VarHandle.loadLoadFence();
        return (long) STATE.getAcquire(this) == s ? c : null;
    }

    /**
     * Gives up on a call {@link #running()} returned: true when it was still running (the
     * thread is now abandoned), false when it has returned meanwhile.
     */
    public boolean abandon(Call c) {
        return STATE.compareAndSet(this, c.stamp(), ABANDONED);
    }
}
