package dev.iommufdsim.kernel.iopt;

import static dev.iommufdsim.kernel.iopt.Unsigned.ge;
import static dev.iommufdsim.kernel.iopt.Unsigned.gt;
import static dev.iommufdsim.kernel.iopt.Unsigned.hex;
import static dev.iommufdsim.kernel.iopt.Unsigned.le;
import static dev.iommufdsim.kernel.iopt.Unsigned.lt;

import java.util.ConcurrentModificationException;
import java.util.NoSuchElementException;

/**
 * A set of non-overlapping closed intervals {@code [start, last]} over the unsigned 64-bit
 * address space, each carrying a value: the areas (or the allowed ranges) of an IOAS.
 *
 * <p>It is a B+tree whose nodes hold primitive {@code long[]} bounds in parallel arrays (up to
 * {@value #LEAF_CAP} intervals per leaf, {@value #INNER_CAP} children per inner node), so a
 * look-up touches a handful of cache-friendly arrays instead of a chain of boxed nodes. Every
 * operation is O(log n). Each inner node also records, per child, the smallest start, the
 * largest last and the largest free gap between two consecutive intervals of that child; this
 * is what lets {@link #findFirstFit} skip whole subtrees that hold no hole big enough.
 *
 * <p>Values may be null (then use {@link #containsStart} to tell a null value from an absent
 * interval). Not thread-safe.
 *
 * @param <V> value type
 */
public final class IntervalMap<V> {
    /**
     * What {@link #findFirstFit} returns when no hole fits. It is the address
     * {@code 0xffff_ffff_ffff_ffff}, which can never be a real answer because callers search
     * below {@code 2^64 - 1 - PAGE_SIZE} (io_pagetable never allocates the last page), and
     * because an accepted start is always strictly below the hole's last address.
     */
    public static final long NO_FIT = HoleFit.NO_FIT;

    /** Intervals per leaf. 64 keeps a leaf's two bound arrays within 1 KiB. */
    static final int LEAF_CAP = 64;
    /** Children per inner node. */
    static final int INNER_CAP = 64;
    /*
     * Minimum occupancy of non-root nodes. A quarter rather than the textbook half so that an
     * insert/remove pair at a node boundary cannot make a node split and merge back every
     * time (a split leaves two halves, far above a quarter).
     */
    static final int LEAF_MIN = LEAF_CAP / 4;
    static final int INNER_MIN = INNER_CAP / 4;
    /** Height bound: with at least LEAF_MIN/INNER_MIN entries per node 2^31 intervals need ~8 levels. */
    private static final int MAX_HEIGHT = 40;

    private Node root = new Leaf();
    /** Number of inner levels above the leaves: 0 while the root is a leaf. */
    private int height;
    private int size;
    private int modCount;
    /* The path of the last descent: pathNode[d] is the inner node at depth d, pathIdx[d] the child taken. */
    private final Inner[] pathNode = new Inner[MAX_HEIGHT];
    private final int[] pathIdx = new int[MAX_HEIGHT];
    /* Scratch output of locate*(): the index inside the returned leaf. */
    private int foundIdx;
    /* findFirstFit state, reused so a search allocates nothing. */
    private final FirstFit firstFit = new FirstFit();

    // ----------------------------------------------------------------------------- nodes

    private abstract static class Node {
        /** Number of entries (intervals of a leaf, children of an inner node). */
        int n;
        /**
         * The largest gap (number of free addresses) between two consecutive intervals of this
         * subtree; 0 when there is none. Gaps before the first and after the last interval of
         * the subtree belong to the parent (they lie between siblings).
         */
        long maxGap;
    }

    private static final class Leaf extends Node {
        final long[] starts = new long[LEAF_CAP];
        final long[] lasts = new long[LEAF_CAP];
        final Object[] vals = new Object[LEAF_CAP];
        Leaf prev;
        Leaf next;
    }

    private static final class Inner extends Node {
        /** Per child: the start of its first interval (also the routing key). */
        final long[] mins = new long[INNER_CAP];
        /** Per child: the last address of its last interval. */
        final long[] maxs = new long[INNER_CAP];
        /** Per child: its maxGap, copied here so a search can prune without touching the child. */
        final long[] gaps = new long[INNER_CAP];
        final Node[] kids = new Node[INNER_CAP];
    }

    private static long minOf(Node node) {
        return node instanceof Leaf f ? f.starts[0] : ((Inner) node).mins[0];
    }

    private static long maxOf(Node node) {
        return node instanceof Leaf f ? f.lasts[f.n - 1] : ((Inner) node).maxs[node.n - 1];
    }

    /** Free addresses strictly between an interval ending at {@code last} and the next starting at {@code nextStart}. */
    private static long gap(long last, long nextStart) {
        return nextStart - last - 1;
    }

    /**
     * The new maximum of a set of gaps after some of them changed: {@code oldC} is the largest
     * of the changed gaps before, {@code newC} after (0 stands for "none"). Only when the old
     * maximum itself shrank must the node be rescanned; otherwise this is O(1), which keeps
     * insert and remove from scanning whole nodes on the way up.
     */
    private static long adjustMax(Node node, long oldC, long newC) {
        if (ge(newC, node.maxGap)) {
            return newC;
        }
        if (oldC == node.maxGap) {
            return rescan(node);
        }
        return node.maxGap;
    }

    private static long rescan(Node node) {
        long m = 0;
        if (node instanceof Leaf f) {
            for (int k = 0; k + 1 < f.n; k++) {
                long g = gap(f.lasts[k], f.starts[k + 1]);
                if (gt(g, m)) {
                    m = g;
                }
            }
        } else {
            Inner in = (Inner) node;
            for (int i = 0; i < in.n; i++) {
                if (gt(in.gaps[i], m)) {
                    m = in.gaps[i];
                }
                if (i + 1 < in.n) {
                    long g = gap(in.maxs[i], in.mins[i + 1]);
                    if (gt(g, m)) {
                        m = g;
                    }
                }
            }
        }
        return m;
    }

    /** Copies the summary of {@code child} into entry {@code i} of {@code p}, without touching p.maxGap. */
    private static void setEntry(Inner p, int i, Node child) {
        p.kids[i] = child;
        p.mins[i] = minOf(child);
        p.maxs[i] = maxOf(child);
        p.gaps[i] = child.maxGap;
    }

    // ----------------------------------------------------------------------------- queries

    /** Number of intervals. */
    public int size() {
        return size;
    }

    /** True when there is no interval. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** Removes every interval. */
    public void clear() {
        root = new Leaf();
        height = 0;
        size = 0;
        modCount++;
    }

    /** The leaf that holds the floor of {@code key} (largest start {@code <= key}) if any; records nothing. */
    private Leaf findLeaf(long key) {
        Node node = root;
        for (int d = 0; d < height; d++) {
            Inner in = (Inner) node;
            int i = Unsigned.floor(in.mins, in.n, key);
            node = in.kids[i < 0 ? 0 : i];
        }
        return (Leaf) node;
    }

    /** Like {@link #findLeaf} but records the path for a following insert or remove. */
    private Leaf descend(long key) {
        Node node = root;
        for (int d = 0; d < height; d++) {
            Inner in = (Inner) node;
            int i = Unsigned.floor(in.mins, in.n, key);
            if (i < 0) {
                i = 0; // key below every start: only possible along the leftmost path
            }
            pathNode[d] = in;
            pathIdx[d] = i;
            node = in.kids[i];
        }
        return (Leaf) node;
    }

    private Leaf leftmostLeaf() {
        Node node = root;
        for (int d = 0; d < height; d++) {
            node = ((Inner) node).kids[0];
        }
        return (Leaf) node;
    }

    /**
     * True when some interval shares at least one address with {@code [start, last]}.
     *
     * @throws IllegalArgumentException if {@code start > last} (unsigned)
     */
    public boolean intersects(long start, long last) {
        requireRange(start, last);
        if (size == 0) {
            return false;
        }
        // Starts and lasts are both ascending, so the interval with the largest start <= last
        // is also the one reaching furthest among those that start early enough.
        Leaf f = findLeaf(last);
        int j = Unsigned.floor(f.starts, f.n, last);
        return j >= 0 && le(start, f.lasts[j]);
    }

    /** True when an interval starts exactly at {@code start}. */
    public boolean containsStart(long start) {
        if (size == 0) {
            return false;
        }
        Leaf f = findLeaf(start);
        int j = Unsigned.floor(f.starts, f.n, start);
        return j >= 0 && f.starts[j] == start;
    }

    /** The value of the interval starting exactly at {@code start}, or null if there is none. */
    @SuppressWarnings("unchecked")
    public V get(long start) {
        if (size == 0) {
            return null;
        }
        Leaf f = findLeaf(start);
        int j = Unsigned.floor(f.starts, f.n, start);
        return j >= 0 && f.starts[j] == start ? (V) f.vals[j] : null;
    }

    /** The interval containing address {@code point}, or null if none does. Allocates the result. */
    @SuppressWarnings("unchecked")
    public Interval<V> containing(long point) {
        Leaf f = locateContaining(point);
        return f == null ? null : new Interval<>(f.starts[foundIdx], f.lasts[foundIdx], (V) f.vals[foundIdx]);
    }

    /**
     * The interval with the lowest start among those intersecting {@code [start, last]}, or
     * null if none does. Allocates the result; see {@link Cursor#seekFirstIntersecting} for an
     * allocation-free variant.
     *
     * @throws IllegalArgumentException if {@code start > last} (unsigned)
     */
    @SuppressWarnings("unchecked")
    public Interval<V> firstIntersecting(long start, long last) {
        requireRange(start, last);
        Leaf f = locateFirstIntersecting(start, last);
        return f == null ? null : new Interval<>(f.starts[foundIdx], f.lasts[foundIdx], (V) f.vals[foundIdx]);
    }

    /** The lowest interval, or null when empty. */
    @SuppressWarnings("unchecked")
    public Interval<V> first() {
        if (size == 0) {
            return null;
        }
        Leaf f = leftmostLeaf();
        return new Interval<>(f.starts[0], f.lasts[0], (V) f.vals[0]);
    }

    /** The highest interval, or null when empty. */
    @SuppressWarnings("unchecked")
    public Interval<V> last() {
        if (size == 0) {
            return null;
        }
        Leaf f = findLeaf(Unsigned.MAX);
        int k = f.n - 1;
        return new Interval<>(f.starts[k], f.lasts[k], (V) f.vals[k]);
    }

    private Leaf locateContaining(long point) {
        if (size == 0) {
            return null;
        }
        Leaf f = findLeaf(point);
        int j = Unsigned.floor(f.starts, f.n, point);
        if (j >= 0 && le(point, f.lasts[j])) {
            foundIdx = j;
            return f;
        }
        return null;
    }

    /** Leaf and (in foundIdx) index of the first interval intersecting [start, last], or null. */
    private Leaf locateFirstIntersecting(long start, long last) {
        if (size == 0) {
            return null;
        }
        Leaf f = findLeaf(start);
        int j = Unsigned.floor(f.starts, f.n, start);
        if (j >= 0 && le(start, f.lasts[j])) {
            foundIdx = j; // the floor of start reaches into the range
            return f;
        }
        // Otherwise the candidate is the first interval starting after start.
        j++;
        if (j >= f.n) {
            f = f.next;
            j = 0;
            if (f == null) {
                return null;
            }
        }
        if (le(f.starts[j], last)) {
            foundIdx = j;
            return f;
        }
        return null;
    }

    /** Leaf and (in foundIdx) index of the first interval with start >= key, or null. */
    private Leaf locateCeiling(long key) {
        if (size == 0) {
            return null;
        }
        Leaf f = findLeaf(key);
        int j = Unsigned.floor(f.starts, f.n, key);
        if (j < 0 || f.starts[j] != key) {
            j++;
        }
        if (j >= f.n) {
            f = f.next;
            j = 0;
        }
        foundIdx = j;
        return f;
    }

    /**
     * Calls {@code visitor} for every interval intersecting {@code [start, last]}, in ascending
     * order, until it returns false. Allocates nothing. The map must not be modified during
     * the visit: collect what to remove, then remove it (or use a {@link Cursor}).
     *
     * @return the number of intervals visited
     * @throws IllegalArgumentException        if {@code start > last} (unsigned)
     * @throws ConcurrentModificationException if the visitor modified the map
     */
    @SuppressWarnings("unchecked")
    public int forEachIntersecting(long start, long last, IntervalVisitor<? super V> visitor) {
        requireRange(start, last);
        Leaf f = locateFirstIntersecting(start, last);
        int k = foundIdx;
        int expected = modCount;
        int count = 0;
        while (f != null) {
            for (; k < f.n; k++) {
                if (gt(f.starts[k], last)) {
                    return count;
                }
                count++;
                boolean more = visitor.visit(f.starts[k], f.lasts[k], (V) f.vals[k]);
                if (modCount != expected) {
                    throw new ConcurrentModificationException("IntervalMap modified during a visit");
                }
                if (!more) {
                    return count;
                }
            }
            f = f.next;
            k = 0;
        }
        return count;
    }

    /**
     * Calls {@code visitor} for every interval in ascending order until it returns false.
     *
     * @return the number of intervals visited
     * @throws ConcurrentModificationException if the visitor modified the map
     */
    public int forEach(IntervalVisitor<? super V> visitor) {
        return size == 0 ? 0 : forEachIntersecting(0, Unsigned.MAX, visitor);
    }

    // ----------------------------------------------------------------------------- insert

    /**
     * Adds {@code [start, last]} with {@code value}, unless it would overlap an interval
     * already present, in which case nothing changes.
     *
     * @return true if added, false if it overlaps (touching, e.g. {@code last + 1 == next.start}, is fine)
     * @throws IllegalArgumentException if {@code start > last} (unsigned)
     */
    public boolean insert(long start, long last, V value) {
        requireRange(start, last);
        Leaf f = descend(start);
        int j = Unsigned.floor(f.starts, f.n, start);
        if (j >= 0 && ge(f.lasts[j], start)) {
            return false; // the predecessor reaches start (or starts there)
        }
        if (j + 1 < f.n) {
            if (le(f.starts[j + 1], last)) {
                return false;
            }
        } else if (f.next != null && le(f.next.starts[0], last)) {
            return false;
        }
        modCount++;
        size++;
        int p = j + 1;
        Node right = null;
        if (f.n == LEAF_CAP - 1) {
            Leaf r = splitLeaf(f);
            right = r;
            if (p > f.n) {
                leafInsert(r, p - f.n, start, last, value);
            } else {
                leafInsert(f, p, start, last, value);
            }
        } else {
            leafInsert(f, p, start, last, value);
        }
        fixUpAfterInsert(f, right);
        return true;
    }

    private static void leafInsert(Leaf f, int p, long start, long last, Object value) {
        int n = f.n;
        long oldC = 0;
        long newC = 0;
        if (p > 0) {
            newC = gap(f.lasts[p - 1], start);
        }
        if (p < n) {
            newC = Unsigned.max(newC, gap(last, f.starts[p]));
            if (p > 0) {
                oldC = gap(f.lasts[p - 1], f.starts[p]);
            }
            System.arraycopy(f.starts, p, f.starts, p + 1, n - p);
            System.arraycopy(f.lasts, p, f.lasts, p + 1, n - p);
            System.arraycopy(f.vals, p, f.vals, p + 1, n - p);
        }
        f.starts[p] = start;
        f.lasts[p] = last;
        f.vals[p] = value;
        f.n = n + 1;
        f.maxGap = adjustMax(f, oldC, newC);
    }

    /** Moves the upper half of a full leaf into a new right sibling and returns it. */
    private static Leaf splitLeaf(Leaf f) {
        Leaf r = new Leaf();
        int h = f.n / 2;
        int m = f.n - h;
        System.arraycopy(f.starts, h, r.starts, 0, m);
        System.arraycopy(f.lasts, h, r.lasts, 0, m);
        System.arraycopy(f.vals, h, r.vals, 0, m);
        java.util.Arrays.fill(f.vals, h, f.n, null);
        r.n = m;
        f.n = h;
        r.next = f.next;
        if (r.next != null) {
            r.next.prev = r;
        }
        r.prev = f;
        f.next = r;
        f.maxGap = rescan(f);
        r.maxGap = rescan(r);
        return r;
    }

    /**
     * Brings the ancestors of a modified leaf up to date. {@code right} is the new sibling of
     * {@code child} if it split. Stops as soon as a node's summary (min, max, maxGap) did not
     * change, since nothing above depends on anything else.
     */
    private void fixUpAfterInsert(Node child, Node right) {
        for (int d = height - 1; d >= 0; d--) {
            Inner p = pathNode[d];
            int i = pathIdx[d];
            if (right == null) {
                if (!refresh(p, i, child)) {
                    return;
                }
            } else {
                setEntry(p, i, child);
                right = innerInsert(p, i + 1, right);
            }
            child = p;
        }
        if (right != null) {
            Inner r = new Inner();
            setEntry(r, 0, child);
            setEntry(r, 1, right);
            r.n = 2;
            r.maxGap = rescan(r);
            root = r;
            height++;
        }
    }

    /**
     * Re-reads the summary of child {@code i} into {@code p} and updates p.maxGap.
     *
     * @return whether p's own summary changed
     */
    private static boolean refresh(Inner p, int i, Node child) {
        long cMin = minOf(child);
        long cMax = maxOf(child);
        long cGap = child.maxGap;
        long oMin = p.mins[i];
        long oMax = p.maxs[i];
        long oGap = p.gaps[i];
        if (cMin == oMin && cMax == oMax && cGap == oGap) {
            return false;
        }
        long pMin = p.mins[0];
        long pMax = p.maxs[p.n - 1];
        long pGap = p.maxGap;
        long oldC = oGap;
        long newC = cGap;
        if (i > 0) {
            oldC = Unsigned.max(oldC, gap(p.maxs[i - 1], oMin));
            newC = Unsigned.max(newC, gap(p.maxs[i - 1], cMin));
        }
        if (i + 1 < p.n) {
            oldC = Unsigned.max(oldC, gap(oMax, p.mins[i + 1]));
            newC = Unsigned.max(newC, gap(cMax, p.mins[i + 1]));
        }
        p.mins[i] = cMin;
        p.maxs[i] = cMax;
        p.gaps[i] = cGap;
        p.maxGap = adjustMax(p, oldC, newC);
        return p.mins[0] != pMin || p.maxs[p.n - 1] != pMax || p.maxGap != pGap;
    }

    /** Inserts {@code child} as entry q of p; splits p if full and returns the new right half, else null. */
    private static Inner innerInsert(Inner p, int q, Node child) {
        Inner r = null;
        Inner target = p;
        if (p.n == INNER_CAP) {
            r = new Inner();
            int h = p.n / 2;
            int m = p.n - h;
            System.arraycopy(p.mins, h, r.mins, 0, m);
            System.arraycopy(p.maxs, h, r.maxs, 0, m);
            System.arraycopy(p.gaps, h, r.gaps, 0, m);
            System.arraycopy(p.kids, h, r.kids, 0, m);
            java.util.Arrays.fill(p.kids, h, p.n, null);
            r.n = m;
            p.n = h;
            if (q > h) {
                target = r;
                q -= h;
            }
        }
        int n = target.n;
        System.arraycopy(target.mins, q, target.mins, q + 1, n - q);
        System.arraycopy(target.maxs, q, target.maxs, q + 1, n - q);
        System.arraycopy(target.gaps, q, target.gaps, q + 1, n - q);
        System.arraycopy(target.kids, q, target.kids, q + 1, n - q);
        setEntry(target, q, child);
        target.n = n + 1;
        // Splits of inner nodes are rare (once per ~LEAF_CAP*INNER_CAP/4 inserts): rescan.
        p.maxGap = rescan(p);
        if (r != null) {
            r.maxGap = rescan(r);
        }
        return r;
    }

    // ----------------------------------------------------------------------------- remove

    /**
     * Removes the interval that starts exactly at {@code start}.
     *
     * @return its value, or null if no interval starts there (or its value was null)
     */
    @SuppressWarnings("unchecked")
    public V remove(long start) {
        if (size == 0) {
            return null;
        }
        Leaf f = descend(start);
        int j = Unsigned.floor(f.starts, f.n, start);
        if (j < 0 || f.starts[j] != start) {
            return null;
        }
        V v = (V) f.vals[j];
        leafRemove(f, j);
        size--;
        modCount++;
        fixUpAfterRemove(f);
        return v;
    }

    private static void leafRemove(Leaf f, int p) {
        int n = f.n;
        long oldC = 0;
        long newC = 0;
        if (p > 0) {
            oldC = gap(f.lasts[p - 1], f.starts[p]);
        }
        if (p + 1 < n) {
            oldC = Unsigned.max(oldC, gap(f.lasts[p], f.starts[p + 1]));
            if (p > 0) {
                newC = gap(f.lasts[p - 1], f.starts[p + 1]);
            }
            System.arraycopy(f.starts, p + 1, f.starts, p, n - p - 1);
            System.arraycopy(f.lasts, p + 1, f.lasts, p, n - p - 1);
            System.arraycopy(f.vals, p + 1, f.vals, p, n - p - 1);
        }
        f.vals[n - 1] = null;
        f.n = n - 1;
        f.maxGap = adjustMax(f, oldC, newC);
    }

    private void fixUpAfterRemove(Node child) {
        for (int d = height - 1; d >= 0; d--) {
            Inner p = pathNode[d];
            int i = pathIdx[d];
            int min = child instanceof Leaf ? LEAF_MIN : INNER_MIN;
            if (child.n < min) {
                rebalance(p, i);
            } else if (!refresh(p, i, child)) {
                return;
            }
            child = p;
        }
        while (height > 0 && root.n == 1) {
            root = ((Inner) root).kids[0];
            height--;
        }
    }

    /** Child i of p is under-full: merge it with a sibling, or borrow from one if both are too full to merge. */
    private static void rebalance(Inner p, int i) {
        int k = i > 0 ? i - 1 : i; // the pair (k, k + 1); p has >= 2 children
        Node a = p.kids[k];
        Node b = p.kids[k + 1];
        boolean leaf = a instanceof Leaf;
        int cap = leaf ? LEAF_CAP : INNER_CAP;
        if (a.n + b.n <= cap) {
            if (leaf) {
                mergeLeaves((Leaf) a, (Leaf) b);
            } else {
                mergeInners((Inner) a, (Inner) b);
            }
            int n = p.n;
            System.arraycopy(p.mins, k + 2, p.mins, k + 1, n - k - 2);
            System.arraycopy(p.maxs, k + 2, p.maxs, k + 1, n - k - 2);
            System.arraycopy(p.gaps, k + 2, p.gaps, k + 1, n - k - 2);
            System.arraycopy(p.kids, k + 2, p.kids, k + 1, n - k - 2);
            p.kids[n - 1] = null;
            p.n = n - 1;
            setEntry(p, k, a);
        } else {
            if (leaf) {
                shareLeaves((Leaf) a, (Leaf) b);
            } else {
                shareInners((Inner) a, (Inner) b);
            }
            setEntry(p, k, a);
            setEntry(p, k + 1, b);
        }
        p.maxGap = rescan(p);
    }

    private static void mergeLeaves(Leaf a, Leaf b) {
        System.arraycopy(b.starts, 0, a.starts, a.n, b.n);
        System.arraycopy(b.lasts, 0, a.lasts, a.n, b.n);
        System.arraycopy(b.vals, 0, a.vals, a.n, b.n);
        a.n += b.n;
        a.next = b.next;
        if (a.next != null) {
            a.next.prev = a;
        }
        b.next = null;
        b.prev = null;
        a.maxGap = rescan(a);
    }

    private static void mergeInners(Inner a, Inner b) {
        System.arraycopy(b.mins, 0, a.mins, a.n, b.n);
        System.arraycopy(b.maxs, 0, a.maxs, a.n, b.n);
        System.arraycopy(b.gaps, 0, a.gaps, a.n, b.n);
        System.arraycopy(b.kids, 0, a.kids, a.n, b.n);
        a.n += b.n;
        a.maxGap = rescan(a);
    }

    /** Evens out two adjacent leaves (a before b). */
    private static void shareLeaves(Leaf a, Leaf b) {
        int total = a.n + b.n;
        int wantA = total / 2;
        if (a.n < wantA) { // move the head of b to the tail of a
            int m = wantA - a.n;
            System.arraycopy(b.starts, 0, a.starts, a.n, m);
            System.arraycopy(b.lasts, 0, a.lasts, a.n, m);
            System.arraycopy(b.vals, 0, a.vals, a.n, m);
            System.arraycopy(b.starts, m, b.starts, 0, b.n - m);
            System.arraycopy(b.lasts, m, b.lasts, 0, b.n - m);
            System.arraycopy(b.vals, m, b.vals, 0, b.n - m);
            java.util.Arrays.fill(b.vals, b.n - m, b.n, null);
            a.n += m;
            b.n -= m;
        } else if (a.n > wantA) { // move the tail of a to the head of b
            int m = a.n - wantA;
            System.arraycopy(b.starts, 0, b.starts, m, b.n);
            System.arraycopy(b.lasts, 0, b.lasts, m, b.n);
            System.arraycopy(b.vals, 0, b.vals, m, b.n);
            System.arraycopy(a.starts, wantA, b.starts, 0, m);
            System.arraycopy(a.lasts, wantA, b.lasts, 0, m);
            System.arraycopy(a.vals, wantA, b.vals, 0, m);
            java.util.Arrays.fill(a.vals, wantA, a.n, null);
            a.n -= m;
            b.n += m;
        }
        a.maxGap = rescan(a);
        b.maxGap = rescan(b);
    }

    /** Evens out two adjacent inner nodes (a before b). */
    private static void shareInners(Inner a, Inner b) {
        int total = a.n + b.n;
        int wantA = total / 2;
        if (a.n < wantA) {
            int m = wantA - a.n;
            System.arraycopy(b.mins, 0, a.mins, a.n, m);
            System.arraycopy(b.maxs, 0, a.maxs, a.n, m);
            System.arraycopy(b.gaps, 0, a.gaps, a.n, m);
            System.arraycopy(b.kids, 0, a.kids, a.n, m);
            System.arraycopy(b.mins, m, b.mins, 0, b.n - m);
            System.arraycopy(b.maxs, m, b.maxs, 0, b.n - m);
            System.arraycopy(b.gaps, m, b.gaps, 0, b.n - m);
            System.arraycopy(b.kids, m, b.kids, 0, b.n - m);
            java.util.Arrays.fill(b.kids, b.n - m, b.n, null);
            a.n += m;
            b.n -= m;
        } else if (a.n > wantA) {
            int m = a.n - wantA;
            System.arraycopy(b.mins, 0, b.mins, m, b.n);
            System.arraycopy(b.maxs, 0, b.maxs, m, b.n);
            System.arraycopy(b.gaps, 0, b.gaps, m, b.n);
            System.arraycopy(b.kids, 0, b.kids, m, b.n);
            System.arraycopy(a.mins, wantA, b.mins, 0, m);
            System.arraycopy(a.maxs, wantA, b.maxs, 0, m);
            System.arraycopy(a.gaps, wantA, b.gaps, 0, m);
            System.arraycopy(a.kids, wantA, b.kids, 0, m);
            java.util.Arrays.fill(a.kids, wantA, a.n, null);
            a.n -= m;
            b.n += m;
        }
        a.maxGap = rescan(a);
        b.maxGap = rescan(b);
    }

    // ----------------------------------------------------------------------------- holes

    /**
     * Automatic IOVA allocation: the lowest start that {@link HoleFit#check} accepts in the
     * free holes of {@code [lo, hi]} (maximal sub-ranges covered by no interval), trying the
     * holes in ascending order, each with the kernel's exact {@code __alloc_iova_check_range}
     * test. Subtrees whose largest gap is smaller than {@code max(length, 2)} are skipped
     * unvisited, so the cost is O(log n) plus the holes that are big enough but fail on
     * alignment or on the clipping to {@code [lo, hi]}.
     *
     * @param lo         first address that may be allocated
     * @param hi         last address that may be allocated; callers keep it at or below
     *                   {@code 2^64 - 1 - 4096} so that {@link #NO_FIT} is never ambiguous
     * @param length     bytes wanted, {@code >= 1}
     * @param align      alignment, a power of two {@code >= 1}
     * @param pageOffset low bits OR-ed into the aligned start
     * @return the start of the allocation, or {@link #NO_FIT}
     * @throws IllegalArgumentException if {@code length == 0} or {@code align} is not a power of two
     */
    public long findFirstFit(long lo, long hi, long length, long align, long pageOffset) {
        HoleFit.checkRequest(length, align);
        FirstFit ff = firstFit;
        ff.length = length;
        ff.align = align;
        ff.pageOffset = pageOffset;
        ff.result = NO_FIT;
        walkHoles(lo, hi, HoleFit.minHoleSize(length), ff);
        return ff.result;
    }

    /** The hole test of findFirstFit, kept as a reusable object so that a search allocates nothing. */
    private static final class FirstFit implements HoleVisitor {
        long length;
        long align;
        long pageOffset;
        long result;

        @Override
        public boolean visit(long start, long last) {
            long r = HoleFit.check(start, last, length, align, pageOffset);
            if (r == NO_FIT) {
                return true;
            }
            result = r;
            return false;
        }
    }

    /**
     * Calls {@code visitor} for the free holes of {@code [lo, hi]} — maximal sub-ranges covered
     * by no interval, clipped to {@code [lo, hi]} — that hold at least {@code minSize}
     * addresses, in ascending order, until it returns false. Smaller holes are skipped without
     * visiting the subtrees that hold them. Nothing is visited when {@code lo > hi}.
     *
     * @param minSize the smallest hole of interest, in addresses; 0 and 1 both mean "all holes"
     * @throws ConcurrentModificationException if the visitor modified the map
     */
    public void forEachHole(long lo, long hi, long minSize, HoleVisitor visitor) {
        int expected = modCount;
        HoleVisitor guarded = (s, l) -> {
            boolean more = visitor.visit(s, l);
            if (modCount != expected) {
                throw new ConcurrentModificationException("IntervalMap modified during a hole visit");
            }
            return more;
        };
        walkHoles(lo, hi, minSize, guarded);
    }

    private void walkHoles(long lo, long hi, long minSize, HoleVisitor v) {
        if (gt(lo, hi)) {
            return;
        }
        if (minSize == 0) {
            minSize = 1;
        }
        if (size == 0) {
            emit(lo, hi, lo, hi, minSize, v);
            return;
        }
        long first = minOf(root);
        if (first != 0 && !emit(0, first - 1, lo, hi, minSize, v)) {
            return;
        }
        if (!holesIn(root, height, lo, hi, minSize, v)) {
            return;
        }
        long end = maxOf(root);
        if (end != Unsigned.MAX) {
            emit(end + 1, Unsigned.MAX, lo, hi, minSize, v);
        }
    }

    /**
     * Offers hole [s, l] clipped to [lo, hi] to the visitor if the clipped hole is big enough.
     *
     * @return false to stop the walk: the visitor said so, or the hole starts beyond hi (and so
     *         does every later one)
     */
    private static boolean emit(long s, long l, long lo, long hi, long minSize, HoleVisitor v) {
        if (gt(s, hi)) {
            return false;
        }
        long cs = Unsigned.max(s, lo);
        long cl = Unsigned.min(l, hi);
        if (gt(cs, cl) || lt(cl - cs, minSize - 1)) {
            return true;
        }
        return v.visit(cs, cl);
    }

    /** Walks the holes between consecutive intervals of a subtree; false means stop. */
    private static boolean holesIn(Node node, int level, long lo, long hi, long minSize, HoleVisitor v) {
        if (level == 0) {
            Leaf f = (Leaf) node;
            // Holes before the floor of lo end below lo.
            int k = Math.max(Unsigned.floor(f.starts, f.n, lo), 0);
            for (; k + 1 < f.n; k++) {
                long s = f.lasts[k] + 1;
                if (gt(s, hi)) {
                    return false;
                }
                if (ge(gap(f.lasts[k], f.starts[k + 1]), minSize) && !emit(s, f.starts[k + 1] - 1, lo, hi, minSize, v)) {
                    return false;
                }
            }
            return true;
        }
        Inner in = (Inner) node;
        // Children before the floor of lo, and the gaps between them, lie below lo.
        int i0 = Math.max(Unsigned.floor(in.mins, in.n, lo), 0);
        for (int i = i0; i < in.n; i++) {
            if (i > i0) {
                long s = in.maxs[i - 1] + 1;
                if (gt(s, hi)) {
                    return false;
                }
                if (ge(gap(in.maxs[i - 1], in.mins[i]), minSize) && !emit(s, in.mins[i] - 1, lo, hi, minSize, v)) {
                    return false;
                }
            }
            if (gt(in.mins[i], hi)) {
                return false; // this child's holes start above its min
            }
            if (ge(in.gaps[i], minSize) && gt(in.maxs[i], lo)
                    && !holesIn(in.kids[i], level - 1, lo, hi, minSize, v)) {
                return false;
            }
        }
        return true;
    }

    // ----------------------------------------------------------------------------- cursor

    /** A new cursor over this map, not yet positioned. */
    public Cursor cursor() {
        return new Cursor();
    }

    /**
     * An allocation-free position on one interval, moving in ascending order. The current
     * interval's bounds and value are a snapshot taken when the cursor moved there. The cursor
     * survives modifications of the map: after one, {@link #next()} re-finds its place in
     * O(log n) from the current start, and {@link #remove()} removes the current interval
     * while iterating.
     */
    public final class Cursor {
        private Leaf leaf;
        private int idx;
        private int expected;
        /** True when positioned on an interval; false before any seek, after the end, and after remove(). */
        private boolean valid;
        /** True after remove(): next() goes to the interval following the removed one. */
        private boolean removed;
        private long start;
        private long last;
        private V value;

        private Cursor() {
        }

        @SuppressWarnings("unchecked")
        private boolean load(Leaf f, int k) {
            removed = false;
            if (f == null) {
                leaf = null;
                valid = false;
                return false;
            }
            leaf = f;
            idx = k;
            expected = modCount;
            start = f.starts[k];
            last = f.lasts[k];
            value = (V) f.vals[k];
            valid = true;
            return true;
        }

        /** Moves to the lowest interval; false if the map is empty. */
        public boolean first() {
            return load(size == 0 ? null : leftmostLeaf(), 0);
        }

        /** Moves to the first interval whose start is {@code >= key}; false if there is none. */
        public boolean seekCeiling(long key) {
            Leaf f = locateCeiling(key);
            return load(f, foundIdx);
        }

        /**
         * Moves to the interval with the lowest start among those intersecting
         * {@code [start, last]}; false if none does. Follow with {@link #next()} while
         * {@code start() <= last} (unsigned) to see all of them.
         */
        public boolean seekFirstIntersecting(long start, long last) {
            requireRange(start, last);
            Leaf f = locateFirstIntersecting(start, last);
            return load(f, foundIdx);
        }

        /** Moves to the interval containing {@code point}; false if none does. */
        public boolean seekContaining(long point) {
            Leaf f = locateContaining(point);
            return load(f, foundIdx);
        }

        /**
         * Moves to the next interval in ascending order (after remove(): to the one that
         * followed the removed interval).
         *
         * @return false at the end, or when the cursor was never positioned
         */
        public boolean next() {
            if (removed) {
                return seekCeiling(start);
            }
            if (!valid) {
                return false;
            }
            if (expected != modCount) {
                return start != Unsigned.MAX && seekCeiling(start + 1);
            }
            int k = idx + 1;
            Leaf f = leaf;
            if (k >= f.n) {
                f = f.next;
                k = 0;
            }
            return load(f, k);
        }

        /** True when positioned on an interval. */
        public boolean isValid() {
            return valid;
        }

        /** Start of the current interval. @throws NoSuchElementException if not positioned */
        public long start() {
            requireValid();
            return start;
        }

        /** Last address of the current interval. @throws NoSuchElementException if not positioned */
        public long last() {
            requireValid();
            return last;
        }

        /** Value of the current interval. @throws NoSuchElementException if not positioned */
        public V value() {
            requireValid();
            return value;
        }

        /**
         * Removes the current interval from the map (if it is still there). The cursor is then
         * unpositioned until {@link #next()}.
         *
         * @throws NoSuchElementException if not positioned
         */
        public void remove() {
            requireValid();
            IntervalMap.this.remove(start);
            valid = false;
            removed = true;
        }

        private void requireValid() {
            if (!valid) {
                throw new NoSuchElementException("cursor is not on an interval");
            }
        }
    }

    // ----------------------------------------------------------------------------- misc

    static void requireRange(long start, long last) {
        if (gt(start, last)) {
            throw new IllegalArgumentException("start " + hex(start) + " > last " + hex(last));
        }
    }

    /** Up to the first 16 intervals, for debugging. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("IntervalMap{size=").append(size);
        int[] shown = {0};
        forEach((s, l, v) -> {
            sb.append(shown[0] == 0 ? ": " : ", ").append('[').append(hex(s)).append(", ").append(hex(l)).append(']');
            return ++shown[0] < 16;
        });
        return sb.append(size > 16 ? ", ...}" : "}").toString();
    }

    /** Height of the tree counting the leaves (1 for a lone leaf); for tests. */
    int depth() {
        return height + 1;
    }

    /**
     * Verifies every structural invariant (ordering, non-overlap, per-child summaries and gap
     * maxima, occupancy, leaf links, size); for tests.
     *
     * @throws IllegalStateException on the first violation
     */
    void checkInvariants() {
        int[] count = {0};
        Leaf[] prevLeaf = {null};
        if (height == 0) {
            checkNode(root, 0, true, count, prevLeaf);
        } else {
            if (root.n < 2) {
                throw new IllegalStateException("inner root with " + root.n + " children");
            }
            checkNode(root, height, true, count, prevLeaf);
        }
        if (prevLeaf[0] != null && prevLeaf[0].next != null) {
            throw new IllegalStateException("last leaf has a next");
        }
        if (count[0] != size) {
            throw new IllegalStateException("size " + size + " but " + count[0] + " intervals");
        }
    }

    private void checkNode(Node node, int level, boolean isRoot, int[] count, Leaf[] prevLeaf) {
        if (level == 0) {
            if (!(node instanceof Leaf f)) {
                throw new IllegalStateException("inner node at leaf level");
            }
            if (!isRoot && f.n < LEAF_MIN) {
                throw new IllegalStateException("leaf under-full: " + f.n);
            }
            if (f.prev != prevLeaf[0] || (prevLeaf[0] != null && prevLeaf[0].next != f)) {
                throw new IllegalStateException("broken leaf links");
            }
            if (prevLeaf[0] != null && f.n > 0 && !lt(prevLeaf[0].lasts[prevLeaf[0].n - 1], f.starts[0])) {
                throw new IllegalStateException("leaves overlap or are out of order");
            }
            for (int k = 0; k < f.n; k++) {
                if (gt(f.starts[k], f.lasts[k])) {
                    throw new IllegalStateException("start > last");
                }
                if (k > 0 && !lt(f.lasts[k - 1], f.starts[k])) {
                    throw new IllegalStateException("overlap or disorder in leaf");
                }
            }
            for (int k = f.n; k < LEAF_CAP; k++) {
                if (f.vals[k] != null) {
                    throw new IllegalStateException("stale value reference");
                }
            }
            if (f.maxGap != rescan(f)) {
                throw new IllegalStateException("leaf maxGap " + f.maxGap + " != " + rescan(f));
            }
            count[0] += f.n;
            prevLeaf[0] = f;
            return;
        }
        if (!(node instanceof Inner in)) {
            throw new IllegalStateException("leaf above leaf level");
        }
        if (!isRoot && in.n < INNER_MIN) {
            throw new IllegalStateException("inner under-full: " + in.n);
        }
        for (int i = 0; i < in.n; i++) {
            Node c = in.kids[i];
            checkNode(c, level - 1, false, count, prevLeaf);
            if (in.mins[i] != minOf(c) || in.maxs[i] != maxOf(c) || in.gaps[i] != c.maxGap) {
                throw new IllegalStateException("stale child summary at " + i);
            }
        }
        for (int i = in.n; i < INNER_CAP; i++) {
            if (in.kids[i] != null) {
                throw new IllegalStateException("stale child reference");
            }
        }
        if (in.maxGap != rescan(in)) {
            throw new IllegalStateException("inner maxGap " + in.maxGap + " != " + rescan(in));
        }
    }
}
