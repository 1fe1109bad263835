package dev.iommufdsim.repl.interp;

import java.util.List;

/**
 * A value with named fields that scripts read with {@code value.field}. Records implement
 * it; the host may implement it on its own values (a handle on a kernel object, say), and
 * completion offers {@link #fieldNames()} after a dot.
 */
public interface ScriptObject {

    /** The type name users see in messages ("record", "iova_range", "ioas"). */
    String typeName();

    /** The field's value, or null when there is no such field. */
    Object field(String name);

    /** The field names, in display order. */
    List<String> fieldNames();
}
