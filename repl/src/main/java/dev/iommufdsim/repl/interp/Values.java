package dev.iommufdsim.repl.interp;

import dev.iommufdsim.kernel.uapi.Errno;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the language's values are and how they print, compare and convert. A value is one
 * of: {@link Long} (unsigned 64-bit), {@link String}, {@link Boolean}, an immutable
 * {@link List} of values, {@link Record}, {@link Range}, {@link Errno}, {@link None}, or a
 * host object (ideally a {@link ScriptObject}). Never null.
 */
public final class Values {
    /** Numbers from here up print in hex; below, in decimal (IDs, counts, small sizes). */
    public static final long HEX_FROM = 0x1000;

    private Values() {
    }

    /**
     * A host's return value as a language value: null becomes {@link None#NONE}, Integer,
     * Short and Byte become Long, a Map becomes a {@link Record}, and lists are normalised
     * element by element. Values already in the language's types pass untouched.
     */
    public static Object normalize(Object v) {
        if (v instanceof Long || v instanceof String || v instanceof Boolean || v instanceof Record
                || v instanceof Range || v instanceof Errno || v instanceof None) {
            return v;
        } else if (v == null) {
            return None.NONE;
        } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        } else if (v instanceof Map<?, ?> m) {
            Map<String, Object> fields = new java.util.LinkedHashMap<>();
            m.forEach((k, x) -> fields.put(String.valueOf(k), normalize(x)));
            return new Record(null, fields);
        } else if (v instanceof List<?> l) {
            Object[] out = new Object[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = normalize(l.get(i));
            }
            return List.of(out);
        }
        return v;
    }

    /** A number as users read it: decimal below 0x1000, hex from there ("0x8000000"). */
    public static String number(long v) {
        return Long.compareUnsigned(v, HEX_FROM) < 0 ? Long.toString(v) : "0x" + Long.toHexString(v);
    }

    /** The value as it would be written in a script: strings quoted, numbers as {@link #number}. */
    public static String repr(Object v) {
        if (v instanceof String s) {
            return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
        }
        return str(v);
    }

    /** The value as text, strings unquoted (for string concatenation). */
    public static String str(Object v) {
        if (v instanceof Long n) {
            return number(n);
        } else if (v instanceof String s) {
            return s;
        } else if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(repr(l.get(i)));
            }
            return sb.append(']').toString();
        }
        return String.valueOf(v);
    }

    /** The type's name in messages ("number", "string", "list", ...). */
    public static String typeName(Object v) {
        if (v instanceof Long) {
            return "number";
        } else if (v instanceof String) {
            return "string";
        } else if (v instanceof Boolean) {
            return "bool";
        } else if (v instanceof List) {
            return "list";
        } else if (v instanceof Range) {
            return "range";
        } else if (v instanceof Errno) {
            return "errno";
        } else if (v instanceof None) {
            return "none";
        } else if (v instanceof ScriptObject o) {
            return o.typeName();
        }
        return v == null ? "null" : v.getClass().getSimpleName();
    }

    /** Conditions: false, 0, none, "" and [] are false; everything else is true. */
    public static boolean truthy(Object v) {
        if (v instanceof Boolean b) {
            return b;
        } else if (v instanceof Long n) {
            return n != 0;
        } else if (v instanceof None) {
            return false;
        } else if (v instanceof String s) {
            return !s.isEmpty();
        } else if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        return true;
    }

    /** {@code ==}: values of different types are never equal. */
    public static boolean equal(Object a, Object b) {
        return Objects.equals(a, b);
    }

    // ---- conversions for built-ins: a wrong type is the script's mistake (ScriptError) ----

    /** The argument as an unsigned 64-bit number. */
    public static long asLong(Object v, String what) {
        if (v instanceof Long n) {
            return n;
        }
        throw new ScriptError(what + " must be a number, got " + describe(v));
    }

    public static String asString(Object v, String what) {
        if (v instanceof String s) {
            return s;
        }
        throw new ScriptError(what + " must be a string, got " + describe(v));
    }

    public static boolean asBool(Object v, String what) {
        if (v instanceof Boolean b) {
            return b;
        }
        throw new ScriptError(what + " must be true or false, got " + describe(v));
    }

    public static List<?> asList(Object v, String what) {
        if (v instanceof List<?> l) {
            return l;
        }
        throw new ScriptError(what + " must be a list, got " + describe(v));
    }

    public static Range asRange(Object v, String what) {
        if (v instanceof Range r) {
            return r;
        }
        throw new ScriptError(what + " must be a range (start..last), got " + describe(v));
    }

    public static Record asRecord(Object v, String what) {
        if (v instanceof Record r) {
            return r;
        }
        throw new ScriptError(what + " must be a record, got " + describe(v));
    }

    /** A record's fields as a map, or an empty map for none (an optional record argument). */
    public static Map<String, Object> fieldsOf(Object v, String what) {
        return v instanceof None ? Map.of() : asRecord(v, what).fields();
    }

    /** "a string "abc"", "the number 0x1000": the type and the value, for messages. */
    public static String describe(Object v) {
        return v instanceof None ? "none" : typeName(v) + " " + repr(v);
    }
}
