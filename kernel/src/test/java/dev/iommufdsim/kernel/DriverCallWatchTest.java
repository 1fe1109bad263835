package dev.iommufdsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The time bound's mechanism, on real threads: what a watcher sees, and what abandoning does. */
class DriverCallWatchTest {
    private final PluginStatus plugin = new PluginStatus("p");

    private <T> T driverCall(String hook, java.util.function.Supplier<T> body) {
        return IommuInstanceHandle.contain(plugin, "drv", hook, body);
    }

    @Test
    void aWatcherSeesTheOuterDriverCallOnlyWhileItRuns() throws Exception {
        CountDownLatch inCall = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread t = DriverCallWatch.newThread(() -> driverCall("attach_dev", () -> {
            // a driver call made from within another is the outer one's time
            return driverCall("hw_info", () -> {
                inCall.countDown();
                await(release);
                return null;
            });
        }), "w", 0);
        DriverCallWatch watch = DriverCallWatch.of(t);
        assertNotNull(watch);
        assertNull(DriverCallWatch.of(Thread.currentThread()), "other threads are not watched");
        assertNull(watch.running());
        t.start();
        assertTrue(inCall.await(5, TimeUnit.SECONDS));
        DriverCallWatch.Call c = watch.running();
        assertEquals("attach_dev", c.hook());
        assertEquals("drv", c.driver());
        assertEquals(plugin, c.plugin());
        release.countDown();
        t.join(5000);
        assertFalse(t.isAlive());
        assertNull(watch.running());
        assertFalse(watch.abandon(c), "a call that has returned cannot be abandoned");
    }

    @Test
    void anAbandonedThreadParksWhenTheCallReturnsAndNeverComesBack() throws Exception {
        CountDownLatch inCall = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean cameBack = new AtomicBoolean();
        Thread t = DriverCallWatch.newThread(() -> {
            driverCall("hw_info", () -> {
                inCall.countDown();
                await(release);
                return null;
            });
            cameBack.set(true);
        }, "w", 0);
        DriverCallWatch watch = DriverCallWatch.of(t);
        t.start();
        assertTrue(inCall.await(5, TimeUnit.SECONDS));
        assertTrue(t.isDaemon());
        assertTrue(watch.abandon(watch.running()));
        assertNull(watch.running(), "an abandoned thread runs no driver call any more, as far as a watcher knows");
        release.countDown();
        for (int i = 0; i < 400 && !parkedOnReturn(t); i++) {
            Thread.sleep(5);
        }
        assertTrue(parkedOnReturn(t), "parked in DriverCallWatch.exit");
        t.interrupt(); // an interrupt does not wake it for good
        Thread.sleep(20);
        assertTrue(parkedOnReturn(t), "still parked after an interrupt");
        assertFalse(cameBack.get());
    }

    @Test
    void aDisabledPluginIsNotCalled() {
        plugin.disable("hw_info did not return within 5 s");
        AtomicReference<String> called = new AtomicReference<>();
        IommufdException e = assertThrows(IommufdException.class, () -> driverCall("attach_dev", () -> {
            called.set("yes");
            return null;
        }));
        assertEquals(Errno.EIO, e.errno());
        assertEquals("driver plugin 'p' (drv) is disabled, attach_dev not called: hw_info did not return within 5 s", e.reason());
        assertNull(called.get());
    }

    private static boolean parkedOnReturn(Thread t) {
        return t.getState() == Thread.State.WAITING && java.util.Arrays.stream(t.getStackTrace())
                .anyMatch(f -> f.getClassName().equals(DriverCallWatch.class.getName()) && f.getMethodName().equals("exit"));
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
