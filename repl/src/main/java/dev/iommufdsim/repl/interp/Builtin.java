package dev.iommufdsim.repl.interp;

import dev.iommufdsim.kernel.uapi.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One row of the table of built-ins: everything the resolver (names, arity), the
 * interpreter (the handler), completion (parameters, constants) and help (summary,
 * descriptions, errnos) need to know about a call. Immutable; made with {@link #builder}.
 */
public final class Builtin {

    /** What a name is called as. */
    public enum Kind {
        /** An ordinary call, {@code ioas_map(...)}. */
        FUNCTION,
        /** The driver in {@code iommu NAME = driver(...)}. */
        IOMMU,
        /** The device kind in {@code device NAME = kind(...)}. */
        DEVICE
    }

    /**
     * The handler. {@code args} has one slot per parameter, in the declared order, with
     * defaults filled in for omitted optional ones; for a built-in that
     * {@linkplain Builder#extraNamed() accepts extra named arguments}, one more slot holds
     * them as a {@link Record}. Returns the result, or null / {@link None#NONE} for nothing.
     * Throws {@link dev.iommufdsim.kernel.uapi.IommufdException} for a uAPI failure and
     * {@link ScriptError} for a bad argument.
     */
    @FunctionalInterface
    public interface Invoker {
        Object invoke(CallContext ctx, Object[] args);
    }

    private final String name;
    private final Kind kind;
    private final List<Param> params;
    private final boolean extraNamed;
    private final String summary;
    private final String notes;
    private final List<Errno> errnos;
    private final Invoker invoker;

    private Builtin(Builder b) {
        this.name = b.name;
        this.kind = b.kind;
        this.params = List.copyOf(b.params);
        this.extraNamed = b.extraNamed;
        this.summary = b.summary;
        this.notes = b.notes;
        this.errnos = List.copyOf(b.errnos);
        this.invoker = Objects.requireNonNull(b.invoker, "invoker of " + b.name);
    }

    /** Starts a built-in called {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public List<Param> params() {
        return params;
    }

    /** Whether named arguments beyond {@link #params()} are accepted (as a record in the last slot). */
    public boolean extraNamed() {
        return extraNamed;
    }

    /** One line for help. */
    public String summary() {
        return summary;
    }

    /** More lines for {@code help NAME} (a driver's instance options, ...), or "". */
    public String notes() {
        return notes;
    }

    /** The errnos this call may fail with, for help. */
    public List<Errno> errnos() {
        return errnos;
    }

    public Invoker invoker() {
        return invoker;
    }

    /** The index of the parameter of that name, or -1. */
    public int paramIndex(String paramName) {
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i).name().equals(paramName)) {
                return i;
            }
        }
        return -1;
    }

    /** "ioas_map(ioas_id, iova: 0, length, ...)": the signature, for messages and help. */
    public String signature() {
        StringBuilder sb = new StringBuilder(name).append('(');
        String sep = "";
        for (Param p : params) {
            sb.append(sep).append(p.name());
            if (!p.required()) {
                sb.append(": ").append(Values.repr(p.defaultValue()));
            }
            sep = ", ";
        }
        if (extraNamed) {
            sb.append(sep).append("name: value...");
        }
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return signature();
    }

    /** Collects a built-in's parts; only the name and the invoker are mandatory. */
    public static final class Builder {
        private final String name;
        private Kind kind = Kind.FUNCTION;
        private final List<Param> params = new ArrayList<>();
        private boolean extraNamed;
        private String summary = "";
        private String notes = "";
        private final List<Errno> errnos = new ArrayList<>();
        private Invoker invoker;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name);
        }

        public Builder kind(Kind k) {
            this.kind = k;
            return this;
        }

        public Builder param(Param p) {
            params.add(p);
            return this;
        }

        /** Shorthand for {@code param(Param.required(name, description))}. */
        public Builder required(String paramName, String description) {
            return param(Param.required(paramName, description));
        }

        /** Shorthand for {@code param(Param.optional(name, dflt, description))}. */
        public Builder optional(String paramName, Object dflt, String description) {
            return param(Param.optional(paramName, dflt, description));
        }

        /**
         * Accepts named arguments not in the parameter list, passed as a {@link Record} in
         * an extra last slot (machine declarations, whose properties the plugin defines).
         */
        public Builder extraNamed() {
            this.extraNamed = true;
            return this;
        }

        public Builder summary(String text) {
            this.summary = text;
            return this;
        }

        public Builder notes(String text) {
            this.notes = text;
            return this;
        }

        public Builder errnos(Errno... list) {
            errnos.addAll(List.of(list));
            return this;
        }

        public Builder invoker(Invoker handler) {
            this.invoker = handler;
            return this;
        }

        public Builtin build() {
            return new Builtin(this);
        }
    }
}
