package dev.iommufdsim.repl.interp;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The locals of one function being resolved. Flat (blocks do not open scopes): a name
 * becomes local at its first assignment, and keeps its slot to the end of the function.
 */
final class FunctionScope {
    private final Map<String, Integer> slots = new HashMap<>();
    /** Names this function has read as globals so far: assigning them later is an error. */
    final Set<String> readAsGlobal = new HashSet<>();

    /** The slot of a local, or null. */
    Integer lookup(String name) {
        return slots.get(name);
    }

    int declare(String name) {
        return slots.computeIfAbsent(name, n -> slots.size());
    }

    int size() {
        return slots.size();
    }

    Set<String> names() {
        return slots.keySet();
    }
}
