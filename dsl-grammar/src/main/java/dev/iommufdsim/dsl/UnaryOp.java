package dev.iommufdsim.dsl;

/** Prefix operators. */
public enum UnaryOp {
    /** Two's complement negation (wraps, like C's unary minus on u64). */
    NEG("-"),
    /** Bitwise complement. */
    BIT_NOT("~"),
    /** Logical not, spelled {@code not} or {@code !} (they differ only in precedence). */
    NOT("not");

    private final String symbol;

    UnaryOp(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }
}
