package dev.iommufdsim.repl.interp;

/** The value of calls that return nothing, and of the literal {@code none}. */
public enum None {
    NONE;

    @Override
    public String toString() {
        return "none";
    }
}
