package dev.iommufdsim.dsl;

/** Binary operators, with the spelling users write (the first one, where there are two). */
public enum BinaryOp {
    ADD("+"), SUB("-"), MUL("*"), DIV("/"), MOD("%"),
    SHL("<<"), SHR(">>"), BIT_AND("&"), BIT_XOR("^"), BIT_OR("|"),
    /** {@code a..b}: the range from a to b, b included. */
    RANGE(".."),
    EQ("=="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">="),
    /** Membership: an element of a list, an address in a range, a substring, a record key. */
    IN("in"),
    AND("and"), OR("or");

    private final String symbol;

    BinaryOp(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }

    /** True for the six comparisons and {@code in}. */
    public boolean isComparison() {
        return ordinal() >= EQ.ordinal() && ordinal() <= IN.ordinal();
    }
}
