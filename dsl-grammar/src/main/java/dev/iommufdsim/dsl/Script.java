package dev.iommufdsim.dsl;

import java.util.List;

/**
 * The AST root: one parsed file or REPL entry.
 *
 * @param file       the name positions refer to
 * @param text       the source text, kept so reporters can show the offending line
 * @param statements the top-level statements in order
 */
public record Script(String file, String text, List<Stmt> statements) {
    public Script {
        statements = List.copyOf(statements);
    }
}
