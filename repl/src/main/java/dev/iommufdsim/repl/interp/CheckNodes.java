package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.BinaryOp;
import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.kernel.uapi.Errno;

/**
 * {@code expect} and {@code show}. A failed expectation is recorded and the script goes
 * on; only errors stop it.
 */
final class CheckNodes {
    private CheckNodes() {
    }

    /** {@code expect expr}: truthy; a plain value check. */
    static final class Expect extends StmtNode {
        private final Node expr;
        private final String source;
        private final Engine engine;

        Expect(SourcePos pos, Node expr, String source, Engine engine) {
            super(pos);
            this.expr = expr;
            this.source = source;
            this.engine = engine;
        }

        @Override
        int exec(Frame f) {
            Object v;
            try {
                v = expr.eval(f);
            } catch (RuntimeError e) {
                return callFailed(engine, e, pos, source, Boolean.TRUE);
            }
            boolean ok = Values.truthy(v);
            engine.expectation(new Expectation(pos, source, ok, Boolean.TRUE, v,
                    ok ? source : "expected " + source + " to hold, but it is " + Values.repr(v)));
            return NORMAL;
        }
    }

    /**
     * {@code expect a OP b} for a comparison: both sides are kept for the report; for
     * {@code ==} the right side is the expected value and the left the actual one.
     */
    static final class ExpectCompare extends StmtNode {
        private final OpNodes.Binary compare;
        private final String source;
        private final Engine engine;

        ExpectCompare(SourcePos pos, OpNodes.Binary compare, String source, Engine engine) {
            super(pos);
            this.compare = compare;
            this.source = source;
            this.engine = engine;
        }

        @Override
        int exec(Frame f) {
            Object actual;
            Object expected;
            try {
                actual = compare.left.eval(f);
                expected = compare.right.eval(f);
            } catch (RuntimeError e) {
                return callFailed(engine, e, pos, source, null);
            }
            boolean ok = Values.truthy(Ops.binary(compare.op, actual, expected, compare.pos, engine));
            String message;
            if (ok) {
                message = source;
            } else if (compare.op == BinaryOp.EQ) {
                message = "expected " + Values.repr(expected) + ", got " + Values.repr(actual);
            } else if (compare.op == BinaryOp.NE) {
                message = "expected something other than " + Values.repr(expected);
            } else {
                message = "expected " + source + ", but it is " + Values.repr(actual) + " "
                        + compare.op.symbol() + " " + Values.repr(expected) + ", which is false";
            }
            engine.expectation(new Expectation(pos, source, ok, expected, actual, message));
            return NORMAL;
        }
    }

    /** A uAPI call failing inside an expect that did not ask for a failure: the expectation fails. */
    private static int callFailed(Engine engine, RuntimeError e, SourcePos pos, String source, Object expected) {
        if (e.errno() == null) {
            throw e; // a mistake in the script, not an outcome of the kernel
        }
        engine.expectation(new Expectation(pos, source, false, expected, e.errno(),
                "expected " + source + ", but " + e.call() + " failed: " + e.errno() + ": " + e.reason()));
        return StmtNode.NORMAL;
    }

    /** {@code expect expr fails ERRNO}: holds when a uAPI call in expr fails with that errno (any, if null). */
    static final class ExpectFails extends StmtNode {
        private final Node expr;
        private final Errno errno;
        private final String source;
        private final Engine engine;

        ExpectFails(SourcePos pos, Node expr, Errno errno, String source, Engine engine) {
            super(pos);
            this.expr = expr;
            this.errno = errno;
            this.source = source;
            this.engine = engine;
        }

        @Override
        int exec(Frame f) {
            String wanted = errno == null ? "a failure" : errno.name();
            Object v;
            try {
                v = expr.eval(f);
            } catch (RuntimeError e) {
                if (e.errno() == null) {
                    throw e;
                }
                boolean ok = errno == null || e.errno() == errno;
                engine.expectation(new Expectation(pos, source, ok, errno, e.errno(), ok
                        ? e.call() + " failed with " + e.errno() + ": " + e.reason()
                        : "expected " + wanted + ", got " + e.errno() + ": " + e.reason()));
                return NORMAL;
            }
            engine.expectation(new Expectation(pos, source, false, errno, v, "expected " + wanted
                    + ", but the call succeeded" + (v == None.NONE ? "" : " (returned " + Values.repr(v) + ")")));
            return NORMAL;
        }
    }

    static final class Show extends StmtNode {
        private final Node expr;
        private final Engine engine;

        Show(SourcePos pos, Node expr, Engine engine) {
            super(pos);
            this.expr = expr;
            this.engine = engine;
        }

        @Override
        int exec(Frame f) {
            engine.show(expr.eval(f), pos);
            return NORMAL;
        }
    }
}
