package dev.iommufdsim.repl.fuzz;

import dev.iommufdsim.kernel.uapi.Errno;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One call of a fuzz sequence: a built-in of the language (a uAPI call, a selftest op,
 * msi_request, or the context calls open and close) with every argument given by name, on
 * context {@code ctx}. Applied directly to the kernel by {@link FuzzWorld} and printed as the
 * same call in the language by {@link #toScript()}, so a failing sequence is a script.
 */
public final class Op {
    /** A variable of the script (a declared device). */
    public record Ident(String name) {
    }

    /** A range start..last of the script. */
    public record Rng(long start, long last) {
    }

    /** A string of the script. */
    public record Str(String value) {
    }

    int ctx;
    final String call;
    final Map<String, Object> args;
    /** How the last run ended: null (success), the errno, or skipped (its context was not open). */
    Errno errno;
    boolean skipped;

    Op(int ctx, String call, Map<String, Object> args) {
        this.ctx = ctx;
        this.call = call;
        this.args = args;
    }

    static Op of(int ctx, String call, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put((String) kv[i], kv[i + 1]);
            }
        }
        return new Op(ctx, call, m);
    }

    Op copy() {
        return new Op(ctx, call, args);
    }

    public String call() {
        return call;
    }

    public int ctx() {
        return ctx;
    }

    boolean has(String name) {
        return args.containsKey(name);
    }

    long u64(String name) {
        Object v = args.get(name);
        if (!(v instanceof Long l)) {
            throw new IllegalArgumentException(call + ": no number " + name);
        }
        return l;
    }

    /** A u32 field or an object ID, as the built-ins pass it (the low 32 bits, as an int). */
    int u32(String name) {
        return (int) u64(name);
    }

    @SuppressWarnings("unchecked")
    List<Object> list(String name) {
        return (List<Object>) args.get(name);
    }

    /** The call in the language: every argument by name. */
    public String toScript() {
        StringBuilder sb = new StringBuilder(call).append('(');
        boolean first = true;
        for (Map.Entry<String, Object> e : args.entrySet()) {
            sb.append(first ? "" : ", ").append(e.getKey()).append(": ").append(format(e.getValue()));
            first = false;
        }
        return sb.append(')').toString();
    }

    static String format(Object v) {
        if (v instanceof Long n) {
            return n >= 0 && n < 0x1000 ? Long.toString(n) : "0x" + Long.toHexString(n);
        }
        if (v instanceof Ident i) {
            return i.name();
        }
        if (v instanceof Rng r) {
            return format(r.start()) + ".." + format(r.last());
        }
        if (v instanceof Str s) {
            return '"' + s.value() + '"';
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (Object o : l) {
                sb.append(sb.length() > 1 ? ", " : "").append(format(o));
            }
            return sb.append(']').toString();
        }
        throw new IllegalArgumentException("cannot format " + v);
    }

    @Override
    public String toString() {
        return "ctx" + ctx + " " + toScript() + (skipped ? " (skipped)" : errno == null ? "" : " -> " + errno);
    }
}
