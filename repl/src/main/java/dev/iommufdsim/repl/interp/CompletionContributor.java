package dev.iommufdsim.repl.interp;

import java.util.List;

/**
 * A host's share of completion: candidates for an argument's value that only the host can
 * know, such as the IDs of the live kernel objects for an {@code ioas_id}. The engine asks
 * every registered contributor when the cursor is in an argument of a call, and offers what
 * they return next to the parameter's constants and the variables. Keeps the engine free
 * of kernel knowledge.
 */
@FunctionalInterface
public interface CompletionContributor {

    /**
     * Candidates for the value of parameter {@code param} of the call to {@code callee} (a
     * built-in or a user function), as they would be typed; empty when there are none.
     * Called on the console's thread between entries, never while a script runs.
     */
    List<String> argumentValues(String callee, String param);
}
