package dev.iommufdsim.repl.interp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Matches a call's arguments to the callee's parameters, once, when the script is
 * resolved: positional arguments fill parameters in order, named ones by name. The result
 * tells each argument its slot, so a call at run time never compares names.
 */
final class CallBinder {
    private CallBinder() {
    }

    /**
     * @param argIndex the argument the problem is about, or -1 for the call as a whole
     */
    record Problem(int argIndex, String message) {
    }

    /**
     * @param slotOf     per argument in source order: its parameter slot, or -1 for an
     *                   extra named argument
     * @param extraNames per argument: its name when it is an extra named one, else null
     * @param defaulted  parameter slots no argument fills (they take their default)
     * @param problems   why the call does not fit; empty when it does
     */
    record Binding(int[] slotOf, String[] extraNames, int[] defaulted, List<Problem> problems) {
    }

    /** Binds a call to a built-in; {@code argNames} has null for positional arguments. */
    static Binding bindBuiltin(Builtin b, String[] argNames) {
        List<String> names = new ArrayList<>();
        boolean[] required = new boolean[b.params().size()];
        for (int i = 0; i < required.length; i++) {
            names.add(b.params().get(i).name());
            required[i] = b.params().get(i).required();
        }
        return bind(b.signature(), names, required, b.extraNamed(), argNames);
    }

    /** Binds a call to a user function: every parameter is required. */
    static Binding bindUser(UserFunction fn, String[] argNames) {
        boolean[] required = new boolean[fn.params.size()];
        Arrays.fill(required, true);
        return bind(fn.signature(), fn.params, required, false, argNames);
    }

    private static Binding bind(String signature, List<String> params, boolean[] required, boolean extraNamed,
                                String[] argNames) {
        int n = argNames.length;
        int[] slotOf = new int[n];
        String[] extraNames = new String[n];
        int[] filledBy = new int[params.size()];
        Arrays.fill(filledBy, -1);
        List<Problem> problems = new ArrayList<>();
        int positional = 0;
        for (int k = 0; k < n; k++) {
            String name = argNames[k];
            int slot;
            if (name == null) {
                slot = positional++;
                if (slot >= params.size()) {
                    problems.add(new Problem(k, "too many arguments: " + signature + " takes "
                            + params.size() + (extraNamed ? " positional" : "")));
                    slotOf[k] = -1;
                    continue;
                }
            } else {
                slot = params.indexOf(name);
                if (slot < 0) {
                    if (extraNamed) {
                        slotOf[k] = -1;
                        extraNames[k] = name;
                        continue;
                    }
                    problems.add(new Problem(k, "no parameter '" + name + "' in " + signature
                            + Suggest.didYouMean(name, params)));
                    slotOf[k] = -1;
                    continue;
                }
                if (filledBy[slot] >= 0) {
                    problems.add(new Problem(k, "argument '" + name + "' is already given by position"));
                    slotOf[k] = -1;
                    continue;
                }
            }
            filledBy[slot] = k;
            slotOf[k] = slot;
        }
        int[] defaulted = new int[params.size()];
        int d = 0;
        for (int i = 0; i < params.size(); i++) {
            if (filledBy[i] < 0) {
                if (required[i]) {
                    problems.add(new Problem(-1, "missing argument '" + params.get(i) + "' in call to " + signature));
                } else {
                    defaulted[d++] = i;
                }
            }
        }
        return new Binding(slotOf, extraNames, Arrays.copyOf(defaulted, d), problems);
    }
}
