package dev.iommufdsim.repl.interp;

/**
 * Thrown by a built-in for a bad argument (wrong type, value out of range): a mistake in
 * the script, not a uAPI failure. The engine adds the call's position and name. The
 * message is for people ("iova must be a number, got a string"); no stack trace is kept.
 */
public class ScriptError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ScriptError(String message) {
        super(message, null, false, false);
    }
}
