package dev.iommufdsim.repl.builtins;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.host.Session;
import dev.iommufdsim.repl.interp.Builtin;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.None;
import dev.iommufdsim.repl.interp.Param;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds one row of the built-in table with its handler reading arguments by name: the
 * shape every uAPI call shares (parameters named after the struct fields, the errnos it may
 * return, a handler on the session's current context).
 */
final class Row {
    @FunctionalInterface
    interface CtxHandler {
        Object call(IommufdCtx ctx, Args a);
    }

    @FunctionalInterface
    interface SessionHandler {
        Object call(Session s, Args a, String declaredName);
    }

    private final Builtin.Builder b;
    private final List<String> names = new ArrayList<>();

    private Row(String name, String summary) {
        this.b = Builtin.builder(name).summary(summary);
    }

    static Row of(String name, String summary) {
        return new Row(name, summary);
    }

    Row kind(Builtin.Kind kind) {
        b.kind(kind);
        return this;
    }

    Row req(String name, String description, String... constants) {
        names.add(name);
        b.param(Param.required(name, description).withConstants(constants));
        return this;
    }

    /** An optional argument that is None when omitted (the handler decides the default). */
    Row opt(String name, String description, String... constants) {
        return opt(name, None.NONE, description, constants);
    }

    Row opt(String name, Object dflt, String description, String... constants) {
        names.add(name);
        b.param(Param.optional(name, dflt, description).withConstants(constants));
        return this;
    }

    Row notes(String text) {
        b.notes(text);
        return this;
    }

    Row extraNamed() {
        b.extraNamed();
        return this;
    }

    Row errnos(Errno... errnos) {
        b.errnos(errnos);
        return this;
    }

    /** Registers the row with a handler on the current iommufd context. */
    void on(BuiltinTable t, CtxHandler h) {
        Args.Layout layout = new Args.Layout(names);
        t.register(b.invoker((cc, slots) -> result(h.call(cc.service(Session.class).ctx(), new Args(layout, slots)))).build());
    }

    /** Registers the row with a handler on the session (machine, contexts, plugins). */
    void onSession(BuiltinTable t, SessionHandler h) {
        Args.Layout layout = new Args.Layout(names);
        t.register(b.invoker((cc, slots) -> result(h.call(cc.service(Session.class), new Args(layout, slots), cc.declaredName()))).build());
    }

    private static Object result(Object r) {
        if (r instanceof Integer i) {
            return Integer.toUnsignedLong(i);
        }
        return r == null ? None.NONE : r;
    }
}
