package dev.iommufdsim.dsl;

import java.util.List;

/**
 * A script that does not parse. Carries every diagnostic found (the parser recovers and
 * goes on), in source order. The message is for people: it carries no stack trace.
 */
public final class SyntaxErrorException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient List<Diagnostic> diagnostics;

    public SyntaxErrorException(List<Diagnostic> diagnostics) {
        super(summary(diagnostics), null, false, false);
        this.diagnostics = List.copyOf(diagnostics);
    }

    /** All syntax errors, in source order; never empty. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    private static String summary(List<Diagnostic> diagnostics) {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic d : diagnostics) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(d);
        }
        return sb.toString();
    }
}
