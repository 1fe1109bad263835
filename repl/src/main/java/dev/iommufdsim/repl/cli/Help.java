package dev.iommufdsim.repl.cli;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.interp.Builtin;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Param;
import dev.iommufdsim.repl.interp.Values;
import java.util.stream.Collectors;

/** `help` and `help NAME`, generated from the same table that defines the built-ins. */
final class Help {
    private Help() {
    }

    static final String LIMITS = """
            limits [--max-steps N] [--max-depth N] [--max-length N] [--max-plugin-time SECONDS]
              Shows the limits each entry runs under, or changes them for the next entries (0: no limit).
              --max-steps: statements, loop iterations and calls, plus one per element copied when joining
                lists or strings (default 100000000)
              --max-depth: nested function calls (default 500)
              --max-length: elements of a list, characters of a string (default 10000000)
              --max-plugin-time: a driver plugin call still running after this many seconds is abandoned
                and its plugin disabled (default 5)
              The same options set them on the command line (iommufd-sim --max-steps N).""";

    static String text(BuiltinTable table, String topic) {
        if (topic.isEmpty()) {
            StringBuilder sb = new StringBuilder("Calls (help NAME for one; the language: docs/language.md):\n");
            for (Builtin.Kind kind : Builtin.Kind.values()) {
                if (table.all(kind).isEmpty()) {
                    continue;
                }
                sb.append(switch (kind) {
                    case FUNCTION -> "";
                    case IOMMU -> "\nIOMMU drivers (iommu NAME = driver(...)):\n";
                    case DEVICE -> "\nDevice kinds (device NAME = kind(...)):\n";
                });
                int w = table.all(kind).stream().mapToInt(b -> b.name().length()).max().orElse(0);
                for (Builtin b : table.all(kind)) {
                    sb.append("  ").append(b.name()).append(" ".repeat(w - b.name().length() + 2)).append(b.summary()).append('\n');
                }
            }
            sb.append("\nConsole commands: help [NAME]; limits [--max-steps N] [--max-depth N] [--max-length N]"
                    + " [--max-plugin-time SECONDS] (help limits); exit\n");
            return sb.toString().stripTrailing();
        }
        Builtin b = table.lookup(topic);
        for (Builtin.Kind kind : Builtin.Kind.values()) {
            if (b == null) {
                b = table.lookup(kind, topic); // an IOMMU driver or a device kind
            }
        }
        if (b == null && topic.equals("limits")) {
            return LIMITS;
        }
        if (b == null) {
            BuiltinTable.Constant c = table.constantInfo(topic);
            if (c != null) {
                return topic + " = " + Values.repr(c.value()) + ": " + c.description();
            }
            return "no call or constant named '" + topic + "'";
        }
        StringBuilder sb = new StringBuilder(b.signature()).append('\n').append("  ").append(b.summary()).append('\n');
        for (Param p : b.params()) {
            sb.append("  ").append(p.name()).append(p.required() ? "" : " (optional)").append(": ").append(p.description());
            if (!p.constants().isEmpty()) {
                sb.append(" [").append(String.join(", ", p.constants())).append(']');
            }
            sb.append('\n');
        }
        if (!b.errnos().isEmpty()) {
            sb.append("  errnos: ").append(b.errnos().stream().map(Errno::name).collect(Collectors.joining(", "))).append('\n');
        }
        if (!b.notes().isEmpty()) {
            sb.append(b.notes());
        }
        return sb.toString().stripTrailing();
    }
}
