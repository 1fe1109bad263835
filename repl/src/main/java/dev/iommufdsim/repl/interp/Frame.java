package dev.iommufdsim.repl.interp;

/**
 * The local variables of one function call, in slots the resolver numbered (a function's
 * scope is flat: blocks do not open scopes). The top level has a frame with no slots: its
 * variables are {@link Globals}. A null slot is a variable not yet assigned.
 */
final class Frame {
    static final Frame TOP = new Frame(0);

    final Object[] locals;
    /** The value a {@code return} hands back, read by the call once the body stops. */
    Object returnValue = None.NONE;

    Frame(int size) {
        this.locals = new Object[size];
    }
}
