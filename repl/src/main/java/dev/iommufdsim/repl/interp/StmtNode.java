package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;

/**
 * A resolved statement. {@link #exec} returns how control leaves it, so break, continue
 * and return travel as return codes rather than exceptions.
 */
abstract class StmtNode {
    static final int NORMAL = 0;
    static final int BREAK = 1;
    static final int CONTINUE = 2;
    /** The value is in {@link Frame#returnValue}. */
    static final int RETURN = 3;

    final SourcePos pos;

    StmtNode(SourcePos pos) {
        this.pos = pos;
    }

    abstract int exec(Frame f);
}
