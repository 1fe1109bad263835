package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Calls. How each argument reaches its parameter slot was worked out by the resolver
 * ({@link CallBinder}); a call here only evaluates arguments in source order and stores
 * them by precomputed slot.
 */
final class CallNodes {
    private CallNodes() {
    }

    static final class BuiltinCall extends Node {
        private final Builtin builtin;
        private final CallSite site;
        private final Engine engine;
        private final Node[] args;
        private final CallBinder.Binding binding;
        private final int slots;
        /**
         * The argument slots as far as they are known before the call runs: the defaults of
         * omitted parameters and the values of constant arguments. A call starts from a copy.
         */
        private final Object[] template;
        /** The arguments left to evaluate, in source order, and the slot each fills. */
        private final Node[] evaluated;
        private final int[] evaluatedSlot;

        BuiltinCall(CallSite site, Builtin builtin, Node[] args, CallBinder.Binding binding, Engine engine) {
            super(site.pos());
            this.site = site;
            this.builtin = builtin;
            this.args = args;
            this.binding = binding;
            this.engine = engine;
            this.slots = builtin.params().size() + (builtin.extraNamed() ? 1 : 0);
            this.template = new Object[slots];
            for (int slot : binding.defaulted()) {
                template[slot] = builtin.params().get(slot).defaultValue();
            }
            int[] slotOf = binding.slotOf();
            int n = 0;
            for (int k = 0; k < args.length; k++) {
                if (slotOf[k] >= 0 && args[k] instanceof ExprNodes.Const c) {
                    template[slotOf[k]] = c.value();
                } else {
                    n++;
                }
            }
            this.evaluated = new Node[n];
            this.evaluatedSlot = new int[n];
            n = 0;
            for (int k = 0; k < args.length; k++) {
                if (!(slotOf[k] >= 0 && args[k] instanceof ExprNodes.Const)) {
                    evaluated[n] = args[k];
                    evaluatedSlot[n++] = slotOf[k];
                }
            }
        }

        @Override
        Object eval(Frame f) {
            Object[] a = template.clone();
            if (builtin.extraNamed()) {
                evalWithExtra(f, a);
            } else {
                // Without extra named arguments every argument has its slot.
                Node[] e = evaluated;
                int[] slotOf = evaluatedSlot;
                for (int i = 0; i < e.length; i++) {
                    a[slotOf[i]] = e[i].eval(f);
                }
            }
            engine.step(pos);
            Object r;
            try {
                r = builtin.invoker().invoke(site, a);
            } catch (IommufdException e) {
                throw RuntimeError.uapi(pos, builtin.name(), e.errno(), e.reason());
            } catch (ScriptError e) {
                throw RuntimeError.inCall(pos, builtin.name(), e.getMessage());
            } catch (RuntimeError e) {
                throw e;
            } catch (RuntimeException e) {
                // A fault in the host or a plugin: report it at the call, keep the session.
                throw RuntimeError.inCall(pos, builtin.name(), "internal error: " + e);
            }
            return Values.normalize(r);
        }

        /** The arguments of a built-in that takes extra named ones: those go, in order, into a record in the last slot. */
        private void evalWithExtra(Frame f, Object[] a) {
            Map<String, Object> extra = null;
            int[] slotOf = binding.slotOf();
            for (int k = 0; k < args.length; k++) {
                if (slotOf[k] >= 0) {
                    if (!(args[k] instanceof ExprNodes.Const)) {
                        a[slotOf[k]] = args[k].eval(f);
                    }
                } else {
                    if (extra == null) {
                        extra = new LinkedHashMap<>();
                    }
                    extra.put(binding.extraNames()[k], args[k].eval(f));
                }
            }
            a[slots - 1] = new Record(null, extra == null ? Map.of() : extra);
        }
    }

    static final class UserCall extends Node {
        private final FunctionCell cell;
        private final Engine engine;
        private final Node[] args;
        private final String[] argNames;
        private UserFunction boundTo;
        private int[] slotOf;

        UserCall(SourcePos pos, FunctionCell cell, UserFunction boundTo, Node[] args, String[] argNames,
                 int[] slotOf, Engine engine) {
            super(pos);
            this.cell = cell;
            this.boundTo = boundTo;
            this.args = args;
            this.argNames = argNames;
            this.slotOf = slotOf;
            this.engine = engine;
        }

        @Override
        Object eval(Frame f) {
            UserFunction fn = cell.fn;
            if (fn != boundTo) {
                rebind(fn);
            }
            Frame callee = new Frame(fn.frameSize);
            for (int k = 0; k < args.length; k++) {
                callee.locals[slotOf[k]] = args[k].eval(f);
            }
            engine.enter(pos);
            try {
                fn.body.exec(callee);
                return callee.returnValue;
            } catch (RuntimeError e) {
                e.addTrace(pos);
                throw e;
            } finally {
                engine.exit();
            }
        }

        /** The function was redefined at the REPL after this call was resolved: bind again. */
        private void rebind(UserFunction fn) {
            CallBinder.Binding b = CallBinder.bindUser(fn, argNames);
            if (!b.problems().isEmpty()) {
                throw new RuntimeError(pos, fn.name + " was redefined as " + fn.signature()
                        + " and this call no longer fits: " + b.problems().get(0).message());
            }
            slotOf = b.slotOf();
            boundTo = fn;
        }
    }
}
