package dev.iommufdsim.kernel.spi;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The named options of one declaration (instance options, or one record of a list such as
 * an RMR), read with their types checked: a wrong type or an unknown name is EINVAL, the
 * errno IommuDriver.probe documents for a property it rejects. Drivers share it so every
 * plugin reports a bad option the same way.
 */
public final class DriverOptions {
    private final String what;
    private final Map<String, Object> values;

    /**
     * @param what   how to name the declaration in errors ("arm_smmuv3 instance smmu0")
     * @param values the options as the script gave them
     * @param known  every name this declaration accepts
     */
    public DriverOptions(String what, Map<String, Object> values, Set<String> known) {
        this.what = what;
        this.values = values;
        for (String k : values.keySet()) {
            if (!known.contains(k)) {
                throw fail(EINVAL, "%s: unknown option '%s' (known: %s)", what, k, String.join(", ", new TreeSet<>(known)));
            }
        }
    }

    /**
     * Names with one line each, in the order given, for {@link IommuDriver#options} and
     * {@link IommuDriver#deviceProperties}: {@code described("gaw", "the MGAW ...", ...)}.
     */
    public static Map<String, String> described(String... nameThenLine) {
        if (nameThenLine.length % 2 != 0) {
            throw new IllegalArgumentException("names and lines come in pairs");
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < nameThenLine.length; i += 2) {
            out.put(nameThenLine[i], nameThenLine[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public long number(String key, long dflt) {
        Object v = values.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        throw fail(EINVAL, "%s: option '%s' must be a number, not %s", what, key, v);
    }

    public boolean bool(String key, boolean dflt) {
        Object v = values.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw fail(EINVAL, "%s: option '%s' must be true or false, not %s", what, key, v);
    }

    public String string(String key, String dflt) {
        Object v = values.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw fail(EINVAL, "%s: option '%s' must be a string, not %s", what, key, v);
    }

    /** A number or a list of numbers, as a list. */
    public List<Long> numbers(String key, List<Long> dflt) {
        Object v = values.get(key);
        if (v == null) {
            return dflt;
        }
        List<Long> out = new ArrayList<>();
        for (Object o : v instanceof List<?> l ? l : List.of(v)) {
            if (!(o instanceof Number n)) {
                throw fail(EINVAL, "%s: option '%s' must be a number or a list of numbers, not %s", what, key, v);
            }
            out.add(n.longValue());
        }
        return out;
    }

    /** A list of records (each a Map of its fields). */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> records(String key) {
        Object v = values.get(key);
        if (v == null) {
            return List.of();
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : v instanceof List<?> l ? l : List.of(v)) {
            if (!(o instanceof Map<?, ?> m)) {
                throw fail(EINVAL, "%s: option '%s' must be a list of records, not %s", what, key, v);
            }
            out.add((Map<String, Object>) m);
        }
        return out;
    }
}
