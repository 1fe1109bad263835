package dev.iommufdsim.repl.host;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.builtins.InspectBuiltins;
import dev.iommufdsim.repl.builtins.MachineBuiltins;
import dev.iommufdsim.repl.builtins.NestingBuiltins;
import dev.iommufdsim.repl.builtins.ReservedBuiltins;
import dev.iommufdsim.repl.builtins.SelftestBuiltins;
import dev.iommufdsim.repl.builtins.UapiBuiltins;
import dev.iommufdsim.repl.builtins.VfioCompatBuiltins;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Engine;

/**
 * Assembles one simulator: the plugins' drivers in a fresh machine, the table of built-ins
 * (uAPI calls, machine declarations, selftest ops, inspection) and an engine bound to the
 * session. The REPL, the batch runner and the tests all start here; nothing here prints.
 */
public final class Sim {
    private final Session session;
    private final Engine engine;

    private Sim(Session session, Engine engine) {
        this.session = session;
        this.engine = engine;
    }

    public static Sim create(PluginHost plugins, KernelProfile profile) {
        Session session = new Session(plugins, profile);
        BuiltinTable table = new BuiltinTable();
        UapiBuiltins.register(table);
        SelftestBuiltins.register(table);
        VfioCompatBuiltins.register(table);
        NestingBuiltins.register(table);
        ReservedBuiltins.register(table);
        MachineBuiltins.register(table, session.machine());
        InspectBuiltins.register(table);
        Engine engine = new Engine(table);
        engine.putService(Session.class, session);
        engine.addCompletionContributor(new LiveIdCompletion(session));
        return new Sim(session, engine);
    }

    public Session session() {
        return session;
    }

    public Engine engine() {
        return engine;
    }
}
