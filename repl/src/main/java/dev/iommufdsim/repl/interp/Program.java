package dev.iommufdsim.repl.interp;

import java.util.Map;

/**
 * A resolved script, not yet committed to its engine: the top-level code and the
 * functions it defines, which become visible only if resolution succeeded.
 *
 * @param body        the top-level statements
 * @param definitions the functions defined, by the cell each goes into
 * @param newCells    cells for names the engine did not know, to add to it
 */
record Program(StmtNode body, Map<FunctionCell, UserFunction> definitions, Map<String, FunctionCell> newCells) {
}
