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
        assertEquals("step limit of 1000 exceeded (an endless loop? --max-steps raises the limit)", e.getMessage());
        assertEquals(2, e.pos().line());
        assertTrue(fx.eval("y = 1").ok(), "the next entry starts with a fresh count");
    }

    @Test
    void callDepthLimitStopsRunawayRecursion() {
        fx.engine.setMaxCallDepth(50);
        RuntimeError e = fx.runtimeError("fn down(n) { return down(n + 1) }\ndown(0)");
        assertEquals("call depth limit of 50 exceeded (runaway recursion? --max-depth raises the limit)", e.getMessage());
        assertEquals(50, e.trace().size());
        assertEquals(3L, fx.value("fn three() { return 3 }\nthree()"), "the depth is back to zero");
    }

    /**
     * The runaway: a list grown by one element per iteration over a range of 10^9.
     * Each join copies the list, and each element copied is a step, so the default step limit
     * stops it at about 14,000 elements, after 10^8 copies (a fraction of a second), instead of
     * minutes of quadratic copying or a full heap.
     */
    @Test
    void aListGrownInALoopMeetsTheStepLimitQuickly() {
        long t0 = System.nanoTime();
        RuntimeError e = fx.runtimeError("l = []\nfor i in 0..1000000000 { l = l + [i] }");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().startsWith("step limit of 100000000 exceeded joining lists (each element copied counts"
                + " as a step"), e.getMessage());
        assertTrue(e.getMessage().endsWith("--max-steps raises the limit)"), e.getMessage());
        assertEquals("t.iommu:2:32", e.pos().toString());
        long length = ((java.util.List<?>) fx.engine.variable("l")).size();
        assertTrue(length > 10_000 && length < 20_000, "stopped at " + length + " elements");
        assertTrue(ms < 2000, "stopped after " + ms + " ms");
    }

    /** A list or string that doubles each iteration meets the length limit long before the heap fills. */
    @Test
    void lengthLimitStopsDoublingListsAndStrings() {
        fx.engine.setMaxLength(1000);
        RuntimeError e = fx.runtimeError("l = [0]\nfor i in 0..64 { l = l + l }");
        assertEquals("a list of 1024 elements exceeds the length limit of 1000 (a runaway loop? --max-length raises the limit)",
                e.getMessage());
        assertEquals(512, ((java.util.List<?>) fx.engine.variable("l")).size(), "the last list that fitted");
        e = fx.runtimeError("s = \"ab\"\nwhile true { s += s }");
        assertEquals("a string of 1024 characters exceeds the length limit of 1000 (a runaway loop? --max-length raises the limit)",
                e.getMessage());
        assertEquals("t.iommu:2:14", e.pos().toString());
        fx.engine.setMaxLength(1024);
        assertEquals(1024L, fx.value("(s + s).length"), "exactly the limit fits");
    }

    /** The default: ten million elements, reached by doubling in well under a second and 2 * 10^7 steps. */
    @Test
    void defaultLengthLimitIsTenMillion() {
        RuntimeError e = fx.runtimeError("l = [0]\nwhile true { l = l + l }");
        assertEquals("a list of 16777216 elements exceeds the length limit of 10000000 (a runaway loop? --max-length raises"
                + " the limit)", e.getMessage());
        assertTrue(fx.engine.steps() < 20_000_000, fx.engine.steps() + " steps");
    }

    /** Looking through a long list costs its length: ten million membership tests of a long list do not run for hours. */
    @Test
    void lookingThroughAListIsChargedPerElement() {
        fx.engine.setStepLimit(1_000_000);
        RuntimeError e = fx.runtimeError("l = [0]\nfor i in 0..12 { l = l + l }\nfor i in 0..10000000 { x = 1 in l }");
        assertTrue(e.getMessage().startsWith("step limit of 1000000 exceeded looking through a list (each element counts"),
                e.getMessage());
        assertEquals(3, e.pos().line());
        assertTrue((Long) fx.engine.variable("i") < 300, "stopped after " + fx.engine.variable("i") + " tests");
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
