package dev.iommufdsim.dsl;

/**
 * A place in a script: the file name as the user gave it, the 1-based line and the 1-based
 * column (tabs count as one column). Every AST node, diagnostic and runtime error has one.
 */
public record SourcePos(String file, int line, int col) {

    /** The conventional "file:line:col" form, as compilers print it. */
    @Override
    public String toString() {
        return file + ":" + line + ":" + col;
    }
}
