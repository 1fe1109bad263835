package dev.iommufdsim.repl.replay;

import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shrinks an operation list on which the kernel and the emulator disagree to a small list that
 * still disagrees: delta debugging (Zeller's ddmin, with subsets and complements) over the op
 * lines, every candidate well formed (a kept line that names {@code $x} keeps the nearest line
 * before it that captures {@code x}; removing a capture removes the lines that then name an
 * undefined variable). Each round's candidates go to the oracle in one batch (one boot of the
 * kernel for many candidates), so the number of boots is the number of rounds.
 *
 * <p>The target is one differing output line of the original (by default the first), as its
 * class: the op and each side's status ({@code ioas_copy ok} against {@code ioas_copy err
 * EOPNOTSUPP}, see {@link #lineClass}). A candidate is interesting when one of its differing
 * line pairs has that class, so the shrink does not drift to another disagreement. The first
 * batch re-records the original (a difference that does not come back is reported as not
 * reproducible) and its prefix up to the target line (an op's output depends only on the
 * lines before it).
 */
public final class Shrinker {
    /** The kernel: the outputs of many operation lists, in order, from one batch (one boot). */
    @FunctionalInterface
    public interface Oracle {
        List<String> record(List<String> texts) throws IOException;
    }

    /**
     * What a shrink found.
     *
     * @param text        the shrunk list (the header comment, then the kept op lines)
     * @param kernel      the oracle's output for it
     * @param emulator    the emulator's output for it
     * @param reproduced  whether the original still disagreed when recorded again (else text is the original)
     * @param originalOps op lines of the original
     * @param ops         op lines of the shrunk list
     * @param rounds      oracle batches (kernel boots)
     * @param candidates  lists recorded in all
     * @param target      the class of the difference kept ("op kernel-status | op emulator-status")
     */
    public record Result(String text, String kernel, String emulator, boolean reproduced, int originalOps, int ops, int rounds,
            int candidates, String target) {
        public OutDiff diff() {
            return OutDiff.of(kernel, emulator);
        }
    }

    private static final Pattern REF = Pattern.compile("\\$([^|\\-]*)");
    private static final Set<String> MOCK_DOMAIN_OPS = Set.of("mock_domain", "mock_domain_flags");

    private final Oracle oracle;
    private final Function<String, String> emulator;
    private final int maxRounds;
    private final int maxBatch;
    private String header = "";

    private List<String> lines;
    /** Names each op line captures, and the names it refers to. */
    private List<Set<String>> defs;
    private List<Set<String>> uses;
    /** The target's class: lineClass(kernel line) + " | " + lineClass(emulator line). */
    private String targetClass;
    /** The kernel's output of every candidate recorded. */
    private final Map<BitSet, String> outputs = new LinkedHashMap<>();
    private int rounds;
    private int recorded;

    /**
     * @param oracle    the kernel (or a fake in tests)
     * @param emulator  the emulator's output of a list ({@link OpsReplay#run(String)})
     * @param maxRounds oracle batches at most (the shrink returns the best so far)
     * @param maxBatch  candidates in one batch at most
     */
    public Shrinker(Oracle oracle, Function<String, String> emulator, int maxRounds, int maxBatch) {
        this.oracle = oracle;
        this.emulator = emulator;
        this.maxRounds = maxRounds;
        this.maxBatch = Math.max(4, maxBatch);
    }

    /** Comment lines put before the kept op lines of every candidate (and the result). */
    public Shrinker header(String comment) {
        StringBuilder sb = new StringBuilder();
        for (String l : comment.split("\n")) {
            sb.append(l.startsWith("#") ? l : "# " + l).append('\n');
        }
        this.header = sb.toString();
        return this;
    }

    /** The op lines of a list: neither blank nor only a comment (as the runner tokenizes them). */
    public static List<String> opLines(String text) {
        List<String> ops = new ArrayList<>();
        for (String l : OutDiff.lines(text)) {
            if (CParse.tokens(l).length > 0) {
                ops.add(l);
            }
        }
        return ops;
    }

    private static final String NO_LINE = "(no line)";

    private static String at(List<String> l, int i) {
        return i < l.size() ? l.get(i) : NO_LINE;
    }

    /**
     * The class of an output line: its op and status without the values ("ioas_map ok",
     * "ioas_map err EINVAL", "ioas_map skipped", or the runner's stop message without its line
     * number, "(no line)" for a missing line).
     */
    public static String lineClass(String outLine) {
        if (outLine.equals(NO_LINE)) {
            return NO_LINE;
        }
        String rest = outLine.replaceFirst("^\\d+: ", "");
        String[] w = rest.split(" ");
        if (w.length > 2 && w[1].equals("err")) {
            return w[0] + " err " + w[2];
        }
        if (w.length > 1 && (w[1].equals("ok") || w[1].equals("skipped"))) {
            return w[0] + " " + w[1];
        }
        return rest;
    }

    /** Shrinks a list whose recorded kernel output (kernelOut) differs from the emulator's; the target is the first difference. */
    public Result shrink(String text, String kernelOut) throws IOException {
        return shrink(text, kernelOut, -1);
    }

    /**
     * Shrinks a list keeping the class of the difference at output line index target (0-based;
     * -1: the first differing line).
     */
    public Result shrink(String text, String kernelOut, int target) throws IOException {
        lines = opLines(text);
        int n = lines.size();
        defs = new ArrayList<>();
        uses = new ArrayList<>();
        for (String l : lines) {
            String[] t = CParse.tokens(l);
            Set<String> d = new HashSet<>();
            Set<String> u = new HashSet<>();
            int first = 0;
            if (t.length > 2 && t[1].equals("=")) {
                d.add(t[0]);
                if (MOCK_DOMAIN_OPS.contains(t[2])) {
                    d.add(t[0] + "_hwpt");
                    d.add(t[0] + "_idev");
                }
                first = 2;
            }
            for (int i = first + 1; i < t.length; i++) {
                Matcher m = REF.matcher(t[i]);
                while (m.find()) {
                    u.add(m.group(1));
                }
            }
            defs.add(d);
            uses.add(u);
        }
        List<String> kLines = OutDiff.lines(kernelOut);
        List<String> eLines = OutDiff.lines(emulator.apply(text));
        if (target < 0) {
            for (int i = 0; i < Math.max(kLines.size(), eLines.size()) && target < 0; i++) {
                if (!at(kLines, i).equals(at(eLines, i))) {
                    target = i;
                }
            }
        }
        String targetLine = "";
        if (target >= 0) {
            targetClass = lineClass(at(kLines, target)) + " | " + lineClass(at(eLines, target));
            targetLine = at(kLines, target).equals(NO_LINE) ? at(eLines, target) : at(kLines, target);
        } else {
            targetClass = null;
        }
        BitSet all = new BitSet();
        all.set(0, n);

        // Round 1: the original again (reproducible?) and its prefix up to the first difference.
        List<BitSet> first = new ArrayList<>();
        first.add(all);
        BitSet prefix = prefixUpTo(text, targetLine);
        if (prefix != null && !prefix.equals(all)) {
            first.add(prefix);
        }
        List<BitSet> hits = evaluate(first);
        if (!hits.contains(all)) {
            return new Result(text, outputs.get(all), emulator.apply(text), false, n, n, rounds, recorded, targetClass);
        }
        BitSet cur = hits.contains(prefix) ? prefix : all;

        int gran = 2;
        while (cur.cardinality() >= 2 && rounds < maxRounds) {
            int size = cur.cardinality();
            gran = Math.min(gran, size);
            // this granularity, then finer ones while the batch has room (one boot for several)
            Map<BitSet, Integer> granOf = new LinkedHashMap<>();
            Set<BitSet> subsets = new HashSet<>();
            int covered = gran;
            addCandidates(cur, gran, granOf, subsets);
            while (granOf.size() < maxBatch && covered < size) {
                covered = Math.min(size, covered * 2);
                addCandidates(cur, covered, granOf, subsets);
            }
            List<BitSet> pending = new ArrayList<>(granOf.keySet());
            List<BitSet> found = new ArrayList<>();
            for (int s = 0; s < pending.size() && found.isEmpty() && rounds < maxRounds; s += maxBatch) {
                found = evaluate(pending.subList(s, Math.min(pending.size(), s + maxBatch)));
            }
            if (found.isEmpty()) {
                if (covered >= size) {
                    break; // 1-minimal: no single line (with the lines that need it) can go
                }
                gran = Math.min(size, covered * 2);
                continue;
            }
            BitSet smallest = found.get(0);
            for (BitSet b : found) {
                if (b.cardinality() < smallest.cardinality()) {
                    smallest = b;
                }
            }
            int g = granOf.get(smallest);
            gran = subsets.contains(smallest) ? 2 : Math.max(2, g - 1);
            cur = smallest;
        }
        String txt = render(cur);
        return new Result(txt, outputs.get(cur), emulator.apply(txt), true, n, cur.cardinality(), rounds, recorded, targetClass);
    }

    /** The subsets and complements of cur's g chunks not recorded yet, in that order. */
    private void addCandidates(BitSet cur, int g, Map<BitSet, Integer> granOf, Set<BitSet> subsets) {
        List<BitSet> chunks = split(cur, g);
        List<BitSet> subs = new ArrayList<>();
        List<BitSet> comps = new ArrayList<>();
        for (BitSet c : chunks) {
            subs.add(keepClosure(c));
            BitSet rest = (BitSet) cur.clone();
            rest.andNot(c);
            comps.add(removeClosure(rest));
        }
        for (BitSet b : subs) {
            if (fresh(b, cur, granOf)) {
                granOf.put(b, g);
                subsets.add(b);
            }
        }
        for (BitSet b : comps) {
            if (fresh(b, cur, granOf)) {
                granOf.put(b, g);
            }
        }
    }

    private boolean fresh(BitSet b, BitSet cur, Map<BitSet, Integer> granOf) {
        return !b.isEmpty() && !b.equals(cur) && isSubset(b, cur) && !outputs.containsKey(b) && !granOf.containsKey(b);
    }

    /** Op lines up to the one that printed this output line (null when its line number is unknown). */
    private BitSet prefixUpTo(String text, String outLine) {
        int c = outLine.indexOf(':');
        if (c <= 0) {
            return null;
        }
        int lineno;
        try {
            lineno = Integer.parseInt(outLine.substring(0, c));
        } catch (NumberFormatException ex) {
            return null;
        }
        // the runner's line numbers count every line read; map them to op-line indexes
        List<String> all = OutDiff.lines(text);
        BitSet b = new BitSet();
        int op = 0;
        for (int i = 0; i < all.size() && i < lineno; i++) {
            if (CParse.tokens(all.get(i)).length > 0) {
                b.set(op++);
            }
        }
        return b.isEmpty() ? null : b;
    }

    private static boolean isSubset(BitSet a, BitSet b) {
        BitSet x = (BitSet) a.clone();
        x.andNot(b);
        return x.isEmpty();
    }

    /** cur's lines in g chunks of consecutive kept lines. */
    private static List<BitSet> split(BitSet cur, int g) {
        int[] idx = cur.stream().toArray();
        List<BitSet> chunks = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < g; i++) {
            int end = (int) ((long) idx.length * (i + 1) / g);
            BitSet c = new BitSet();
            for (int j = start; j < end; j++) {
                c.set(idx[j]);
            }
            if (!c.isEmpty()) {
                chunks.add(c);
            }
            start = end;
        }
        return chunks;
    }

    /** The line that captures name, nearest before line i among the kept ones (-1: none). */
    private int definer(BitSet kept, int i, String name) {
        for (int j = kept.previousSetBit(i - 1); j >= 0; j = kept.previousSetBit(j - 1)) {
            if (defs.get(j).contains(name)) {
                return j;
            }
        }
        return -1;
    }

    /** Whether the original defines name somewhere before line i (else the reference stays as it is). */
    private boolean definedInOriginal(int i, String name) {
        for (int j = i - 1; j >= 0; j--) {
            if (defs.get(j).contains(name)) {
                return true;
            }
        }
        return false;
    }

    /** kept plus, for every name a kept line uses, the nearest original line before it that captures it. */
    BitSet keepClosure(BitSet kept) {
        BitSet all = new BitSet();
        all.set(0, lines.size());
        BitSet b = (BitSet) kept.clone();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(i + 1)) {
                for (String u : uses.get(i)) {
                    if (definer(b, i, u) < 0) {
                        int j = definer(all, i, u);
                        if (j >= 0) {
                            b.set(j);
                            changed = true;
                        }
                    }
                }
            }
        }
        return b;
    }

    /** kept minus every line that names a variable no kept line before it captures (transitively). */
    BitSet removeClosure(BitSet kept) {
        BitSet b = (BitSet) kept.clone();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(i + 1)) {
                for (String u : uses.get(i)) {
                    if (definer(b, i, u) < 0 && definedInOriginal(i, u)) {
                        b.clear(i);
                        changed = true;
                        break;
                    }
                }
            }
        }
        return b;
    }

    /** The list of these op lines, after the header. */
    String render(BitSet kept) {
        StringBuilder sb = new StringBuilder(header);
        for (int i = kept.nextSetBit(0); i >= 0; i = kept.nextSetBit(i + 1)) {
            sb.append(lines.get(i)).append('\n');
        }
        return sb.toString();
    }

    /** Records the candidates in one batch; returns the interesting ones in order. */
    private List<BitSet> evaluate(List<BitSet> cands) throws IOException {
        List<String> texts = new ArrayList<>();
        for (BitSet c : cands) {
            texts.add(render(c));
        }
        rounds++;
        recorded += texts.size();
        List<String> outs = oracle.record(texts);
        if (outs.size() != texts.size()) {
            throw new IOException("the oracle answered " + outs.size() + " of " + texts.size() + " lists");
        }
        List<BitSet> hits = new ArrayList<>();
        for (int i = 0; i < cands.size(); i++) {
            outputs.put(cands.get(i), outs.get(i));
            if (interesting(outs.get(i), emulator.apply(texts.get(i)))) {
                hits.add(cands.get(i));
            }
        }
        return hits;
    }

    private boolean interesting(String kernel, String emu) {
        List<String> k = OutDiff.lines(kernel);
        List<String> e = OutDiff.lines(emu);
        boolean differs = false;
        for (int i = 0; i < Math.max(k.size(), e.size()); i++) {
            if (at(k, i).equals(at(e, i))) {
                continue;
            }
            differs = true;
            if (targetClass == null || targetClass.equals(lineClass(at(k, i)) + " | " + lineClass(at(e, i)))) {
                return true;
            }
        }
        return differs && targetClass == null;
    }
}
