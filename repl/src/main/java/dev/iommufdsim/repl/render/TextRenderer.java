package dev.iommufdsim.repl.render;

import dev.iommufdsim.repl.interp.Range;
import dev.iommufdsim.repl.interp.Record;
import dev.iommufdsim.repl.interp.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders values for people: scalars as the language writes them, records as indented
 * fields, and lists of records of one shape as aligned tables. Addresses (fields such as
 * iova, start, last) always print in hex.
 */
public final class TextRenderer {
    private static final Set<String> ADDRESS_FIELDS = Set.of("iova", "last", "start", "user_va", "uptr", "length", "aperture",
            "pgsize_bitmap", "iova_alignment", "out_iova_alignment", "dst_iova", "src_iova", "sw_msi_start");

    private TextRenderer() {
    }

    /** A value as one line or a block of lines (no trailing newline). */
    public static String render(Object v) {
        StringBuilder sb = new StringBuilder();
        render(sb, v, "");
        return sb.toString();
    }

    private static void render(StringBuilder sb, Object v, String indent) {
        if (v instanceof Record r) {
            renderRecord(sb, r, indent);
        } else if (v instanceof List<?> l && isTable(l)) {
            renderTable(sb, l, indent);
        } else {
            sb.append(indent).append(Values.str(v));
        }
    }

    private static void renderRecord(StringBuilder sb, Record r, String indent) {
        sb.append(indent).append(r.type() == null ? "record" : r.type());
        List<String> nested = new ArrayList<>();
        int width = 0;
        for (String name : r.fieldNames()) {
            if (!isBlock(r.field(name))) {
                width = Math.max(width, name.length());
            }
        }
        for (Map.Entry<String, Object> e : r.fields().entrySet()) {
            if (isBlock(e.getValue())) {
                nested.add(e.getKey());
                continue;
            }
            sb.append('\n').append(indent).append("  ").append(pad(e.getKey() + ":", width + 1)).append(' ')
                    .append(cell(e.getKey(), e.getValue()));
        }
        for (String name : nested) {
            List<?> l = (List<?>) r.field(name);
            sb.append('\n').append(indent).append("  ").append(name).append(" (").append(l.size()).append(')');
            if (!l.isEmpty()) {
                sb.append('\n');
                renderTable(sb, l, indent + "    ");
            }
        }
    }

    private static boolean isBlock(Object v) {
        return v instanceof List<?> l && isTable(l);
    }

    /** A non-empty list whose elements are all records with the same field names. */
    private static boolean isTable(List<?> l) {
        if (l.isEmpty() || !(l.get(0) instanceof Record first)) {
            return false;
        }
        for (Object o : l) {
            if (!(o instanceof Record r) || !r.fieldNames().equals(first.fieldNames())) {
                return false;
            }
        }
        return true;
    }

    private static void renderTable(StringBuilder sb, List<?> rows, String indent) {
        List<String> cols = ((Record) rows.get(0)).fieldNames();
        int[] w = new int[cols.size()];
        List<String[]> cells = new ArrayList<>();
        for (int c = 0; c < cols.size(); c++) {
            w[c] = cols.get(c).length();
        }
        for (Object o : rows) {
            Record r = (Record) o;
            String[] line = new String[cols.size()];
            for (int c = 0; c < cols.size(); c++) {
                line[c] = cell(cols.get(c), r.field(cols.get(c)));
                w[c] = Math.max(w[c], line[c].length());
            }
            cells.add(line);
        }
        appendRow(sb, indent, cols.toArray(new String[0]), w);
        for (String[] line : cells) {
            sb.append('\n');
            appendRow(sb, indent, line, w);
        }
    }

    private static void appendRow(StringBuilder sb, String indent, String[] cells, int[] w) {
        StringBuilder line = new StringBuilder(indent);
        for (int c = 0; c < cells.length; c++) {
            line.append(c == 0 ? "" : "  ").append(c == cells.length - 1 ? cells[c] : pad(cells[c], w[c]));
        }
        sb.append(line.toString().stripTrailing());
    }

    private static String cell(String field, Object v) {
        if (v instanceof Long n && ADDRESS_FIELDS.contains(field)) {
            return "0x" + Long.toHexString(n);
        }
        if (v instanceof Range r) {
            return "0x" + Long.toHexString(r.start()) + "..0x" + Long.toHexString(r.last());
        }
        if (v instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(o -> o instanceof String)) {
            return String.join(", ", l.stream().map(String.class::cast).toList());
        }
        return Values.str(v);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
