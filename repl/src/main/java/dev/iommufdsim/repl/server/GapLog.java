package dev.iommufdsim.repl.server;

import java.util.Map;
import java.util.TreeMap;

/**
 * What programs asked for that the emulator does not serve (answered ENOTTY or EOPNOTSUPP),
 * and the emulator's own failures, counted per name: the summary `exec` prints at the end.
 */
public final class GapLog {
    private final Map<String, Integer> gaps = new TreeMap<>();
    private final Map<String, Integer> bugs = new TreeMap<>();

    synchronized void gap(String what) {
        gaps.merge(what, 1, Integer::sum);
    }

    synchronized void bug(String what) {
        bugs.merge(what, 1, Integer::sum);
    }

    /** Not-emulated calls and how often each came, in name order. */
    public synchronized Map<String, Integer> gaps() {
        return new TreeMap<>(gaps);
    }

    /** Emulator failures (exceptions other than an errno) and how often each came. */
    public synchronized Map<String, Integer> bugs() {
        return new TreeMap<>(bugs);
    }

    /** One line per kind, or "" when nothing happened. */
    public synchronized String summary() {
        StringBuilder b = new StringBuilder();
        if (!gaps.isEmpty()) {
            b.append("not emulated (answered ENOTTY/EOPNOTSUPP):");
            gaps.forEach((k, v) -> b.append(' ').append(k).append(" x").append(v));
            b.append('\n');
        }
        if (!bugs.isEmpty()) {
            b.append("emulator errors (answered EIO):");
            bugs.forEach((k, v) -> b.append(' ').append(k).append(" x").append(v));
            b.append('\n');
        }
        return b.toString();
    }
}
