package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;

/**
 * A resolved expression, ready to evaluate: names are already slots, constants and
 * calls already bound. The resolver builds one tree per script and loops evaluate it again
 * and again without looking anything up.
 */
abstract class Node {
    final SourcePos pos;

    Node(SourcePos pos) {
        this.pos = pos;
    }

    /** The value (never null). */
    abstract Object eval(Frame f);

    /** The value, which must be a number. */
    final long evalLong(Frame f, String what) {
        Object v = eval(f);
        if (v instanceof Long n) {
            return n;
        }
        throw new RuntimeError(pos, what + " must be a number, got " + Values.describe(v));
    }
}
