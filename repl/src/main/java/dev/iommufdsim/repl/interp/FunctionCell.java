package dev.iommufdsim.repl.interp;

/**
 * The engine's binding of a function name. Call sites hold the cell, not the function,
 * so redefining a function at the REPL reaches the callers resolved before.
 */
final class FunctionCell {
    final String name;
    /** The current definition; null until the defining script is committed. */
    UserFunction fn;

    FunctionCell(String name) {
        this.name = name;
    }
}
