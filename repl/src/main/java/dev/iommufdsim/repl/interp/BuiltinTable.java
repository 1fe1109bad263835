package dev.iommufdsim.repl.interp;

import dev.iommufdsim.kernel.uapi.Errno;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The one table of built-ins and named constants. The host fills it (uAPI calls, machine
 * declarations from plugins, flag names); the resolver checks calls against it; completion
 * and help read it. Errno names are constants from the start.
 *
 * <p>Rows registered later are seen by scripts resolved later; an already resolved script
 * keeps the rows it was resolved against.
 */
public final class BuiltinTable {

    /** A named constant: a flag, a type, an errno. */
    public record Constant(String name, Object value, String description) {
    }

    private final Map<Builtin.Kind, Map<String, Builtin>> builtins = new EnumMap<>(Builtin.Kind.class);
    private final Map<String, Constant> constants = new TreeMap<>();

    public BuiltinTable() {
        for (Builtin.Kind k : Builtin.Kind.values()) {
            builtins.put(k, new TreeMap<>());
        }
        for (Errno e : Errno.values()) {
            registerConstant(e.name(), e, e.meaning());
        }
    }

    /** Adds a built-in, replacing any of the same kind and name; returns the one replaced, or null. */
    public Builtin register(Builtin b) {
        return builtins.get(b.kind()).put(b.name(), b);
    }

    /** The ordinary call of that name, or null. */
    public Builtin lookup(String name) {
        return lookup(Builtin.Kind.FUNCTION, name);
    }

    /** The built-in of that kind and name, or null. */
    public Builtin lookup(Builtin.Kind kind, String name) {
        return builtins.get(kind).get(name);
    }

    /** Names of the ordinary calls, sorted. */
    public List<String> names() {
        return names(Builtin.Kind.FUNCTION);
    }

    /** Names of the built-ins of one kind, sorted. */
    public List<String> names(Builtin.Kind kind) {
        return new ArrayList<>(builtins.get(kind).keySet());
    }

    /** All built-ins of one kind, sorted by name. */
    public List<Builtin> all(Builtin.Kind kind) {
        return new ArrayList<>(builtins.get(kind).values());
    }

    /**
     * Adds a constant, replacing any of that name. Scripts name constants in ALL CAPS by
     * convention (a variable of the same name hides the constant).
     */
    public void registerConstant(String name, Object value, String description) {
        constants.put(name, new Constant(name, Objects.requireNonNull(value), description));
    }

    /** The constant's value, or null. */
    public Object constant(String name) {
        Constant c = constants.get(name);
        return c == null ? null : c.value();
    }

    /** The constant with its description, or null. */
    public Constant constantInfo(String name) {
        return constants.get(name);
    }

    /** All constant names, sorted. */
    public List<String> constantNames() {
        return new ArrayList<>(constants.keySet());
    }
}
