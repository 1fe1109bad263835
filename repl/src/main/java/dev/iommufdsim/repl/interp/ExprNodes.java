package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.kernel.uapi.Errno;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Leaf and structural expression nodes: constants, variables, lists, records, field and index access. */
final class ExprNodes {
    private ExprNodes() {
    }

    /** A literal or a named constant, folded at resolve time. */
    static final class Const extends Node {
        private final Object value;

        Const(SourcePos pos, Object value) {
            super(pos);
            this.value = value;
        }

        @Override
        Object eval(Frame f) {
            return value;
        }

        Object value() {
            return value;
        }
    }

    static final class LocalGet extends Node {
        private final String name;
        private final int slot;

        LocalGet(SourcePos pos, String name, int slot) {
            super(pos);
            this.name = name;
            this.slot = slot;
        }

        @Override
        Object eval(Frame f) {
            Object v = f.locals[slot];
            if (v == null) {
                throw new RuntimeError(pos, "variable '" + name + "' has no value yet");
            }
            return v;
        }
    }

    static final class GlobalGet extends Node {
        private final String name;
        private final Globals globals;
        private final int slot;

        GlobalGet(SourcePos pos, String name, Globals globals, int slot) {
            super(pos);
            this.name = name;
            this.globals = globals;
            this.slot = slot;
        }

        @Override
        Object eval(Frame f) {
            Object v = globals.values[slot];
            if (v == null) {
                throw new RuntimeError(pos, "variable '" + name + "' has no value yet");
            }
            return v;
        }
    }

    static final class ListNode extends Node {
        private final Node[] elements;

        ListNode(SourcePos pos, Node[] elements) {
            super(pos);
            this.elements = elements;
        }

        @Override
        Object eval(Frame f) {
            Object[] values = new Object[elements.length];
            for (int i = 0; i < values.length; i++) {
                values[i] = elements[i].eval(f);
            }
            return List.of(values);
        }
    }

    static final class RecordNode extends Node {
        private final String[] names;
        private final Node[] values;

        RecordNode(SourcePos pos, String[] names, Node[] values) {
            super(pos);
            this.names = names;
            this.values = values;
        }

        @Override
        Object eval(Frame f) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < names.length; i++) {
                m.put(names[i], values[i].eval(f));
            }
            return new Record(null, m);
        }
    }

    /** {@code value.name}: record fields, and a few properties of the built-in types. */
    static final class FieldNode extends Node {
        private final Node target;
        private final String name;

        FieldNode(SourcePos pos, Node target, String name) {
            super(pos);
            this.target = target;
            this.name = name;
        }

        @Override
        Object eval(Frame f) {
            Object v = target.eval(f);
            Object r = field(v, name);
            if (r == null) {
                throw new RuntimeError(pos, Values.typeName(v) + " has no field '" + name + "'"
                        + fieldList(fieldNames(v)));
            }
            return r;
        }

        private static String fieldList(List<String> names) {
            return names.isEmpty() ? "" : " (fields: " + String.join(", ", names) + ")";
        }
    }

    /** The field of a value, or null. Shared with completion, which lists {@link #fieldNames}. */
    static Object field(Object v, String name) {
        if (v instanceof ScriptObject o) {
            return o.field(name);
        } else if (v instanceof Range r) {
            return switch (name) {
                case "start" -> r.start();
                case "last" -> r.last();
                case "length" -> r.length();
                default -> null;
            };
        } else if (v instanceof List<?> l) {
            return name.equals("length") ? (Object) (long) l.size() : null;
        } else if (v instanceof String s) {
            return name.equals("length") ? (Object) (long) s.length() : null;
        } else if (v instanceof Errno e) {
            return switch (name) {
                case "name" -> e.name();
                case "number" -> (long) e.number();
                case "meaning" -> e.meaning();
                default -> null;
            };
        }
        return null;
    }

    static List<String> fieldNames(Object v) {
        if (v instanceof ScriptObject o) {
            return o.fieldNames();
        } else if (v instanceof Range) {
            return List.of("start", "last", "length");
        } else if (v instanceof List || v instanceof String) {
            return List.of("length");
        } else if (v instanceof Errno) {
            return List.of("name", "number", "meaning");
        }
        return List.of();
    }

    /** {@code list[i]}, {@code string[i]}, {@code record["field"]}. */
    static final class IndexNode extends Node {
        private final Node target;
        private final Node index;

        IndexNode(SourcePos pos, Node target, Node index) {
            super(pos);
            this.target = target;
            this.index = index;
        }

        @Override
        Object eval(Frame f) {
            Object v = target.eval(f);
            Object i = index.eval(f);
            if (v instanceof List<?> l && i instanceof Long n) {
                if (Long.compareUnsigned(n, l.size()) >= 0) {
                    throw new RuntimeError(pos, "index " + Values.number(n) + " is out of range for a list of " + l.size());
                }
                return l.get((int) (long) n);
            } else if (v instanceof String s && i instanceof Long n) {
                if (Long.compareUnsigned(n, s.length()) >= 0) {
                    throw new RuntimeError(pos, "index " + Values.number(n) + " is out of range for a string of " + s.length());
                }
                return String.valueOf(s.charAt((int) (long) n));
            } else if (v instanceof ScriptObject o && i instanceof String name) {
                Object r = o.field(name);
                if (r == null) {
                    throw new RuntimeError(pos, o.typeName() + " has no field '" + name + "'");
                }
                return r;
            }
            throw new RuntimeError(pos, "cannot index " + Values.typeName(v) + " with " + Values.typeName(i));
        }
    }
}
