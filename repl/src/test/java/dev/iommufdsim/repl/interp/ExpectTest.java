package dev.iommufdsim.repl.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.kernel.uapi.Errno;
import org.junit.jupiter.api.Test;

class ExpectTest {
    final Fixture fx = new Fixture();

    Expectation only(String text) {
        EvalResult r = fx.eval(text);
        assertTrue(r.ok(), () -> r.toString());
        assertEquals(1, fx.expectations.size());
        return fx.expectations.get(0);
    }

    @Test
    void equalityPasses() {
        Expectation e = only("expect add(1, 2) == 3");
        assertTrue(e.passed());
        assertEquals(1, fx.engine.passedCount());
    }

    @Test
    void equalityFailureReportsExpectedAndActual() {
        Expectation e = only("x = 0x1000\n\nexpect x + 1 == 0x2000");
        assertFalse(e.passed());
        assertEquals(new SourcePos("t.iommu", 3, 1), e.pos());
        assertEquals("x + 1 == 0x2000", e.source());
        assertEquals(0x2000L, e.expected());
        assertEquals(0x1001L, e.actual());
        assertEquals("expected 0x2000, got 0x1001", e.message());
        assertEquals(1, fx.engine.failedCount());
    }

    @Test
    void otherComparisonsReportBothSides() {
        Expectation e = only("expect 5 > 9");
        assertEquals("expected 5 > 9, but it is 5 > 9, which is false", e.message());
        assertEquals("expected something other than 1", only2("expect 1 != 1").message());
    }

    private Expectation only2(String text) {
        fx.expectations.clear();
        return only(text);
    }

    @Test
    void truthyForm() {
        assertTrue(only("expect 1 in [1, 2]").passed());
        Expectation e = only2("ok = 0\nexpect ok");
        assertFalse(e.passed());
        assertEquals("expected ok to hold, but it is 0", e.message());
    }

    @Test
    void failsWithTheExpectedErrnoPasses() {
        Expectation e = only("expect ioas_map(1, iova: 0x8000000, length: 4K, flags: FIXED_IOVA) fails EINVAL");
        assertTrue(e.passed(), e.message());
        assertEquals(Errno.EINVAL, e.expected());
        assertEquals(Errno.EINVAL, e.actual());
    }

    @Test
    void failsWithAnotherErrno() {
        Expectation e = only("expect fail(EINVAL) fails EEXIST");
        assertFalse(e.passed());
        assertEquals("expected EEXIST, got EINVAL: refused by the fake kernel", e.message());
    }

    @Test
    void failsButTheCallSucceeded() {
        Expectation e = only("expect ioas_map(1, iova: 0x1000, length: 4K, flags: FIXED_IOVA) fails EINVAL");
        assertFalse(e.passed());
        assertEquals("expected EINVAL, but the call succeeded (returned 0x1000)", e.message());
        assertEquals("expected EINVAL, but the call succeeded", only2("expect nothing() fails EINVAL").message());
    }

    @Test
    void failsWithoutAnErrnoAcceptsAny() {
        assertTrue(only("expect fail(ENOENT) fails").passed());
    }

    @Test
    void failsReachesIntoUserFunctions() {
        assertTrue(only("fn setup() { x = 1; return fail(EBUSY) }\nexpect setup() fails EBUSY").passed());
    }

    @Test
    void aFailingCallInAPlainExpectFailsTheExpectation() {
        Expectation e = only("expect ioas_map(1, iova: 0x8000000, length: 4K, flags: FIXED_IOVA) == 0x8000000");
        assertFalse(e.passed());
        assertEquals("expected ioas_map(1, iova: 0x8000000, length: 4K, flags: FIXED_IOVA) == 0x8000000,"
                + " but ioas_map failed: EINVAL: iova 0x8000000 is reserved (SW_MSI)", e.message());
    }

    @Test
    void failedExpectationsDoNotStopTheScript() {
        EvalResult r = fx.eval("expect 1 == 2\nexpect 2 == 2\nx = 5");
        assertTrue(r.ok());
        assertEquals(1, r.passed());
        assertEquals(1, r.failed());
        assertEquals(5L, fx.engine.variable("x"));
    }

    @Test
    void aUapiFailureOutsideExpectStopsTheScript() {
        EvalResult r = fx.eval("x = 1\nioas_map(1, iova: 0x8000000, length: 4K, flags: FIXED_IOVA | READABLE)\nx = 2");
        assertEquals(EvalResult.Status.RUNTIME_ERROR, r.status());
        RuntimeError e = r.error();
        assertEquals(new SourcePos("t.iommu", 2, 1), e.pos());
        assertEquals("ioas_map", e.call());
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("iova 0x8000000 is reserved (SW_MSI)", e.reason());
        assertEquals("t.iommu:2:1: ioas_map: EINVAL: iova 0x8000000 is reserved (SW_MSI)", e.toString());
        assertEquals(1L, fx.engine.variable("x"));
        assertEquals(1, fx.errors.size());
    }

    @Test
    void errorsInFunctionsCarryTheCallChain() {
        RuntimeError e = fx.runtimeError("fn inner() { return fail() }\nfn outer() { return inner() }\n\nouter()");
        assertEquals(new SourcePos("t.iommu", 1, 21), e.pos());
        assertEquals(2, e.trace().size());
        assertEquals(new SourcePos("t.iommu", 2, 21), e.trace().get(0));
        assertEquals(new SourcePos("t.iommu", 4, 1), e.trace().get(1));
    }

    @Test
    void scriptMistakesInsideExpectStillStop() {
        assertEquals("division by zero", fx.runtimeError("expect 1 / 0 == 1").getMessage());
    }
}
