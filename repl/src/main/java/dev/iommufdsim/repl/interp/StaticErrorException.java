package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.Diagnostic;
import java.util.List;

/** The resolver found problems; nothing runs. Internal: callers see them as diagnostics. */
final class StaticErrorException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient List<Diagnostic> diagnostics;

    StaticErrorException(List<Diagnostic> diagnostics) {
        super(diagnostics.toString(), null, false, false);
        this.diagnostics = List.copyOf(diagnostics);
    }
}
