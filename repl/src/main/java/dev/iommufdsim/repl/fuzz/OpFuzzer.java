package dev.iommufdsim.repl.fuzz;

import dev.iommufdsim.kernel.Area;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.IommufdObject;
import dev.iommufdsim.kernel.Ioas;
import dev.iommufdsim.kernel.check.Invariants;
import dev.iommufdsim.kernel.check.Snapshot;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.repl.host.PluginHost;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs sequences of calls and checks every step: after each call the {@link Invariants} of
 * the machine; for each failed call that the state did not change ({@link Snapshot} equality;
 * IOAS_UNMAP may have removed whole areas inside its range, a failed attach may leave SW_MSI
 * pages installed, both as the kernel does); no Java exception may escape the kernel and no
 * driver plugin may throw; closing a context at the end must free everything. A sequence that
 * breaks a rule is shrunk ({@link #shrink}) and printed as a script.
 */
public final class OpFuzzer {
    /** What went wrong, at which call of the sequence. The signature is what shrinking preserves. */
    public record Finding(String signature, int index, String message) {
    }

    /** Counts of a campaign. */
    public static final class Stats {
        long sequences;
        long calls;
        long failedCalls;
        long skipped;
        long invariantChecks;
        final Map<String, long[]> perCall = new TreeMap<>();
        final Map<String, Long> errnos = new TreeMap<>();

        public long calls() {
            return calls;
        }

        public long failedCalls() {
            return failedCalls;
        }

        public long invariantChecks() {
            return invariantChecks;
        }

        public long sequences() {
            return sequences;
        }

        /** Per call: how many succeeded and failed. */
        public String perCallTable() {
            StringBuilder sb = new StringBuilder();
            perCall.forEach((c, n) -> sb.append(String.format("  %-20s %8d ok %8d failed%n", c, n[0], n[1])));
            return sb.toString();
        }

        public Map<String, Long> errnos() {
            return errnos;
        }
    }

    /** One run of a sequence: the ops as run (with their outcomes) and the first finding, or null. */
    public record Run(List<Op> ops, Finding finding, FuzzWorld world) {
    }

    private final PluginHost plugins;

    public OpFuzzer(PluginHost plugins) {
        this.plugins = plugins;
    }

    /** Generates and runs a sequence of n calls from this seed, stopping at the first finding. */
    public Run generate(long seed, int n, Stats stats) {
        FuzzWorld w = new FuzzWorld(plugins);
        OpGen gen = new OpGen(seed, w);
        List<Op> ops = new ArrayList<>();
        State before = new State();
        stats.sequences++;
        for (int i = 0; i < n; i++) {
            Op op = gen.next();
            ops.add(op);
            Finding f = step(w, op, i, before, stats);
            if (op.call.equals("open") && !op.skipped) {
                gen.opened(op.ctx);
            }
            if (f != null) {
                return new Run(ops, f, w);
            }
        }
        return new Run(ops, closeAll(w, ops.size(), stats), w);
    }

    /** Replays fixed ops (fresh copies) on a fresh machine, stopping at the first finding. */
    public Run replay(List<Op> original, Stats stats) {
        FuzzWorld w = new FuzzWorld(plugins);
        List<Op> ops = new ArrayList<>();
        State before = new State();
        for (int i = 0; i < original.size(); i++) {
            Op op = original.get(i).copy();
            ops.add(op);
            Finding f = step(w, op, i, before, stats);
            if (f != null) {
                return new Run(ops, f, w);
            }
        }
        return new Run(ops, closeAll(w, ops.size(), stats), w);
    }

    private static Finding closeAll(FuzzWorld w, int index, Stats stats) {
        for (IommufdCtx ctx : List.copyOf(w.contexts())) {
            try {
                ctx.close();
            } catch (RuntimeException e) {
                return new Finding("java-exception in close: " + top(e), index, stack(e));
            }
            Invariants.Report r = Invariants.checkClosed(ctx);
            stats.invariantChecks += r.checks();
            if (!r.ok()) {
                return new Finding("close: " + name(r.violations().get(0)), index, "closing ctx" + ctx.number() + " at the end:\n" + r);
            }
        }
        return null;
    }

    /**
     * The snapshots of the contexts as the last calls left them. A call on context N can only
     * change N and the machine's DMA ownership, so only that part is taken again after it; every
     * {@value #FULL_EVERY} calls all contexts are compared with what is remembered, which would
     * catch a call that changed another context.
     */
    static final class State {
        static final int FULL_EVERY = 64;
        final Map<Integer, Snapshot> byCtx = new java.util.HashMap<>();
        Snapshot machine;
        int sinceFull;

        Snapshot get(FuzzWorld w, int ctx) {
            return byCtx.computeIfAbsent(ctx, n -> Snapshot.of(w.ctx(n)));
        }

        Snapshot machine(FuzzWorld w) {
            if (machine == null) {
                machine = Snapshot.ofMachine(w.machine());
            }
            return machine;
        }
    }

    /** Runs one op with all the checks, keeping state's snapshots current. */
    static Finding step(FuzzWorld w, Op op, int index, State state, Stats stats) {
        if (!w.runnable(op)) {
            op.skipped = true;
            stats.skipped++;
            return null;
        }
        List<Area> areasBefore = null;
        IommufdCtx closing = null;
        boolean local = !op.call.equals("open") && !op.call.equals("close");
        Snapshot before = local ? state.get(w, op.ctx) : null;
        Snapshot machineBefore = state.machine(w);
        if (op.call.equals("ioas_unmap")) {
            IommufdObject o = w.ctx(op.ctx).object(op.u32("ioas_id"));
            areasBefore = o instanceof Ioas ioas ? ioas.iopt().areas() : null;
        } else if (op.call.equals("close")) {
            closing = w.ctx(op.u32("ctx"));
        }
        IommufdException err = null;
        Object result;
        try {
            result = w.apply(op);
        } catch (IommufdException e) {
            err = e;
            result = null;
        } catch (RuntimeException | StackOverflowError e) {
            return new Finding("java-exception in " + op.call + ": " + top(e), index, stack(e));
        }
        if (op.call.equals("open")) {
            op.ctx = (Integer) result;
        }
        stats.calls++;
        long[] pc = stats.perCall.computeIfAbsent(op.call, k -> new long[2]);
        if (err != null) {
            op.errno = err.errno();
            stats.failedCalls++;
            pc[1]++;
            stats.errnos.merge(err.errno().name(), 1L, Long::sum);
            if (err.errno() == Errno.EIO && String.valueOf(err.reason()).contains("driver plugin")) {
                return new Finding("plugin-exception in " + op.call, index, err.reason());
            }
        } else {
            pc[0]++;
        }
        Snapshot machineAfter = Snapshot.ofMachine(w.machine());
        state.machine = machineAfter;
        // A partial IOAS_UNMAP unpins the areas it did remove; the pins invariant below holds the
        // pins to the areas that are left.
        boolean unpinnedByPartialUnmap = op.call.equals("ioas_unmap") && machineBefore.diffKeys(machineAfter).equals(List.of("machine/pins"));
        if (err != null && !machineBefore.equals(machineAfter) && !unpinnedByPartialUnmap) {
            return new Finding("state-changed-on-failure: " + op.call, index, op.call + " failed with " + err.errno() + " ("
                    + err.reason() + ") but changed the machine:\n" + machineBefore.diff(machineAfter, 8));
        }
        if (local) {
            Snapshot after = Snapshot.of(w.ctx(op.ctx));
            if (err != null) {
                String bad = failedCallChange(w, op, before, after, areasBefore);
                if (bad != null) {
                    return new Finding("state-changed-on-failure: " + op.call, index, op.call + " failed with " + err.errno() + " ("
                            + err.reason() + ") but changed the state:\n" + bad);
                }
            }
            if (++state.sinceFull >= State.FULL_EVERY) {
                state.sinceFull = 0;
                for (IommufdCtx c : w.contexts()) {
                    Snapshot remembered = state.byCtx.get(c.number());
                    Snapshot now = Snapshot.of(c);
                    if (c.number() != op.ctx && remembered != null && !remembered.equals(now)) {
                        return new Finding("cross-context change", index, "ctx" + c.number() + " changed by calls on other contexts:\n"
                                + remembered.diff(now, 8));
                    }
                }
            }
            state.byCtx.put(op.ctx, after);
        } else {
            state.byCtx.clear();
        }
        if (closing != null) {
            Invariants.Report r = Invariants.checkClosed(closing);
            stats.invariantChecks += r.checks();
            if (!r.ok()) {
                return new Finding("close: " + name(r.violations().get(0)), index, r.toString());
            }
        }
        Invariants.Report r = Invariants.check(w.machine());
        stats.invariantChecks += r.checks();
        if (!r.ok()) {
            return new Finding("invariant " + name(r.violations().get(0)) + " after " + op.call, index,
                    "after " + op + ":\n" + r);
        }
        return null;
    }

    /** Null if a failed call changed nothing it may not; else what changed. */
    private static String failedCallChange(FuzzWorld w, Op op, Snapshot before, Snapshot after, List<Area> areasBefore) {
        if (before.equals(after)) {
            return null;
        }
        switch (op.call) {
            case "ioas_unmap": {
                // Areas removed before the error stay removed (iopt_unmap_iova_range): only whole areas inside the range.
                String key = "ctx" + op.ctx + "/obj" + op.u32("ioas_id") + "/areas";
                List<String> keys = before.diffKeys(after);
                if (areasBefore == null || !keys.equals(List.of(key))) {
                    return before.diff(after, 8);
                }
                Ioas ioas = (Ioas) w.ctx(op.ctx).object(op.u32("ioas_id"));
                List<Area> areasAfter = ioas.iopt().areas();
                Set<Area> now = new HashSet<>(areasAfter);
                if (!new HashSet<>(areasBefore).containsAll(now)) {
                    return "areas appeared:\n" + before.diff(after, 8);
                }
                long start = op.u64("iova");
                long last = start + op.u64("length") - 1;
                for (Area a : areasBefore) {
                    if (!now.contains(a) && (Long.compareUnsigned(a.iova(), start) < 0 || Long.compareUnsigned(a.last(), last) > 0
                            || Long.compareUnsigned(last, start) < 0)) {
                        return String.format("area 0x%x-0x%x was removed but is not inside 0x%x-0x%x", a.iova(), a.last(), start, last);
                    }
                }
                return null;
            }
            case "vfio_attach", "mock_domain", "mock_domain_replace":
                return before.sameExceptSwMsiInstalls(after) ? null : before.diff(after, 8);
            default:
                return before.diff(after, 8);
        }
    }

    // ------------------------------------------------------------------ shrinking

    /**
     * Delta debugging (ddmin): removes chunks of ops, then single ops, while the replay still
     * ends in a finding with the same signature. Returns the shortest run found.
     */
    public Run shrink(Run failing, int maxReplays) {
        String signature = failing.finding().signature();
        List<Op> ops = new ArrayList<>(failing.ops().subList(0, failing.finding().index() + 1));
        Run best = replay(ops, new Stats());
        if (best.finding() == null || !best.finding().signature().equals(signature)) {
            return failing; // not reproducible from the ops alone
        }
        int[] replays = {0};
        int n = 2;
        while (ops.size() >= 2 && replays[0] < maxReplays) {
            int chunk = (ops.size() + n - 1) / n;
            boolean reduced = false;
            for (int start = 0; start < ops.size() && replays[0] < maxReplays; start += chunk) {
                List<Op> candidate = new ArrayList<>(ops.subList(0, start));
                candidate.addAll(ops.subList(Math.min(ops.size(), start + chunk), ops.size()));
                Run r = tryRun(candidate, signature, replays);
                if (r != null) {
                    ops = new ArrayList<>(candidate.subList(0, r.finding().index() + 1));
                    best = r;
                    n = Math.max(n - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (!reduced) {
                if (n >= ops.size()) {
                    break;
                }
                n = Math.min(ops.size(), n * 2);
            }
        }
        for (int i = ops.size() - 2; i >= 0 && replays[0] < maxReplays; i--) {
            List<Op> candidate = new ArrayList<>(ops);
            candidate.remove(i);
            Run r = tryRun(candidate, signature, replays);
            if (r != null) {
                ops = new ArrayList<>(candidate.subList(0, r.finding().index() + 1));
                best = r;
                i = Math.min(i, ops.size() - 1);
            }
        }
        return best;
    }

    private Run tryRun(List<Op> candidate, String signature, int[] replays) {
        replays[0]++;
        Run r = replay(candidate, new Stats());
        return r.finding() != null && r.finding().signature().equals(signature) ? r : null;
    }

    /** The shrunk run as a script: the preamble, the calls up to the finding, the finding as comments. */
    public static String script(Run run, String how) {
        Finding f = run.finding();
        List<Op> ops = run.ops().subList(0, Math.min(run.ops().size(), f.index() + 1));
        String header = "Found by the iommufd-sim op fuzzer (" + how + "): " + f.signature() + "\n"
                + "Run: ./iommufd-sim run THIS_FILE; the last call is where the rule broke:\n" + f.message();
        return run.world().script(ops, header);
    }

    // ------------------------------------------------------------------ helpers

    private static String name(String violation) {
        int colon = violation.indexOf(':');
        return colon < 0 ? violation : violation.substring(0, colon);
    }

    static String top(Throwable e) {
        StackTraceElement[] st = e.getStackTrace();
        return e.getClass().getSimpleName() + (st.length == 0 ? "" : " at " + st[0].getClassName().replaceAll(".*\\.", "") + "."
                + st[0].getMethodName());
    }

    static String stack(Throwable e) {
        StringBuilder sb = new StringBuilder(e.toString());
        StackTraceElement[] st = e.getStackTrace();
        for (int i = 0; i < Math.min(12, st.length); i++) {
            sb.append("\n    at ").append(st[i]);
        }
        return sb.toString();
    }
}
