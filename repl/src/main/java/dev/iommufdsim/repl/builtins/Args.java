package dev.iommufdsim.repl.builtins;

import dev.iommufdsim.repl.interp.None;
import dev.iommufdsim.repl.interp.Record;
import dev.iommufdsim.repl.interp.ScriptError;
import dev.iommufdsim.repl.interp.Values;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a built-in's argument slots by parameter name and converts them to the uAPI field
 * types (u32, u64), with messages that name the argument. One {@link Layout} per built-in is
 * computed once; reading costs an array index.
 */
final class Args {
    /** Parameter name to slot, computed once per built-in. */
    static final class Layout {
        private final Map<String, Integer> index = new HashMap<>();

        Layout(List<String> names) {
            for (int i = 0; i < names.size(); i++) {
                index.put(names.get(i), i);
            }
        }

        int slot(String name) {
            Integer i = index.get(name);
            if (i == null) {
                throw new IllegalArgumentException("no parameter " + name);
            }
            return i;
        }
    }

    private final Layout layout;
    private final Object[] slots;

    Args(Layout layout, Object[] slots) {
        this.layout = layout;
        this.slots = slots;
    }

    Object raw(String name) {
        return slots[layout.slot(name)];
    }

    /** Whether the argument was given (optional parameters default to None). */
    boolean has(String name) {
        return raw(name) != None.NONE;
    }

    long u64(String name) {
        return Values.asLong(raw(name), name);
    }

    long u64(String name, long dflt) {
        return has(name) ? u64(name) : dflt;
    }

    /** A u32 field: a number that fits 32 bits unsigned. */
    int u32(String name) {
        long v = u64(name);
        if (v < 0 || v > 0xffffffffL) {
            throw new ScriptError(String.format("%s is a u32 field: 0x%x does not fit in 32 bits", name, v));
        }
        return (int) v;
    }

    int u32(String name, int dflt) {
        return has(name) ? u32(name) : dflt;
    }

    /** An object ID argument: a number, or a record with an id-like field (a result). */
    int id(String name) {
        Object v = raw(name);
        if (v instanceof Record r) {
            for (String f : List.of("id", "dev_id", "out_hwpt_id", "out_idev_id", "out_ioas_id")) {
                if (r.field(f) instanceof Long l) {
                    return (int) (long) l;
                }
            }
        }
        return u32(name);
    }

    String string(String name) {
        return Values.asString(raw(name), name);
    }

    List<?> list(String name) {
        return Values.asList(raw(name), name);
    }

    Record extra() {
        Object last = slots[slots.length - 1];
        return last instanceof Record r ? r : new Record(null, Map.of());
    }
}
