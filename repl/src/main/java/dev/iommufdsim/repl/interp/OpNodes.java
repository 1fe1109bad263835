package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.BinaryOp;
import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.dsl.UnaryOp;

/** Operator nodes; the operators' meaning is in {@link Ops}. */
final class OpNodes {
    private OpNodes() {
    }

    static final class Unary extends Node {
        private final UnaryOp op;
        private final Node operand;

        Unary(SourcePos pos, UnaryOp op, Node operand) {
            super(pos);
            this.op = op;
            this.operand = operand;
        }

        @Override
        Object eval(Frame f) {
            Object v = operand.eval(f);
            if (op == UnaryOp.NOT) {
                return !Values.truthy(v);
            }
            if (!(v instanceof Long n)) {
                throw new RuntimeError(pos, "'" + op.symbol() + "' needs a number, got " + Values.typeName(v));
            }
            return op == UnaryOp.NEG ? -n : ~n;
        }
    }

    static final class Binary extends Node {
        final BinaryOp op;
        final Node left;
        final Node right;
        private final Engine engine;

        Binary(SourcePos pos, BinaryOp op, Node left, Node right, Engine engine) {
            super(pos);
            this.op = op;
            this.left = left;
            this.right = right;
            this.engine = engine;
        }

        @Override
        Object eval(Frame f) {
            return Ops.binary(op, left.eval(f), right.eval(f), pos, engine);
        }
    }

    /**
     * A binary node for {@code left op right}; when one side is a number literal (the
     * {@code 4K} in {@code i * 4K}) the node keeps it unboxed and evaluates only the other.
     */
    static Node binary(SourcePos pos, BinaryOp op, Node left, Node right, Engine engine) {
        if (right instanceof ExprNodes.Const c && c.value() instanceof Long n) {
            return new ConstRight(pos, op, left, n, engine);
        }
        if (left instanceof ExprNodes.Const c && c.value() instanceof Long n) {
            return new ConstLeft(pos, op, n, right, engine);
        }
        return new Binary(pos, op, left, right, engine);
    }

    /** {@code expr op number}: the same result as {@link Binary}, one evaluation fewer. */
    static final class ConstRight extends Node {
        private final BinaryOp op;
        private final Node left;
        private final long right;
        private final Long boxed;
        private final Engine engine;

        ConstRight(SourcePos pos, BinaryOp op, Node left, Long right, Engine engine) {
            super(pos);
            this.op = op;
            this.left = left;
            this.right = right;
            this.boxed = right;
            this.engine = engine;
        }

        @Override
        Object eval(Frame f) {
            Object l = left.eval(f);
            return l instanceof Long a ? Ops.numeric(op, a, right, pos) : Ops.binary(op, l, boxed, pos, engine);
        }
    }

    /** {@code number op expr}: the same result as {@link Binary}, one evaluation fewer. */
    static final class ConstLeft extends Node {
        private final BinaryOp op;
        private final long left;
        private final Long boxed;
        private final Node right;
        private final Engine engine;

        ConstLeft(SourcePos pos, BinaryOp op, Long left, Node right, Engine engine) {
            super(pos);
            this.op = op;
            this.left = left;
            this.boxed = left;
            this.right = right;
            this.engine = engine;
        }

        @Override
        Object eval(Frame f) {
            Object r = right.eval(f);
            return r instanceof Long b ? Ops.numeric(op, left, b, pos) : Ops.binary(op, boxed, r, pos, engine);
        }
    }

    /** {@code and}: the right side runs only when the left is true; the result is a bool. */
    static final class And extends Node {
        private final Node left;
        private final Node right;

        And(SourcePos pos, Node left, Node right) {
            super(pos);
            this.left = left;
            this.right = right;
        }

        @Override
        Object eval(Frame f) {
            return Values.truthy(left.eval(f)) && Values.truthy(right.eval(f));
        }
    }

    /** {@code or}: the right side runs only when the left is false; the result is a bool. */
    static final class Or extends Node {
        private final Node left;
        private final Node right;

        Or(SourcePos pos, Node left, Node right) {
            super(pos);
            this.left = left;
            this.right = right;
        }

        @Override
        Object eval(Frame f) {
            return Values.truthy(left.eval(f)) || Values.truthy(right.eval(f));
        }
    }
}
