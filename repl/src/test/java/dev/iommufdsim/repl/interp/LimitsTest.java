package dev.iommufdsim.repl.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LimitsTest {
    final Fixture fx = new Fixture();

    @Test
    void stepLimitStopsEndlessLoops() {
        fx.engine.setStepLimit(1000);
        RuntimeError e = fx.runtimeError("x = 0\nwhile true { x += 1 }");
        assertEquals("step limit of 1000 exceeded (an endless loop?)", e.getMessage());
        assertEquals(2, e.pos().line());
        assertTrue(fx.eval("y = 1").ok(), "the next entry starts with a fresh count");
    }

    @Test
    void callDepthLimitStopsRunawayRecursion() {
        fx.engine.setMaxCallDepth(50);
        RuntimeError e = fx.runtimeError("fn down(n) { return down(n + 1) }\ndown(0)");
        assertEquals("call depth limit of 50 exceeded (runaway recursion?)", e.getMessage());
        assertEquals(50, e.trace().size());
        assertEquals(3L, fx.value("fn three() { return 3 }\nthree()"), "the depth is back to zero");
    }

    @Test
    void interruptStopsARunningScript() throws Exception {
        Thread stopper = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ignored) {
                return;
            }
            fx.engine.interrupt();
        });
        stopper.start();
        RuntimeError e = fx.runtimeError("while true { }");
        stopper.join();
        assertEquals("interrupted", e.getMessage());
    }
}
