package dev.iommufdsim.repl.interp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The top-level variables of an engine, kept across REPL entries. Each name gets a slot
 * once; resolved code reads and writes slots, never names. A null slot is a name some
 * resolved code refers to but that has not been assigned yet.
 */
final class Globals {
    private final Map<String, Integer> index = new HashMap<>();
    private final List<String> names = new ArrayList<>();
    /** Read directly by the nodes; replaced (grown) when new names arrive. */
    Object[] values = new Object[64];

    /** The slot of the name, allocated on first use. */
    int slot(String name) {
        Integer i = index.get(name);
        if (i != null) {
            return i;
        }
        int s = names.size();
        names.add(name);
        index.put(name, s);
        if (s == values.length) {
            values = Arrays.copyOf(values, s * 2);
        }
        return s;
    }

    /** Whether the name has a value now. */
    boolean isDefined(String name) {
        Integer i = index.get(name);
        return i != null && values[i] != null;
    }

    /** The value of the name, or null. */
    Object get(String name) {
        Integer i = index.get(name);
        return i == null ? null : values[i];
    }

    void set(String name, Object value) {
        values[slot(name)] = value;
    }

    /** The variables with values, in order of first appearance. */
    Map<String, Object> defined() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            if (values[i] != null) {
                m.put(names.get(i), values[i]);
            }
        }
        return m;
    }

    String name(int slot) {
        return names.get(slot);
    }
}
