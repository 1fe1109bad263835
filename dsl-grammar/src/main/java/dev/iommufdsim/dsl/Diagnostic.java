package dev.iommufdsim.dsl;

/**
 * A problem found before anything runs (a syntax error here, a name error in the
 * interpreter's resolver), in the user's terms.
 *
 * @param file    the script's file name
 * @param line    1-based line
 * @param col     1-based column
 * @param message what is wrong, without the position ("expected ')' after argument list")
 */
public record Diagnostic(String file, int line, int col, String message) {

    public static Diagnostic at(SourcePos pos, String message) {
        return new Diagnostic(pos.file(), pos.line(), pos.col(), message);
    }

    public SourcePos pos() {
        return new SourcePos(file, line, col);
    }

    /** "file:line:col: message". */
    @Override
    public String toString() {
        return file + ":" + line + ":" + col + ": " + message;
    }
}
