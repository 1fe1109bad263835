package dev.iommufdsim.repl.interp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable record: fields in the order they were given, and an optional type name
 * (built-ins name the uAPI struct they return, e.g. "iommu_iova_range"). Equal when the
 * type names and the field values are equal; field order does not matter for equality.
 */
public final class Record implements ScriptObject {
    private final String type;
    private final Map<String, Object> fields;

    /**
     * @param type   the type name, or null for a plain record literal
     * @param fields the fields in display order (copied)
     */
    public Record(String type, Map<String, Object> fields) {
        this.type = type;
        this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** {@code Record.of("iova", 0x1000L, "length", 4096L)}: name/value pairs. */
    public static Record of(String type, Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values must come in pairs");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], Objects.requireNonNull(namesAndValues[i + 1]));
        }
        return new Record(type, m);
    }

    /** The type name, or null. */
    public String type() {
        return type;
    }

    /** The fields, read-only, in display order. */
    public Map<String, Object> fields() {
        return fields;
    }

    @Override
    public String typeName() {
        return type == null ? "record" : type;
    }

    @Override
    public Object field(String name) {
        return fields.get(name);
    }

    @Override
    public List<String> fieldNames() {
        return new ArrayList<>(fields.keySet());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Record r && Objects.equals(type, r.type) && fields.equals(r.fields);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, fields);
    }

    /** "{start: 0x1000, last: 0x1fff}", prefixed by the type name when there is one. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(type == null ? "" : type).append('{');
        String sep = "";
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            sb.append(sep).append(e.getKey()).append(": ").append(Values.repr(e.getValue()));
            sep = ", ";
        }
        return sb.append('}').toString();
    }
}
