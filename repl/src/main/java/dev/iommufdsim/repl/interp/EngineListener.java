package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.dsl.SourcePos;
import java.util.List;

/**
 * How the engine reports, since it never prints: the REPL, the batch runner and the JSON
 * renderer each implement this. Every method has an empty default.
 */
public interface EngineListener {

    /** An {@code expect} was checked (passed or not). */
    default void expectation(Expectation e) {
    }

    /** A {@code show} statement's value. */
    default void show(Object value, SourcePos pos) {
    }

    /**
     * The value of an expression statement at the top level of the evaluated text (not in a
     * block, a function or a sourced file), other than {@link None#NONE}: what a REPL echoes.
     */
    default void result(Object value, SourcePos pos) {
    }

    /** The error that stopped the run. */
    default void runtimeError(RuntimeError error) {
    }

    /** Syntax or name errors found before running; nothing ran. */
    default void diagnostics(List<Diagnostic> diagnostics) {
    }
}
