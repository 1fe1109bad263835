package dev.iommufdsim.repl.render;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.interp.None;
import dev.iommufdsim.repl.interp.Range;
import dev.iommufdsim.repl.interp.Record;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders values and reports as JSON for programs: numbers as unsigned JSON numbers,
 * records as objects (with "type"), ranges as {start, last}, errnos as their names.
 */
public final class JsonRenderer {
    private static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private JsonRenderer() {
    }

    /** A value as one line of JSON. */
    public static String render(Object v) {
        return write(toJson(v));
    }

    /** Any structure of maps, lists and plain values (already converted) as one line. */
    public static String write(Object jsonTree) {
        try {
            return MAPPER.writeValueAsString(jsonTree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Script value to a plain JSON tree. */
    public static Object toJson(Object v) {
        if (v instanceof Long n) {
            return n >= 0 ? (Object) n : new BigInteger(Long.toUnsignedString(n));
        }
        if (v instanceof Record r) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (r.type() != null) {
                m.put("type", r.type());
            }
            for (Map.Entry<String, Object> e : r.fields().entrySet()) {
                m.put(e.getKey(), toJson(e.getValue()));
            }
            return m;
        }
        if (v instanceof Range r) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("start", toJson(r.start()));
            m.put("last", toJson(r.last()));
            return m;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(toJson(o));
            }
            return out;
        }
        if (v instanceof Errno e) {
            return e.name();
        }
        if (v instanceof None || v == null) {
            return null;
        }
        if (v instanceof String || v instanceof Boolean) {
            return v;
        }
        return String.valueOf(v);
    }
}
