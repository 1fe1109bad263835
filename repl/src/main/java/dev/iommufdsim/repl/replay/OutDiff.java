package dev.iommufdsim.repl.replay;

import java.util.ArrayList;
import java.util.List;

/**
 * The comparison of a replay with the kernel's recorded {@code .ops.out}: line by line (each
 * op prints exactly one line that starts with its line number, so position is identity).
 *
 * @param agreeing lines equal in both
 * @param total    the longer of the two line counts
 * @param diffs    the differing lines as "-kernel" / "+emulator" pairs, in order
 */
public record OutDiff(int agreeing, int total, List<String> diffs) {
    /** Compares the kernel's output with the emulator's. */
    public static OutDiff of(String kernel, String emulator) {
        List<String> k = lines(kernel);
        List<String> e = lines(emulator);
        int total = Math.max(k.size(), e.size());
        int agree = 0;
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            String a = i < k.size() ? k.get(i) : null;
            String b = i < e.size() ? e.get(i) : null;
            if (a != null && a.equals(b)) {
                agree++;
                continue;
            }
            diffs.add("-" + (a == null ? "(no line)" : a));
            diffs.add("+" + (b == null ? "(no line)" : b));
        }
        return new OutDiff(agree, total, List.copyOf(diffs));
    }

    /** The lines of a text, without a trailing empty one. */
    public static List<String> lines(String s) {
        if (s.isEmpty()) {
            return List.of();
        }
        String body = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        return List.of(body.split("\n", -1));
    }

    public boolean same() {
        return diffs.isEmpty();
    }

    /** The diff lines, "-" the kernel, "+" the emulator, at most max pairs. */
    public String render(int max) {
        StringBuilder sb = new StringBuilder();
        int pairs = 0;
        for (int i = 0; i + 1 < diffs.size(); i += 2) {
            if (pairs++ == max) {
                sb.append("  ... ").append(diffs.size() / 2 - max).append(" more\n");
                break;
            }
            sb.append("  ").append(diffs.get(i)).append('\n').append("  ").append(diffs.get(i + 1)).append('\n');
        }
        return sb.toString();
    }
}
