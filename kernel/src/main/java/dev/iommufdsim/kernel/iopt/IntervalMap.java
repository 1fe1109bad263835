package dev.iommufdsim.kernel.iopt;

import static dev.iommufdsim.kernel.iopt.Unsigned.ge;
import static dev.iommufdsim.kernel.iopt.Unsigned.gt;
import static dev.iommufdsim.kernel.iopt.Unsigned.hex;
import static dev.iommufdsim.kernel.iopt.Unsigned.le;
import static dev.iommufdsim.kernel.iopt.Unsigned.lt;

import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.NoSuchElementException;

/**
 * A set of non-overlapping closed intervals {@code [start, last]} over the unsigned 64-bit
 * address space, each carrying a value: the areas (or the allowed ranges) of an IOAS.
 *
 * <p>It is a B+tree (up to {@value #LEAF_CAP} intervals per leaf, {@value #INNER_CAP}
 * children per inner node) stored without node objects: a node is an int id into a few
 * large primitive arrays. A leaf is one contiguous block of a {@code long[]}: a header
 * (count, largest gap, links) followed by {@code start, last, value handle} triples, the
 * handle indexing a pool of value references. Everything an operation reads or shifts in a
 * leaf is thus in one run of cache lines: with a million random intervals a leaf is never
 * cached, and a separate array per field (or a values array beside the keys) would cost a
 * miss each. An inner node's routing keys sit next to its child ids. A descent thus costs
 * about one cache miss per level instead of a chain of object dereferences. Every
 * operation is O(log n). Each inner node also records, per child, the smallest start, the
 * largest last and the largest free gap between two consecutive intervals of that child;
 * this is what lets {@link #findFirstFit} skip whole subtrees that hold no hole big enough.
 *
 * <p>Values may be null (then use {@link #containsStart} to tell a null value from an absent
 * interval). Not thread-safe.
 *
 * @param <V> value type
 */
public final class IntervalMap<V> {
    /**
     * What {@link #findFirstFit} returns when no hole fits: the address
     * {@code 0xffff_ffff_ffff_ffff}. It can never be a real answer, since an accepted start is
     * always strictly below its hole's last address; and callers search below
     * {@code 2^64 - 1 - PAGE_SIZE} anyway (io_pagetable never allocates the last page).
     */
    public static final long NO_FIT = HoleFit.NO_FIT;

    /**
     * Intervals per leaf: a leaf block is 8 + 3 * 32 longs = 832 bytes. Smaller leaves shift and
     * scan less; with a million random intervals, 32 costs less per MAP+UNMAP than 64 (and 64
     * than 128) at every size measured (bench/README.md).
     */
    static final int LEAF_CAP = 32;
    /** Children per inner node. */
    static final int INNER_CAP = 64;
    /*
     * Minimum occupancy of non-root nodes. A quarter rather than the textbook half so that an
     * insert/remove pair at a node boundary cannot make a node split and merge back every
     * time (a split leaves two halves, far above a quarter).
     */
    static final int LEAF_MIN = LEAF_CAP / 4;
    static final int INNER_MIN = INNER_CAP / 4;
    /** Height bound: with at least 16 entries per node, 2^31 intervals need ~8 levels. */
    private static final int MAX_HEIGHT = 40;
    private static final int NIL = -1;
    /* Strides of the pools. */
    /** Longs of a leaf block's header; 8 keeps the blocks at the same offset in their cache lines. */
    private static final int LH = 8;
    /** Longs per interval in a leaf block: start, last, value handle. */
    private static final int LE = 3;
    /** Longs per leaf block. */
    private static final int LS = LH + LE * LEAF_CAP;
    /* Header slots of a leaf block. */
    private static final int L_N = 0; // number of intervals
    private static final int L_GAP = 1; // largest gap between two consecutive intervals of the leaf
    private static final int L_NEXT = 2; // next leaf id or NIL
    private static final int L_PREV = 3; // previous leaf id or NIL
    private static final int IR = 2 * INNER_CAP; // inner routing: min, child id per child

    // ----------------------------------------------------------------------------- leaf pool
    /**
     * The leaf blocks. Leaf L's header is at {@code lBlk[L*LS] ..}: its count (L_N), its largest
     * gap (L_GAP: free addresses between two consecutive intervals of the leaf, 0 when there is
     * none; gaps between leaves belong to their parent) and its links (L_NEXT, L_PREV). Its
     * interval k is at {@link #entry entry(L, k)}: start, last, then the handle of its value in
     * {@link #vals}.
     */
    private long[] lBlk;
    /** Number of leaf blocks lBlk has room for. */
    private int leafCap;
    private int leafHigh;
    private int[] leafFree;
    private int leafFreeTop;

    // ----------------------------------------------------------------------------- inner pool
    /** Inner node I's child i: its smallest start at iRoute[I*IR + 2i] (the routing key), its id at +1. */
    private long[] iRoute;
    /** Inner node I's child i: its largest last at iMax[I*INNER_CAP + i]. */
    private long[] iMax;
    /** Inner node I's child i: its largest inner gap, at iGap[I*INNER_CAP + i] (copied so searches prune without visiting it). */
    private long[] iGap;
    private int[] iN;
    /** Inner node I's own largest gap: over its children's gaps and the gaps between them. */
    private long[] iNodeGap;
    private int innerHigh;
    private int[] innerFree;
    private int innerFreeTop;

    // ----------------------------------------------------------------------------- value pool
    /**
     * Values by handle. A removed interval's handle is the next one given out (a stack), so
     * the slot an insert writes is the one a recent remove cleared: still in cache, where a
     * value array laid out like the leaves would cost a miss per insert and per remove.
     */
    private Object[] vals;
    private int valHigh;
    private int[] valFree;
    private int valFreeTop;

    // ----------------------------------------------------------------------------- tree
    private int root;
    /** Number of inner levels above the leaves: 0 while the root is a leaf. Level 0 is the leaves. */
    private int height;
    private int size;
    private int modCount;
    /* The path of the last descent: pathNode[d] is the inner node at depth d, pathIdx[d] the child taken. */
    private final int[] pathNode = new int[MAX_HEIGHT];
    private final int[] pathIdx = new int[MAX_HEIGHT];
    /* The finger: see descend(). Valid while no split/merge/rebalance happened since it was taken. */
    private boolean fingerValid;
    private int fingerLeaf;
    private boolean fingerHasHi;
    /** Routing upper bound of fingerLeaf (exclusive): the smallest start of the next leaf. */
    private long fingerHi;
    /* Scratch output of locate*(): the index inside the returned leaf. */
    private int foundIdx;
    /* findFirstFit state, reused so a search allocates nothing. */
    private final FirstFit firstFit = new FirstFit();

    /** An empty map. */
    public IntervalMap() {
        reset();
    }

    private void reset() {
        int leaves = 2;
        lBlk = new long[leaves * LS];
        leafCap = leaves;
        leafFree = new int[leaves];
        leafHigh = 0;
        leafFreeTop = 0;
        int inners = 1;
        iRoute = new long[inners * IR];
        iMax = new long[inners * INNER_CAP];
        iGap = new long[inners * INNER_CAP];
        iN = new int[inners];
        iNodeGap = new long[inners];
        innerFree = new int[inners];
        innerHigh = 0;
        innerFreeTop = 0;
        vals = new Object[16];
        valFree = new int[16];
        valHigh = 0;
        valFreeTop = 0;
        root = allocLeaf();
        height = 0;
        size = 0;
        fingerValid = false;
    }

    // ----------------------------------------------------------------------------- pools

    private int allocLeaf() {
        int id;
        if (leafFreeTop > 0) {
            id = leafFree[--leafFreeTop];
        } else {
            if (leafHigh == leafCap) {
                int cap = leafCap + Math.max(4, leafCap / 2);
                lBlk = Arrays.copyOf(lBlk, cap * LS);
                leafFree = Arrays.copyOf(leafFree, cap);
                leafCap = cap;
            }
            id = leafHigh++;
        }
        int h = id * LS;
        lBlk[h + L_N] = 0;
        lBlk[h + L_GAP] = 0;
        lBlk[h + L_NEXT] = NIL;
        lBlk[h + L_PREV] = NIL;
        return id;
    }

    private void freeLeaf(int id) {
        lBlk[id * LS + L_N] = 0;
        leafFree[leafFreeTop++] = id;
    }

    /** Index in lBlk of leaf {@code leaf}'s interval {@code k} (its start; last at +1, handle at +2). */
    private static int entry(int leaf, int k) {
        return leaf * LS + LH + LE * k;
    }

    private int lN(int leaf) {
        return (int) lBlk[leaf * LS + L_N];
    }

    private void setLN(int leaf, int n) {
        lBlk[leaf * LS + L_N] = n;
    }

    private long lGap(int leaf) {
        return lBlk[leaf * LS + L_GAP];
    }

    private void setLGap(int leaf, long gap) {
        lBlk[leaf * LS + L_GAP] = gap;
    }

    private int lNext(int leaf) {
        return (int) lBlk[leaf * LS + L_NEXT];
    }

    private void setLNext(int leaf, int next) {
        lBlk[leaf * LS + L_NEXT] = next;
    }

    private int lPrev(int leaf) {
        return (int) lBlk[leaf * LS + L_PREV];
    }

    private void setLPrev(int leaf, int prev) {
        lBlk[leaf * LS + L_PREV] = prev;
    }

    /** Stores a value in the pool and returns its handle. */
    private int allocVal(Object value) {
        int h;
        if (valFreeTop > 0) {
            h = valFree[--valFreeTop];
        } else {
            if (valHigh == vals.length) {
                vals = Arrays.copyOf(vals, vals.length + (vals.length >> 1));
            }
            h = valHigh++;
        }
        vals[h] = value;
        return h;
    }

    private void freeVal(int h) {
        vals[h] = null;
        if (valFreeTop == valFree.length) { // sized by the removals outstanding, not by the pool
            valFree = Arrays.copyOf(valFree, valFree.length * 2);
        }
        valFree[valFreeTop++] = h;
    }

    /** The value of the interval at lBlk index {@code e} (as returned by {@link #entry}). */
    @SuppressWarnings("unchecked")
    private V valAt(int e) {
        return (V) vals[(int) lBlk[e + 2]];
    }

    private int allocInner() {
        int id;
        if (innerFreeTop > 0) {
            id = innerFree[--innerFreeTop];
        } else {
            if (innerHigh == iN.length) {
                int cap = iN.length + Math.max(4, iN.length / 2);
                iRoute = Arrays.copyOf(iRoute, cap * IR);
                iMax = Arrays.copyOf(iMax, cap * INNER_CAP);
                iGap = Arrays.copyOf(iGap, cap * INNER_CAP);
                iN = Arrays.copyOf(iN, cap);
                iNodeGap = Arrays.copyOf(iNodeGap, cap);
                innerFree = Arrays.copyOf(innerFree, cap);
            }
            id = innerHigh++;
        }
        iN[id] = 0;
        iNodeGap[id] = 0;
        return id;
    }

    private void freeInner(int id) {
        iN[id] = 0;
        innerFree[innerFreeTop++] = id;
    }

    // ----------------------------------------------------------------------------- summaries

    /** Free addresses strictly between an interval ending at {@code last} and the next starting at {@code nextStart}. */
    private static long gap(long last, long nextStart) {
        return nextStart - last - 1;
    }

    private long minOf(int node, int level) {
        return level == 0 ? lBlk[entry(node, 0)] : iRoute[node * IR];
    }

    private long maxOf(int node, int level) {
        return level == 0 ? lBlk[entry(node, lN(node) - 1) + 1] : iMax[node * INNER_CAP + iN[node] - 1];
    }

    private long gapOf(int node, int level) {
        return level == 0 ? lGap(node) : iNodeGap[node];
    }

    private int childOf(int p, int i) {
        return (int) iRoute[p * IR + 2 * i + 1];
    }

    /**
     * The new maximum of a set of gaps after some of them changed: {@code oldC} is the largest
     * of the changed gaps before, {@code newC} after (0 stands for "none"). Only when the old
     * maximum itself shrank must the node be rescanned; otherwise this is O(1), which keeps
     * insert and remove from scanning whole nodes.
     */
    private long adjustLeafGap(int leaf, long oldC, long newC) {
        long cur = lGap(leaf);
        if (ge(newC, cur)) {
            return newC;
        }
        return oldC == cur ? rescanLeaf(leaf) : cur;
    }

    /** As {@link #adjustLeafGap} for an inner node. */
    private long adjustInnerGap(int node, long oldC, long newC) {
        long cur = iNodeGap[node];
        if (ge(newC, cur)) {
            return newC;
        }
        return oldC == cur ? rescanInner(node) : cur;
    }

    private long rescanLeaf(int leaf) {
        long[] k = lBlk;
        int b = entry(leaf, 0);
        long m = 0;
        for (int i = 0, n = lN(leaf); i + 1 < n; i++) {
            long g = gap(k[b + LE * i + 1], k[b + LE * i + LE]);
            if (gt(g, m)) {
                m = g;
            }
        }
        return m;
    }

    private long rescanInner(int node) {
        int r = node * IR;
        int c = node * INNER_CAP;
        long m = 0;
        for (int i = 0, n = iN[node]; i < n; i++) {
            if (gt(iGap[c + i], m)) {
                m = iGap[c + i];
            }
            if (i + 1 < n) {
                long g = gap(iMax[c + i], iRoute[r + 2 * i + 2]);
                if (gt(g, m)) {
                    m = g;
                }
            }
        }
        return m;
    }

    /** Writes the summary of {@code child} (at {@code level}) as entry {@code i} of p, without touching p's own gap. */
    private void setEntry(int p, int i, int child, int level) {
        iRoute[p * IR + 2 * i] = minOf(child, level);
        iRoute[p * IR + 2 * i + 1] = child;
        iMax[p * INNER_CAP + i] = maxOf(child, level);
        iGap[p * INNER_CAP + i] = gapOf(child, level);
    }

    // ----------------------------------------------------------------------------- search

    /**
     * Largest k in [0, n) with {@code a[b + 2k] <= key} (unsigned; the keys at stride 2 from b
     * are ascending); -1 if none.
     *
     * <p>A linear scan, not a binary search: a node's keys span many cache lines, and when the
     * node is cold the independent loads of a scan are fetched in parallel, where each probe of
     * a binary search waits for the previous miss (and mispredicts half the time).
     */
    private static int floor2(long[] a, int b, int n, long key) {
        long kk = key + Long.MIN_VALUE;
        int i = 0;
        while (i < n && a[b + 2 * i] + Long.MIN_VALUE <= kk) {
            i++;
        }
        return i - 1;
    }

    /** As {@link #floor2} over the starts of a leaf's intervals: the largest k with start {@code <= key}, or -1. */
    private int floorLeaf(int leaf, long key) {
        long[] a = lBlk;
        int b = entry(leaf, 0);
        int n = (int) a[leaf * LS + L_N];
        long kk = key + Long.MIN_VALUE;
        int i = 0;
        while (i < n && a[b + LE * i] + Long.MIN_VALUE <= kk) {
            i++;
        }
        return i - 1;
    }

    /**
     * The leaf that holds the floor of {@code key} (the largest start {@code <= key}) if there
     * is one, else the leftmost leaf; records the path in pathNode/pathIdx for a following
     * insert or remove.
     *
     * <p>The last descent is kept as a finger: io_pagetable checks a range, inserts it, later
     * removes it, and each of these lands in the same leaf. If {@code key} still routes to the
     * finger's leaf, the recorded path is reused and the descent costs two comparisons. The
     * finger survives changes inside its leaf (they move no routing index) and is dropped on
     * every split, merge or rebalance.
     */
    private int descend(long key) {
        int f = fingerLeaf;
        if (fingerValid && (lPrev(f) == NIL || ge(key, lBlk[entry(f, 0)])) && (!fingerHasHi || lt(key, fingerHi))) {
            return f;
        }
        long[] route = iRoute;
        int node = root;
        boolean hasHi = false;
        long hi = 0;
        for (int d = 0; d < height; d++) {
            int r = node * IR;
            int n = iN[node];
            int i = floor2(route, r, n, key);
            if (i < 0) {
                i = 0; // key below every start: only possible along the leftmost path
            }
            if (i + 1 < n) {
                hasHi = true; // deeper levels give tighter bounds: the last one is the next leaf's min
                hi = route[r + 2 * i + 2];
            }
            pathNode[d] = node;
            pathIdx[d] = i;
            node = (int) route[r + 2 * i + 1];
        }
        fingerLeaf = node;
        fingerHasHi = hasHi;
        fingerHi = hi;
        fingerValid = true;
        return node;
    }

    private int leftmostLeaf() {
        int node = root;
        for (int d = 0; d < height; d++) {
            node = childOf(node, 0);
        }
        return node;
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

    /** Removes every interval (and gives the memory back). */
    public void clear() {
        reset();
        modCount++;
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
        int f = descend(last);
        int j = floorLeaf(f, last);
        return j >= 0 && le(start, lBlk[entry(f, j) + 1]);
    }

    /** True when an interval starts exactly at {@code start}. */
    public boolean containsStart(long start) {
        return locateExact(start) != NIL;
    }

    /** The value of the interval starting exactly at {@code start}, or null if there is none. */
    @SuppressWarnings("unchecked")
    public V get(long start) {
        int f = locateExact(start);
        return f == NIL ? null : valAt(entry(f, foundIdx));
    }

    /** The interval containing address {@code point}, or null if none does. Allocates the result. */
    public Interval<V> containing(long point) {
        return snapshot(locateContaining(point));
    }

    /**
     * The interval with the lowest start among those intersecting {@code [start, last]}, or
     * null if none does. Allocates the result; see {@link Cursor#seekFirstIntersecting} for an
     * allocation-free variant.
     *
     * @throws IllegalArgumentException if {@code start > last} (unsigned)
     */
    public Interval<V> firstIntersecting(long start, long last) {
        requireRange(start, last);
        return snapshot(locateFirstIntersecting(start, last));
    }

    /** The lowest interval, or null when empty. */
    public Interval<V> first() {
        if (size == 0) {
            return null;
        }
        foundIdx = 0;
        return snapshot(leftmostLeaf());
    }

    /** The highest interval, or null when empty. */
    public Interval<V> last() {
        if (size == 0) {
            return null;
        }
        int f = descend(Unsigned.MAX);
        foundIdx = lN(f) - 1;
        return snapshot(f);
    }

    @SuppressWarnings("unchecked")
    private Interval<V> snapshot(int leaf) {
        if (leaf == NIL) {
            return null;
        }
        int e = entry(leaf, foundIdx);
        return new Interval<>(lBlk[e], lBlk[e + 1], valAt(e));
    }

    /** Leaf and (in foundIdx) index of the interval starting exactly at start, or NIL. */
    private int locateExact(long start) {
        if (size == 0) {
            return NIL;
        }
        int f = descend(start);
        int j = floorLeaf(f, start);
        if (j >= 0 && lBlk[entry(f, j)] == start) {
            foundIdx = j;
            return f;
        }
        return NIL;
    }

    /** Leaf and (in foundIdx) index of the interval containing point, or NIL. */
    private int locateContaining(long point) {
        if (size == 0) {
            return NIL;
        }
        int f = descend(point);
        int j = floorLeaf(f, point);
        if (j >= 0 && le(point, lBlk[entry(f, j) + 1])) {
            foundIdx = j;
            return f;
        }
        return NIL;
    }

    /** Leaf and (in foundIdx) index of the first interval intersecting [start, last], or NIL. */
    private int locateFirstIntersecting(long start, long last) {
        if (size == 0) {
            return NIL;
        }
        int f = descend(start);
        int j = floorLeaf(f, start);
        if (j >= 0 && le(start, lBlk[entry(f, j) + 1])) {
            foundIdx = j; // the floor of start reaches into the range
            return f;
        }
        // Otherwise the candidate is the first interval starting after start.
        j++;
        if (j >= lN(f)) {
            f = lNext(f);
            j = 0;
            if (f == NIL) {
                return NIL;
            }
        }
        if (le(lBlk[entry(f, j)], last)) {
            foundIdx = j;
            return f;
        }
        return NIL;
    }

    /** Leaf and (in foundIdx) index of the first interval with start >= key, or NIL. */
    private int locateCeiling(long key) {
        if (size == 0) {
            return NIL;
        }
        int f = descend(key);
        int j = floorLeaf(f, key);
        if (j < 0 || lBlk[entry(f, j)] != key) {
            j++;
        }
        if (j >= lN(f)) {
            f = lNext(f);
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
    public int forEachIntersecting(long start, long last, IntervalVisitor<? super V> visitor) {
        requireRange(start, last);
        int f = locateFirstIntersecting(start, last);
        int k = foundIdx;
        int expected = modCount;
        int count = 0;
        while (f != NIL) {
            for (; k < lN(f); k++) {
                int e = entry(f, k);
                long s = lBlk[e];
                if (gt(s, last)) {
                    return count;
                }
                count++;
                boolean more = visitor.visit(s, lBlk[e + 1], valAt(e));
                if (modCount != expected) {
                    throw new ConcurrentModificationException("IntervalMap modified during a visit");
                }
                if (!more) {
                    return count;
                }
            }
            f = lNext(f);
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
        int f = descend(start);
        long[] keys = lBlk;
        int b = entry(f, 0);
        int n = lN(f);
        int j = floorLeaf(f, start);
        if (j >= 0 && ge(keys[b + LE * j + 1], start)) {
            return false; // the predecessor reaches start (or starts there)
        }
        if (j + 1 < n) {
            if (le(keys[b + LE * j + LE], last)) {
                return false;
            }
        } else {
            int next = lNext(f);
            if (next != NIL && le(keys[entry(next, 0)], last)) {
                return false;
            }
        }
        modCount++;
        size++;
        int p = j + 1;
        int right = NIL;
        if (n == LEAF_CAP) {
            fingerValid = false;
            right = splitLeaf(f);
            int h = lN(f);
            if (p > h) {
                leafInsert(right, p - h, start, last, value);
            } else {
                leafInsert(f, p, start, last, value);
            }
        } else {
            long oldGap = lGap(f);
            leafInsert(f, p, start, last, value);
            if (p > 0 && p < n && lGap(f) == oldGap) {
                return true; // min, max and gap of the leaf unchanged: the parents need not be read
            }
        }
        fixUpAfterInsert(f, right);
        return true;
    }

    private void leafInsert(int leaf, int p, long start, long last, Object value) {
        int handle = allocVal(value);
        long[] k = lBlk;
        int e = entry(leaf, p);
        int n = lN(leaf);
        long oldC = 0;
        long newC = 0;
        if (p > 0) {
            newC = gap(k[e - LE + 1], start);
        }
        if (p < n) {
            newC = Unsigned.max(newC, gap(last, k[e]));
            if (p > 0) {
                oldC = gap(k[e - LE + 1], k[e]);
            }
            System.arraycopy(k, e, k, e + LE, LE * (n - p));
        }
        k[e] = start;
        k[e + 1] = last;
        k[e + 2] = handle;
        setLN(leaf, n + 1);
        setLGap(leaf, adjustLeafGap(leaf, oldC, newC));
    }

    /** Moves the upper half of a full leaf into a new right sibling and returns its id. */
    private int splitLeaf(int f) {
        int r = allocLeaf(); // may grow the pools: index them only after this
        int n = lN(f);
        int h = n / 2;
        int m = n - h;
        System.arraycopy(lBlk, entry(f, h), lBlk, entry(r, 0), LE * m);
        setLN(r, m);
        setLN(f, h);
        int next = lNext(f);
        setLNext(r, next);
        if (next != NIL) {
            setLPrev(next, r);
        }
        setLPrev(r, f);
        setLNext(f, r);
        setLGap(f, rescanLeaf(f));
        setLGap(r, rescanLeaf(r));
        return r;
    }

    /**
     * Brings the ancestors of a modified leaf up to date. {@code right} is the new sibling of
     * {@code child} if it split, else NIL. Stops as soon as a node's summary (min, max, gap)
     * did not change, since nothing above depends on anything else.
     */
    private void fixUpAfterInsert(int child, int right) {
        int level = 0;
        for (int d = height - 1; d >= 0; d--, level++) {
            int p = pathNode[d];
            int i = pathIdx[d];
            if (right == NIL) {
                if (!refresh(p, i, child, level)) {
                    return;
                }
            } else {
                setEntry(p, i, child, level);
                right = innerInsert(p, i + 1, right, level);
            }
            child = p;
        }
        if (right != NIL) {
            int r = allocInner();
            setEntry(r, 0, child, height);
            setEntry(r, 1, right, height);
            iN[r] = 2;
            iNodeGap[r] = rescanInner(r);
            root = r;
            height++;
        }
    }

    /**
     * Re-reads the summary of child {@code i} (at {@code level}) into p and updates p's gap.
     *
     * @return whether p's own summary changed
     */
    private boolean refresh(int p, int i, int child, int level) {
        long cMin = minOf(child, level);
        long cMax = maxOf(child, level);
        long cGap = gapOf(child, level);
        int r = p * IR;
        int c = p * INNER_CAP;
        long oMin = iRoute[r + 2 * i];
        long oMax = iMax[c + i];
        long oGap = iGap[c + i];
        if (cMin == oMin && cMax == oMax && cGap == oGap) {
            return false;
        }
        int n = iN[p];
        long pMin = iRoute[r];
        long pMax = iMax[c + n - 1];
        long pGap = iNodeGap[p];
        long oldC = oGap;
        long newC = cGap;
        if (i > 0) {
            oldC = Unsigned.max(oldC, gap(iMax[c + i - 1], oMin));
            newC = Unsigned.max(newC, gap(iMax[c + i - 1], cMin));
        }
        if (i + 1 < n) {
            oldC = Unsigned.max(oldC, gap(oMax, iRoute[r + 2 * i + 2]));
            newC = Unsigned.max(newC, gap(cMax, iRoute[r + 2 * i + 2]));
        }
        iRoute[r + 2 * i] = cMin;
        iMax[c + i] = cMax;
        iGap[c + i] = cGap;
        iNodeGap[p] = adjustInnerGap(p, oldC, newC);
        return iRoute[r] != pMin || iMax[c + n - 1] != pMax || iNodeGap[p] != pGap;
    }

    /** Inserts {@code child} (at {@code level}) as entry q of p; splits p if full and returns the new right half, else NIL. */
    private int innerInsert(int p, int q, int child, int level) {
        int right = NIL;
        int target = p;
        if (iN[p] == INNER_CAP) {
            right = allocInner(); // may grow the pools
            int n = iN[p];
            int h = n / 2;
            int m = n - h;
            System.arraycopy(iRoute, p * IR + 2 * h, iRoute, right * IR, 2 * m);
            System.arraycopy(iMax, p * INNER_CAP + h, iMax, right * INNER_CAP, m);
            System.arraycopy(iGap, p * INNER_CAP + h, iGap, right * INNER_CAP, m);
            iN[right] = m;
            iN[p] = h;
            if (q > h) {
                target = right;
                q -= h;
            }
        }
        int n = iN[target];
        int r = target * IR;
        int c = target * INNER_CAP;
        System.arraycopy(iRoute, r + 2 * q, iRoute, r + 2 * q + 2, 2 * (n - q));
        System.arraycopy(iMax, c + q, iMax, c + q + 1, n - q);
        System.arraycopy(iGap, c + q, iGap, c + q + 1, n - q);
        setEntry(target, q, child, level);
        iN[target] = n + 1;
        // Splits of inner nodes are rare (about once per LEAF_CAP * INNER_CAP / 4 inserts): rescan.
        iNodeGap[p] = rescanInner(p);
        if (right != NIL) {
            iNodeGap[right] = rescanInner(right);
        }
        return right;
    }

    // ----------------------------------------------------------------------------- remove

    /**
     * Removes the interval that starts exactly at {@code start}.
     *
     * @return its value, or null if no interval starts there (or its value was null)
     */
    public V remove(long start) {
        int f = locateExact(start);
        if (f == NIL) {
            return null;
        }
        int j = foundIdx;
        int n = lN(f);
        long oldGap = lGap(f);
        V v = leafRemove(f, j);
        size--;
        modCount++;
        if (j > 0 && j < n - 1 && lGap(f) == oldGap && (n > LEAF_MIN || height == 0)) {
            return v; // min, max and gap of the leaf unchanged, no under-flow: the parents need not be read
        }
        fixUpAfterRemove(f);
        return v;
    }

    /** Removes interval p of the leaf and returns its value. */
    private V leafRemove(int leaf, int p) {
        long[] k = lBlk;
        int e = entry(leaf, p);
        int n = lN(leaf);
        V v = valAt(e);
        freeVal((int) k[e + 2]);
        long oldC = 0;
        long newC = 0;
        if (p > 0) {
            oldC = gap(k[e - LE + 1], k[e]);
        }
        if (p + 1 < n) {
            oldC = Unsigned.max(oldC, gap(k[e + 1], k[e + LE]));
            if (p > 0) {
                newC = gap(k[e - LE + 1], k[e + LE]);
            }
            System.arraycopy(k, e + LE, k, e, LE * (n - p - 1));
        }
        setLN(leaf, n - 1);
        setLGap(leaf, adjustLeafGap(leaf, oldC, newC));
        return v;
    }

    private void fixUpAfterRemove(int child) {
        int level = 0;
        for (int d = height - 1; d >= 0; d--, level++) {
            int p = pathNode[d];
            int i = pathIdx[d];
            boolean under = level == 0 ? lN(child) < LEAF_MIN : iN[child] < INNER_MIN;
            if (under) {
                fingerValid = false;
                rebalance(p, i, level);
            } else if (!refresh(p, i, child, level)) {
                return;
            }
            child = p;
        }
        while (height > 0 && iN[root] == 1) {
            fingerValid = false;
            int old = root;
            root = childOf(old, 0);
            freeInner(old);
            height--;
        }
    }

    /** Child i of p (at {@code level}) is under-full: merge it with a sibling, or borrow from one if both are too full to merge. */
    private void rebalance(int p, int i, int level) {
        int k = i > 0 ? i - 1 : i; // the pair (k, k + 1); p has >= 2 children
        int a = childOf(p, k);
        int b = childOf(p, k + 1);
        boolean merge = level == 0 ? lN(a) + lN(b) <= LEAF_CAP : iN[a] + iN[b] <= INNER_CAP;
        if (merge) {
            if (level == 0) {
                mergeLeaves(a, b);
            } else {
                mergeInners(a, b);
            }
            int n = iN[p];
            int r = p * IR;
            int c = p * INNER_CAP;
            System.arraycopy(iRoute, r + 2 * k + 4, iRoute, r + 2 * k + 2, 2 * (n - k - 2));
            System.arraycopy(iMax, c + k + 2, iMax, c + k + 1, n - k - 2);
            System.arraycopy(iGap, c + k + 2, iGap, c + k + 1, n - k - 2);
            iN[p] = n - 1;
            setEntry(p, k, a, level);
        } else {
            if (level == 0) {
                shareLeaves(a, b);
            } else {
                shareInners(a, b);
            }
            setEntry(p, k, a, level);
            setEntry(p, k + 1, b, level);
        }
        iNodeGap[p] = rescanInner(p);
    }

    private void mergeLeaves(int a, int b) {
        int na = lN(a);
        int nb = lN(b);
        System.arraycopy(lBlk, entry(b, 0), lBlk, entry(a, na), LE * nb);
        setLN(a, na + nb);
        int next = lNext(b);
        setLNext(a, next);
        if (next != NIL) {
            setLPrev(next, a);
        }
        setLGap(a, rescanLeaf(a));
        freeLeaf(b);
    }

    private void mergeInners(int a, int b) {
        int na = iN[a];
        int nb = iN[b];
        System.arraycopy(iRoute, b * IR, iRoute, a * IR + 2 * na, 2 * nb);
        System.arraycopy(iMax, b * INNER_CAP, iMax, a * INNER_CAP + na, nb);
        System.arraycopy(iGap, b * INNER_CAP, iGap, a * INNER_CAP + na, nb);
        iN[a] = na + nb;
        iNodeGap[a] = rescanInner(a);
        freeInner(b);
    }

    /** Evens out two adjacent leaves (a before b). */
    private void shareLeaves(int a, int b) {
        int na = lN(a);
        int nb = lN(b);
        int wantA = (na + nb) / 2;
        int ka = entry(a, 0);
        int kb = entry(b, 0);
        if (na < wantA) { // move the head of b to the tail of a
            int m = wantA - na;
            System.arraycopy(lBlk, kb, lBlk, ka + LE * na, LE * m);
            System.arraycopy(lBlk, kb + LE * m, lBlk, kb, LE * (nb - m));
            setLN(a, na + m);
            setLN(b, nb - m);
        } else if (na > wantA) { // move the tail of a to the head of b
            int m = na - wantA;
            System.arraycopy(lBlk, kb, lBlk, kb + LE * m, LE * nb);
            System.arraycopy(lBlk, ka + LE * wantA, lBlk, kb, LE * m);
            setLN(a, wantA);
            setLN(b, nb + m);
        }
        setLGap(a, rescanLeaf(a));
        setLGap(b, rescanLeaf(b));
    }

    /** Evens out two adjacent inner nodes (a before b). */
    private void shareInners(int a, int b) {
        int na = iN[a];
        int nb = iN[b];
        int wantA = (na + nb) / 2;
        int ra = a * IR;
        int rb = b * IR;
        int ca = a * INNER_CAP;
        int cb = b * INNER_CAP;
        if (na < wantA) {
            int m = wantA - na;
            System.arraycopy(iRoute, rb, iRoute, ra + 2 * na, 2 * m);
            System.arraycopy(iMax, cb, iMax, ca + na, m);
            System.arraycopy(iGap, cb, iGap, ca + na, m);
            System.arraycopy(iRoute, rb + 2 * m, iRoute, rb, 2 * (nb - m));
            System.arraycopy(iMax, cb + m, iMax, cb, nb - m);
            System.arraycopy(iGap, cb + m, iGap, cb, nb - m);
            iN[a] = na + m;
            iN[b] = nb - m;
        } else if (na > wantA) {
            int m = na - wantA;
            System.arraycopy(iRoute, rb, iRoute, rb + 2 * m, 2 * nb);
            System.arraycopy(iMax, cb, iMax, cb + m, nb);
            System.arraycopy(iGap, cb, iGap, cb + m, nb);
            System.arraycopy(iRoute, ra + 2 * wantA, iRoute, rb, 2 * m);
            System.arraycopy(iMax, ca + wantA, iMax, cb, m);
            System.arraycopy(iGap, ca + wantA, iGap, cb, m);
            iN[a] = wantA;
            iN[b] = nb + m;
        }
        iNodeGap[a] = rescanInner(a);
        iNodeGap[b] = rescanInner(b);
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
     * @param hi         last address that may be allocated (io_pagetable keeps it at or below
     *                   {@code 2^64 - 1 - 4096}; {@link #NO_FIT} is unambiguous regardless)
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
        long first = minOf(root, height);
        if (first != 0 && !emit(0, first - 1, lo, hi, minSize, v)) {
            return;
        }
        if (!holesIn(root, height, lo, hi, minSize, v)) {
            return;
        }
        long end = maxOf(root, height);
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
    private boolean holesIn(int node, int level, long lo, long hi, long minSize, HoleVisitor v) {
        if (level == 0) {
            int b = entry(node, 0);
            int n = lN(node);
            // Holes before the floor of lo end below lo.
            for (int k = Math.max(floorLeaf(node, lo), 0); k + 1 < n; k++) {
                long last = lBlk[b + LE * k + 1];
                long nextStart = lBlk[b + LE * k + LE];
                if (gt(last + 1, hi)) {
                    return false;
                }
                if (ge(gap(last, nextStart), minSize) && !emit(last + 1, nextStart - 1, lo, hi, minSize, v)) {
                    return false;
                }
            }
            return true;
        }
        int r = node * IR;
        int c = node * INNER_CAP;
        int n = iN[node];
        // Children before the floor of lo, and the gaps between them, lie below lo.
        int i0 = Math.max(floor2(iRoute, r, n, lo), 0);
        for (int i = i0; i < n; i++) {
            long min = iRoute[r + 2 * i];
            if (i > i0) {
                long prevMax = iMax[c + i - 1];
                if (gt(prevMax + 1, hi)) {
                    return false;
                }
                if (ge(gap(prevMax, min), minSize) && !emit(prevMax + 1, min - 1, lo, hi, minSize, v)) {
                    return false;
                }
            }
            if (gt(min, hi)) {
                return false; // this child's holes start above its min
            }
            if (ge(iGap[c + i], minSize) && gt(iMax[c + i], lo)
                    && !holesIn((int) iRoute[r + 2 * i + 1], level - 1, lo, hi, minSize, v)) {
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
        private int leaf = NIL;
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

        private boolean load(int f, int k) {
            removed = false;
            if (f == NIL) {
                leaf = NIL;
                valid = false;
                return false;
            }
            leaf = f;
            idx = k;
            expected = modCount;
            int e = entry(f, k);
            start = lBlk[e];
            last = lBlk[e + 1];
            value = valAt(e);
            valid = true;
            return true;
        }

        /** Moves to the lowest interval; false if the map is empty. */
        public boolean first() {
            return load(size == 0 ? NIL : leftmostLeaf(), 0);
        }

        /** Moves to the first interval whose start is {@code >= key}; false if there is none. */
        public boolean seekCeiling(long key) {
            int f = locateCeiling(key);
            return load(f, foundIdx);
        }

        /**
         * Moves to the interval with the lowest start among those intersecting
         * {@code [start, last]}; false if none does. Follow with {@link #next()} while
         * {@code start() <= last} (unsigned) to see all of them.
         *
         * @throws IllegalArgumentException if {@code start > last} (unsigned)
         */
        public boolean seekFirstIntersecting(long start, long last) {
            requireRange(start, last);
            int f = locateFirstIntersecting(start, last);
            return load(f, foundIdx);
        }

        /** Moves to the interval containing {@code point}; false if none does. */
        public boolean seekContaining(long point) {
            int f = locateContaining(point);
            return load(f, foundIdx);
        }

        /**
         * Moves to the next interval in ascending order (after {@link #remove()}: to the one
         * that followed the removed interval).
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
                if (start == Unsigned.MAX) {
                    return load(NIL, 0);
                }
                return seekCeiling(start + 1);
            }
            int k = idx + 1;
            int f = leaf;
            if (k >= lN(f)) {
                f = lNext(f);
                k = 0;
            }
            return load(f, k);
        }

        /** True when positioned on an interval. */
        public boolean isValid() {
            return valid;
        }

        /**
         * The start of the current interval.
         *
         * @throws NoSuchElementException if not positioned
         */
        public long start() {
            requireValid();
            return start;
        }

        /**
         * The last address of the current interval.
         *
         * @throws NoSuchElementException if not positioned
         */
        public long last() {
            requireValid();
            return last;
        }

        /**
         * The value of the current interval.
         *
         * @throws NoSuchElementException if not positioned
         */
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
     * maxima, occupancy, leaf links, pool accounting, size); for tests.
     *
     * @throws IllegalStateException on the first violation
     */
    void checkInvariants() {
        int[] count = {0, 0, 0}; // intervals, leaves, inner nodes
        int[] prevLeaf = {NIL};
        if (height > 0 && iN[root] < 2) {
            throw new IllegalStateException("inner root with " + iN[root] + " children");
        }
        checkNode(root, height, true, count, prevLeaf);
        if (prevLeaf[0] != NIL && lNext(prevLeaf[0]) != NIL) {
            throw new IllegalStateException("last leaf has a next");
        }
        if (count[0] != size) {
            throw new IllegalStateException("size " + size + " but " + count[0] + " intervals");
        }
        if (count[1] + leafFreeTop != leafHigh || count[2] + innerFreeTop != innerHigh) {
            throw new IllegalStateException("pool leak: leaves " + count[1] + "+" + leafFreeTop + "/" + leafHigh
                    + ", inner " + count[2] + "+" + innerFreeTop + "/" + innerHigh);
        }
        if (valHigh - valFreeTop != size) {
            throw new IllegalStateException("value pool leak: " + valHigh + " handles, " + valFreeTop + " free, size " + size);
        }
        for (int i = 0; i < valFreeTop; i++) {
            if (vals[valFree[i]] != null) {
                throw new IllegalStateException("free value handle " + valFree[i] + " still holds a value");
            }
        }
    }

    private void checkNode(int node, int level, boolean isRoot, int[] count, int[] prevLeaf) {
        if (level == 0) {
            int n = lN(node);
            int b = entry(node, 0);
            if (!isRoot && n < LEAF_MIN) {
                throw new IllegalStateException("leaf under-full: " + n);
            }
            if (lPrev(node) != prevLeaf[0] || (prevLeaf[0] != NIL && lNext(prevLeaf[0]) != node)) {
                throw new IllegalStateException("broken leaf links");
            }
            if (prevLeaf[0] != NIL && n > 0 && !lt(maxOf(prevLeaf[0], 0), lBlk[b])) {
                throw new IllegalStateException("leaves overlap or are out of order");
            }
            for (int k = 0; k < n; k++) {
                if (gt(lBlk[b + LE * k], lBlk[b + LE * k + 1])) {
                    throw new IllegalStateException("start > last");
                }
                if (k > 0 && !lt(lBlk[b + LE * k - LE + 1], lBlk[b + LE * k])) {
                    throw new IllegalStateException("overlap or disorder in leaf");
                }
                long h = lBlk[b + LE * k + 2];
                if (h < 0 || h >= valHigh) {
                    throw new IllegalStateException("value handle " + h + " out of the pool");
                }
            }
            if (lGap(node) != rescanLeaf(node)) {
                throw new IllegalStateException("leaf gap " + lGap(node) + " != " + rescanLeaf(node));
            }
            count[0] += n;
            count[1]++;
            prevLeaf[0] = node;
            return;
        }
        int n = iN[node];
        if (!isRoot && n < INNER_MIN) {
            throw new IllegalStateException("inner under-full: " + n);
        }
        count[2]++;
        for (int i = 0; i < n; i++) {
            int c = childOf(node, i);
            checkNode(c, level - 1, false, count, prevLeaf);
            if (iRoute[node * IR + 2 * i] != minOf(c, level - 1) || iMax[node * INNER_CAP + i] != maxOf(c, level - 1)
                    || iGap[node * INNER_CAP + i] != gapOf(c, level - 1)) {
                throw new IllegalStateException("stale child summary at " + i);
            }
        }
        if (iNodeGap[node] != rescanInner(node)) {
            throw new IllegalStateException("inner gap " + iNodeGap[node] + " != " + rescanInner(node));
        }
    }
}
