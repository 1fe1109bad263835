package dev.iommufdsim.repl.builtins;

import dev.iommufdsim.repl.interp.None;
import dev.iommufdsim.repl.interp.Record;
import dev.iommufdsim.repl.interp.ScriptError;
import dev.iommufdsim.repl.interp.Values;
import java.util.List;
import java.util.Map;

/**
 * Reads a built-in's argument slots by parameter name and converts them to the uAPI field
 * types (u32, u64), with messages that name the argument. One {@link Layout} per built-in is
 * computed once; reading costs a hash probe and an array index.
 */
final class Args {
    /**
     * Parameter name to slot, computed once per built-in. Handlers pass the names as string
     * literals, the same (interned) objects the layout holds, so a lookup is one probe of a
     * small open-addressed table by the string's cached hash and a reference comparison;
     * equals() is the fallback for a name built at run time.
     */
    static final class Layout {
        private final String[] names;
        /** Open addressing, a power of two at least twice the names: the name at each index, or null. */
        private final String[] keys;
        private final int[] slots;
        private final int mask;

        Layout(List<String> names) {
            this.names = names.stream().map(String::intern).toArray(String[]::new);
            int size = Integer.highestOneBit(Math.max(1, this.names.length) * 2) << 1;
            this.keys = new String[size];
            this.slots = new int[size];
            this.mask = size - 1;
            for (int i = 0; i < this.names.length; i++) {
                int h = this.names[i].hashCode() & mask;
                while (keys[h] != null) {
                    h = (h + 1) & mask;
                }
                keys[h] = this.names[i];
                slots[h] = i;
            }
        }

        int slot(String name) {
            for (int h = name.hashCode() & mask; ; h = (h + 1) & mask) {
                String k = keys[h];
                if (k == name) {
                    return slots[h];
                }
                if (k == null) {
                    break;
                }
            }
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(name)) {
                    return i;
                }
            }
            throw new IllegalArgumentException("no parameter " + name);
        }
    }

    /** The fields of a result record that hold the object's ID, in the order they are tried. */
    private static final List<String> ID_FIELDS = List.of("id", "dev_id", "out_hwpt_id", "out_idev_id", "out_ioas_id");

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
        Object v = raw(name);
        return v == None.NONE ? dflt : Values.asLong(v, name);
    }

    /** A u32 field: a number that fits 32 bits unsigned. */
    int u32(String name) {
        return u32(raw(name), name);
    }

    int u32(String name, int dflt) {
        Object v = raw(name);
        return v == None.NONE ? dflt : u32(v, name);
    }

    private static int u32(Object value, String name) {
        long v = Values.asLong(value, name);
        if (v < 0 || v > 0xffffffffL) {
            throw new ScriptError(String.format("%s is a u32 field: 0x%x does not fit in 32 bits", name, v));
        }
        return (int) v;
    }

    /** An object ID argument: a number, or a record with an id-like field (a result). */
    int id(String name) {
        Object v = raw(name);
        if (v instanceof Record r) {
            for (String f : ID_FIELDS) {
                if (r.field(f) instanceof Long l) {
                    return (int) (long) l;
                }
            }
        }
        return u32(v, name);
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
