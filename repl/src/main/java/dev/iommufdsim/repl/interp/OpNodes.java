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

        Binary(SourcePos pos, BinaryOp op, Node left, Node right) {
            super(pos);
            this.op = op;
            this.left = left;
            this.right = right;
        }

        @Override
        Object eval(Frame f) {
            return Ops.binary(op, left.eval(f), right.eval(f), pos);
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
