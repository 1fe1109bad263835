package dev.iommufdsim.repl.host;

import dev.iommufdsim.kernel.DriverCallWatch;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.builtins.EventqBuiltins;
import dev.iommufdsim.repl.builtins.InspectBuiltins;
import dev.iommufdsim.repl.builtins.MachineBuiltins;
import dev.iommufdsim.repl.builtins.NestingBuiltins;
import dev.iommufdsim.repl.builtins.ReservedBuiltins;
import dev.iommufdsim.repl.builtins.SelftestBuiltins;
import dev.iommufdsim.repl.builtins.UapiBuiltins;
import dev.iommufdsim.repl.builtins.VfioCompatBuiltins;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Engine;
import dev.iommufdsim.repl.interp.EvalResult;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Assembles one simulator: the plugins' drivers in a fresh machine, the table of built-ins
 * (uAPI calls, machine declarations, selftest ops, inspection) and an engine bound to the
 * session. The REPL, the batch runner and the tests all start here; nothing here prints.
 *
 * <p>{@link #eval} and {@link #runFile} run the engine within the {@link Limits}: the
 * engine's own (steps, depth, length), and a time bound on each call into a driver plugin.
 * For that the run goes on a thread of its own, which this thread watches (one thread per
 * run, nothing per call); a driver call still running after the bound, or when the run is
 * interrupted (Ctrl-C), is abandoned, its plugin disabled, and the run ends with an error at
 * the statement that made the call.
 */
public final class Sim {
    /** The run's thread's stack: deep enough for the default call depth many times over (reserved, not committed). */
    private static final long RUN_STACK_BYTES = 16L << 20;

    private final Session session;
    private final Engine engine;
    private Limits limits = Limits.DEFAULT;

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
        EventqBuiltins.register(table);
        NestingBuiltins.register(table);
        ReservedBuiltins.register(table);
        MachineBuiltins.register(table, session.machine());
        InspectBuiltins.register(table);
        Engine engine = new Engine(table);
        engine.putService(Session.class, session);
        engine.addCompletionContributor(new LiveIdCompletion(session));
        return new Sim(session, engine);
    }

    /** A simulator with these limits. */
    public static Sim create(PluginHost plugins, KernelProfile profile, Limits limits) {
        Sim sim = create(plugins, profile);
        sim.setLimits(limits);
        return sim;
    }

    public Session session() {
        return session;
    }

    public Engine engine() {
        return engine;
    }

    public Limits limits() {
        return limits;
    }

    /** Sets the limits for the next runs. */
    public void setLimits(Limits limits) {
        this.limits = Objects.requireNonNull(limits);
        limits.applyTo(engine);
    }

    /** {@link Engine#eval} within the limits. */
    public EvalResult eval(String text, String fileName) {
        return bounded(() -> engine.eval(text, fileName));
    }

    /** {@link Engine#runFile} within the limits. */
    public EvalResult runFile(Path file) {
        return bounded(() -> engine.runFile(file));
    }

    private EvalResult bounded(Supplier<EvalResult> run) {
        long bound = limits.maxPluginTime().toNanos();
        if (bound == 0) {
            return run.get();
        }
        Object[] outcome = new Object[1]; // the result, or what the run threw
        Thread runner = DriverCallWatch.newThread(() -> {
            try {
                outcome[0] = run.get();
            } catch (RuntimeException | Error e) {
                outcome[0] = e;
            }
        }, "iommufd-sim run", RUN_STACK_BYTES);
        DriverCallWatch watch = DriverCallWatch.of(runner);
        long poll = Math.max(1, Math.min(100, bound / 20_000_000)); // ms: a twentieth of the bound, at most 0.1 s
        boolean interrupted = false;
        DriverCallWatch.Call seen = null;
        long seenAt = 0;
        runner.start();
        try {
            while (true) {
                try {
                    runner.join(poll);
                } catch (InterruptedException e) {
                    interrupted = true; // stop the script as Ctrl-C would, and keep waiting for it
                    engine.interrupt();
                }
                if (!runner.isAlive()) {
                    break;
                }
                DriverCallWatch.Call call = watch.running();
                long now = System.nanoTime();
                if (call == null || seen == null || call.stamp() != seen.stamp()) {
                    seen = call;
                    seenAt = now;
                } else if (now - seenAt >= bound && watch.abandon(call)) {
                    return abandoned(runner, call, call.hook() + " did not return within " + Limits.seconds(limits.maxPluginTime()));
                } else if (engine.interruptPending() && watch.abandon(call)) {
                    // Ctrl-C cannot wait for the next statement: the plugin holds the thread.
                    return abandoned(runner, call, call.hook() + " was interrupted after running for at least "
                            + Limits.seconds(java.time.Duration.ofMillis((now - seenAt) / 1_000_000)));
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (outcome[0] instanceof RuntimeException e) {
            throw e;
        } else if (outcome[0] instanceof Error e) {
            throw e;
        }
        return (EvalResult) outcome[0];
    }

    /** The run's thread is stuck in a driver call: disable the plugin, end the run with what is known. */
    private EvalResult abandoned(Thread runner, DriverCallWatch.Call call, String why) {
        runner.interrupt(); // a plugin that waits or sleeps may return; the thread then parks for good
        String id = call.plugin().pluginId();
        call.plugin().disable(why);
        return engine.abandon("plugin " + id + ": " + why + "; plugin disabled (the call was abandoned where it"
                + " stood and may still be running: what it had changed is not undone; --max-plugin-time sets the bound)");
    }
}
