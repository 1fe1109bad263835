package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.Diagnostic;
import java.util.List;

/**
 * What one {@link Engine#eval} or {@link Engine#run} did. The same facts went to the
 * listener as they happened; this is the summary for callers that want a return value.
 *
 * @param status      how it ended
 * @param value       the value of the last top-level expression statement, or {@link None#NONE}
 * @param diagnostics syntax or name errors (status {@link Status#LOAD_ERROR}), else empty
 * @param error       the error that stopped the run (status {@link Status#RUNTIME_ERROR}), else null
 * @param passed      expectations that held during this run
 * @param failed      expectations that failed during this run
 */
public record EvalResult(Status status, Object value, List<Diagnostic> diagnostics, RuntimeError error,
                         int passed, int failed) {

    public enum Status {
        /** Ran to the end (expectations may still have failed: see {@link #failed}). */
        OK,
        /** Did not run: a syntax error, an unknown name, a bad call, an unreadable source file. */
        LOAD_ERROR,
        /** Stopped by a runtime error. */
        RUNTIME_ERROR
    }

    public EvalResult {
        diagnostics = List.copyOf(diagnostics);
    }

    public boolean ok() {
        return status == Status.OK;
    }
}
