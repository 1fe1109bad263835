package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;
import java.util.List;

/** A resolved {@code fn}: its parameters take the first frame slots, in order. */
final class UserFunction {
    final String name;
    final List<String> params;
    final SourcePos pos;
    /** Set once the body is resolved (the body may call the function itself). */
    StmtNode body;
    int frameSize;

    UserFunction(String name, List<String> params, SourcePos pos) {
        this.name = name;
        this.params = params;
        this.pos = pos;
    }

    String signature() {
        return name + "(" + String.join(", ", params) + ")";
    }
}
