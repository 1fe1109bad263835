package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.kernel.uapi.Errno;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An error that stops a script while it runs: a uAPI call failing outside an expectation,
 * a type mistake, division by zero, a limit reached. Carries the position of the failing
 * node and, for a uAPI failure, the call, the errno and the kernel's reason. No stack trace.
 */
public final class RuntimeError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient SourcePos pos;
    private final String call;
    private final Errno errno;
    private final String reason;
    private final boolean interrupt;
    private final transient List<SourcePos> trace = new ArrayList<>();

    private RuntimeError(SourcePos pos, String message, String call, Errno errno, String reason, boolean interrupt) {
        super(message, null, false, false);
        this.pos = pos;
        this.call = call;
        this.errno = errno;
        this.reason = reason;
        this.interrupt = interrupt;
    }

    /** A script error at {@code pos}. */
    public RuntimeError(SourcePos pos, String message) {
        this(pos, message, null, null, null, false);
    }

    /** A uAPI call that failed: "ioas_map: EINVAL: iova 0x8000000 is reserved (SW_MSI)". */
    static RuntimeError uapi(SourcePos pos, String call, Errno errno, String reason) {
        return new RuntimeError(pos, call + ": " + errno + ": " + reason, call, errno, reason, false);
    }

    /** The run was interrupted ({@link Engine#interrupt()}, Ctrl-C at the console) at {@code pos}. */
    static RuntimeError interrupted(SourcePos pos) {
        return new RuntimeError(pos, "interrupted", null, null, null, true);
    }

    /** A built-in's complaint about an argument, or its failure. */
    static RuntimeError inCall(SourcePos pos, String call, String message) {
        return new RuntimeError(pos, call + ": " + message, call, null, null, false);
    }

    /** Whether the run stopped because it was interrupted rather than because of a mistake. */
    public boolean isInterrupt() {
        return interrupt;
    }

    /** Where the error happened (for a failing call, the call's name). */
    public SourcePos pos() {
        return pos;
    }

    /** The built-in that failed, or null when the error is not in a call. */
    public String call() {
        return call;
    }

    /** The errno of a failed uAPI call, or null for any other error. */
    public Errno errno() {
        return errno;
    }

    /** The kernel's reason for a failed uAPI call, or null. */
    public String reason() {
        return reason;
    }

    /** Call sites of the user functions the error passed through, innermost first. */
    public List<SourcePos> trace() {
        return Collections.unmodifiableList(trace);
    }

    void addTrace(SourcePos callSite) {
        trace.add(callSite);
    }

    /** "file:line:col: message". */
    @Override
    public String toString() {
        return pos + ": " + getMessage();
    }
}
