package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.BinaryOp;
import dev.iommufdsim.dsl.SourcePos;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The meaning of the operators, on C u64 semantics: arithmetic wraps, division and
 * comparison are unsigned, shifts are logical and a shift by 64 or more gives 0 (C leaves
 * it undefined). Division by zero is an error, not a value.
 */
final class Ops {
    private Ops() {
    }

    /**
     * Applies a binary operator other than {@code and}/{@code or} (which short-circuit). Work
     * that grows with a list or string (joining, looking through a list) is charged to the
     * engine's limits first.
     */
    static Object binary(BinaryOp op, Object l, Object r, SourcePos pos, Engine engine) {
        if (l instanceof Long a && r instanceof Long b) {
            return numeric(op, a, b, pos);
        }
        switch (op) {
            case EQ:
            case NE:
                if (l instanceof List<?> x && r instanceof List<?> y && x.size() == y.size()) {
                    engine.charge("list", x.size(), false, pos);
                }
                return Values.equal(l, r) == (op == BinaryOp.EQ);
            case IN:
                if (r instanceof List<?> x) {
                    engine.charge("list", x.size(), false, pos);
                }
                return in(l, r, pos);
            case ADD:
                if (l instanceof String || r instanceof String) {
                    String x = Values.str(l);
                    String y = Values.str(r);
                    engine.charge("string", (long) x.length() + y.length(), true, pos);
                    return x + y;
                }
                if (l instanceof List<?> x && r instanceof List<?> y) {
                    engine.charge("list", (long) x.size() + y.size(), true, pos);
                    List<Object> all = new ArrayList<>(x.size() + y.size());
                    all.addAll(x);
                    all.addAll(y);
                    return Collections.unmodifiableList(all);
                }
                break;
            case LT:
            case LE:
            case GT:
            case GE:
                if (l instanceof String x && r instanceof String y) {
                    return order(op, x.compareTo(y));
                }
                throw new RuntimeError(pos, "cannot compare " + Values.typeName(l) + " and "
                        + Values.typeName(r) + " with '" + op.symbol() + "' (numbers and strings only)");
            default:
                break;
        }
        throw new RuntimeError(pos, "'" + op.symbol() + "' needs numbers, got " + Values.typeName(l)
                + " and " + Values.typeName(r));
    }

    /** A binary operator (not {@code and}/{@code or}) on two numbers. */
    static Object numeric(BinaryOp op, long a, long b, SourcePos pos) {
        switch (op) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV:
                if (b == 0) {
                    throw new RuntimeError(pos, "division by zero");
                }
                return Long.divideUnsigned(a, b);
            case MOD:
                if (b == 0) {
                    throw new RuntimeError(pos, "modulo by zero");
                }
                return Long.remainderUnsigned(a, b);
            case SHL: return Long.compareUnsigned(b, 64) >= 0 ? 0L : a << b;
            case SHR: return Long.compareUnsigned(b, 64) >= 0 ? 0L : a >>> b;
            case BIT_AND: return a & b;
            case BIT_OR: return a | b;
            case BIT_XOR: return a ^ b;
            case RANGE: return new Range(a, b);
            case EQ: return a == b;
            case NE: return a != b;
            case LT: case LE: case GT: case GE: return order(op, Long.compareUnsigned(a, b));
            case IN: break;
            default: throw new IllegalStateException(op.toString());
        }
        throw new RuntimeError(pos, "'in' needs a list, a range, a string or a record on the right, got a number");
    }

    private static boolean order(BinaryOp op, int c) {
        return switch (op) {
            case LT -> c < 0;
            case LE -> c <= 0;
            case GT -> c > 0;
            default -> c >= 0;
        };
    }

    private static boolean in(Object element, Object container, SourcePos pos) {
        if (container instanceof List<?> l) {
            for (Object o : l) {
                if (Values.equal(element, o)) {
                    return true;
                }
            }
            return false;
        } else if (container instanceof Range r && element instanceof Long n) {
            return r.contains(n);
        } else if (container instanceof String s && element instanceof String sub) {
            return s.contains(sub);
        } else if (container instanceof ScriptObject o && element instanceof String name) {
            return o.field(name) != null;
        }
        throw new RuntimeError(pos, "cannot look for " + Values.typeName(element) + " in " + Values.typeName(container));
    }
}
