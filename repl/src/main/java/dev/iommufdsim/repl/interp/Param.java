package dev.iommufdsim.repl.interp;

import java.util.List;

/**
 * One parameter of a built-in, named after the uAPI struct field it fills.
 *
 * @param name         the argument name scripts write ({@code iova:})
 * @param required     whether a call must give it
 * @param defaultValue the value an optional parameter takes when omitted (never null;
 *                     {@link None#NONE} for "absent")
 * @param description  one line for help and completion
 * @param constants    constant names that make sense here (flags, types), for completion
 */
public record Param(String name, boolean required, Object defaultValue, String description, List<String> constants) {

    public Param {
        if (!required && defaultValue == null) {
            throw new IllegalArgumentException("optional parameter " + name + " needs a default (None.NONE for absent)");
        }
        constants = List.copyOf(constants);
    }

    /** A parameter every call must give. */
    public static Param required(String name, String description) {
        return new Param(name, true, None.NONE, description, List.of());
    }

    /** A parameter that takes {@code defaultValue} when omitted. */
    public static Param optional(String name, Object defaultValue, String description) {
        return new Param(name, false, defaultValue, description, List.of());
    }

    /** The same parameter, with constant names to offer when completing its value. */
    public Param withConstants(String... names) {
        return new Param(name, required, defaultValue, description, List.of(names));
    }
}
