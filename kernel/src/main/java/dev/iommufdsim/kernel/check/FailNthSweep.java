package dev.iommufdsim.kernel.check;

import dev.iommufdsim.kernel.FailNth;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The fail_nth sweep of the kernel's selftests (iommufd_fail_nth.c) over one call: on a fresh
 * set-up each time, make allocation step k of the call fail, for k = 1, 2, ... until the call
 * succeeds with no step failing. Each injected failure must be clean: the call fails with the
 * injected ENOMEM, the machine's {@link Snapshot} is unchanged (but for SW_MSI pages a failed attach
 * may leave installed, as the kernel does: {@link Snapshot#sameExceptSwMsiInstalls}), the {@link Invariants} hold,
 * every context hands out the lowest free ID next (no ID gap), the call then succeeds when
 * retried without injection, and closing every context leaves nothing behind.
 */
public final class FailNthSweep {
    private FailNthSweep() {
    }

    /** A set-up ready for the call under test. */
    public record Prepared(Machine machine, Runnable call) {
    }

    /**
     * What a sweep found.
     *
     * @param steps      the allocation steps of the successful call (so steps injections were made)
     * @param checks     invariant assertions evaluated
     * @param failedSteps the name of each step that was made to fail, in order
     * @param failures   what went wrong (empty: every injected failure was clean)
     */
    public record Result(String name, long steps, long checks, List<String> failedSteps, List<Problem> failures) {
        public boolean ok() {
            return failures.isEmpty();
        }
    }

    /** One unclean failure: the call, the step made to fail (k from 1, its name or null), what went wrong. */
    public record Problem(String call, long k, String step, String text) {
        @Override
        public String toString() {
            return call + ", step " + k + (step == null ? "" : " (" + step + ")") + ": " + text;
        }
    }

    public static Result sweep(String name, Supplier<Prepared> setup, int maxSteps) {
        List<Problem> failures = new ArrayList<>();
        List<String> stepNames = new ArrayList<>();
        long checks = 0;
        for (int k = 1; k <= maxSteps; k++) {
            Prepared p = setup.get();
            Machine m = p.machine();
            Snapshot before = Snapshot.of(m);
            Map<Integer, Integer> nextIds = new LinkedHashMap<>();
            for (IommufdCtx ctx : m.contexts()) {
                nextIds.put(ctx.number(), ctx.takenIds().nextClearBit(1));
            }
            FailNth f = FailNth.arm(k);
            IommufdException err = null;
            RuntimeException other = null;
            try {
                p.call().run();
            } catch (IommufdException e) {
                err = e;
            } catch (RuntimeException e) {
                other = e;
            } finally {
                FailNth.disarm();
            }
            final long step = k;
            java.util.function.Function<String, Problem> at = text -> new Problem(name, step, f.failedStep(), text);
            if (other != null) {
                failures.add(at.apply("a Java exception escaped: " + stack(other)));
                closeAll(m);
                continue;
            }
            if (err == null) {
                if (f.failedStep() != null) {
                    failures.add(at.apply("the call succeeded although this step was made to fail"));
                }
                Invariants.Report r = Invariants.check(m);
                checks += r.checks();
                if (!r.ok()) {
                    failures.add(at.apply("invariants broken after the successful call:\n" + r));
                }
                checks += closeAll(m, failures, at);
                return new Result(name, f.steps(), checks, List.copyOf(stepNames), List.copyOf(failures));
            }
            if (f.failedStep() == null) {
                failures.add(at.apply("the call failed without an injected failure: " + err));
                closeAll(m);
                return new Result(name, f.steps(), checks, List.copyOf(stepNames), List.copyOf(failures));
            }
            stepNames.add(f.failedStep());
            if (err.errno() != Errno.ENOMEM || !String.valueOf(err.reason()).contains("fail_nth")) {
                failures.add(at.apply("the injected ENOMEM came back as " + err.errno() + ": " + err.reason()));
            }
            Snapshot after = Snapshot.of(m);
            if (!before.sameExceptSwMsiInstalls(after)) {
                failures.add(at.apply("the call failed but changed the state:\n" + before.diff(after, 8)));
            }
            Invariants.Report r = Invariants.check(m);
            checks += r.checks();
            if (!r.ok()) {
                failures.add(at.apply("invariants broken after the failed call:\n" + r));
            }
            for (IommufdCtx ctx : m.contexts()) {
                int expected = nextIds.get(ctx.number());
                int id = ctx.ioasAlloc(0);
                checks++;
                if (id != expected) {
                    failures.add(at.apply("ctx" + ctx.number() + " allocated ID " + id + " next, the lowest free was " + expected + " (an ID gap)"));
                }
                ctx.destroy(id);
            }
            try {
                p.call().run();
            } catch (RuntimeException e) {
                failures.add(at.apply("retried without injection, the call fails: " + e));
            }
            r = Invariants.check(m);
            checks += r.checks();
            if (!r.ok()) {
                failures.add(at.apply("invariants broken after the retried call:\n" + r));
            }
            checks += closeAll(m, failures, at);
        }
        failures.add(new Problem(name, maxSteps, null, "still failing after " + maxSteps + " injected steps"));
        return new Result(name, maxSteps, checks, List.copyOf(stepNames), List.copyOf(failures));
    }

    private static void closeAll(Machine m) {
        for (IommufdCtx ctx : List.copyOf(m.contexts())) {
            try {
                ctx.close();
            } catch (RuntimeException e) {
                // already reported
            }
        }
    }

    private static long closeAll(Machine m, List<Problem> failures, java.util.function.Function<String, Problem> at) {
        long checks = 0;
        for (IommufdCtx ctx : List.copyOf(m.contexts())) {
            try {
                ctx.close();
            } catch (RuntimeException e) {
                failures.add(at.apply("close of ctx" + ctx.number() + " threw " + stack(e)));
                continue;
            }
            Invariants.Report r = Invariants.checkClosed(ctx);
            checks += r.checks();
            if (!r.ok()) {
                failures.add(at.apply("after close:\n" + r));
            }
        }
        return checks;
    }

    static String stack(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(6, st.length); i++) {
            sb.append("\n    at ").append(st[i]);
        }
        return sb.toString();
    }
}
