package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;

/** Where an assignment, a for variable or a declaration stores its value. */
abstract class Target {
    final String name;

    Target(String name) {
        this.name = name;
    }

    abstract void set(Frame f, Object value);

    /** A reader of the same variable (for {@code x += 1}). */
    abstract Node reader(SourcePos pos);

    static final class Local extends Target {
        private final int slot;

        Local(String name, int slot) {
            super(name);
            this.slot = slot;
        }

        @Override
        void set(Frame f, Object value) {
            f.locals[slot] = value;
        }

        @Override
        Node reader(SourcePos pos) {
            return new ExprNodes.LocalGet(pos, name, slot);
        }
    }

    static final class Global extends Target {
        private final Globals globals;
        private final int slot;

        Global(String name, Globals globals, int slot) {
            super(name);
            this.globals = globals;
            this.slot = slot;
        }

        @Override
        void set(Frame f, Object value) {
            globals.values[slot] = value;
        }

        @Override
        Node reader(SourcePos pos) {
            return new ExprNodes.GlobalGet(pos, name, globals, slot);
        }
    }
}
