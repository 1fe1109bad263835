package dev.iommufdsim.kernel.iopt;

import static dev.iommufdsim.kernel.iopt.Unsigned.ge;
import static dev.iommufdsim.kernel.iopt.Unsigned.gt;
import static dev.iommufdsim.kernel.iopt.Unsigned.lt;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;

/**
 * Closed intervals {@code [start, last]} (unsigned) that may overlap each other, each held by
 * an owner: the reserved ranges of an IOAS, where the owner is whoever reserved the range (a
 * device's reserved regions, the IOAS itself for IOAS_ALLOW_IOVAS, ...). The same owner may
 * hold several intervals, and equal intervals may be held by different owners or twice by the
 * same one; each add is a separate interval.
 *
 * <p>An AVL tree ordered by (start, last, insertion order) whose nodes carry the largest last
 * of their subtree, so that intersection queries are O(log n); an identity map from owner to
 * its intervals makes {@link #removeOwner} O(k log n) for an owner of k intervals. Owners are
 * compared by identity ({@code ==}), never with {@code equals}. Not thread-safe.
 *
 * @param <O> owner type
 */
public final class ReservedIntervals<O> {
    private static final class Node<O> {
        final long start;
        final long last;
        final O owner;
        /** Insertion order: breaks ties so that equal intervals are distinct keys. */
        final long seq;
        Node<O> left;
        Node<O> right;
        int height = 1;
        /** Largest last address in this subtree. */
        long maxLast;

        Node(long start, long last, O owner, long seq) {
            this.start = start;
            this.last = last;
            this.owner = owner;
            this.seq = seq;
            this.maxLast = last;
        }
    }

    private Node<O> root;
    private int size;
    private long nextSeq;
    private int modCount;
    private final IdentityHashMap<O, List<Node<O>>> byOwner = new IdentityHashMap<>();

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
        root = null;
        size = 0;
        byOwner.clear();
        modCount++;
    }

    /**
     * Adds {@code [start, last]} held by {@code owner}; never fails on overlap.
     *
     * @throws IllegalArgumentException if {@code start > last} (unsigned)
     * @throws NullPointerException     if {@code owner} is null
     */
    public void add(long start, long last, O owner) {
        IntervalMap.requireRange(start, last);
        Objects.requireNonNull(owner, "owner");
        Node<O> node = new Node<>(start, last, owner, nextSeq++);
        root = insert(root, node);
        byOwner.computeIfAbsent(owner, o -> new ArrayList<>(2)).add(node);
        size++;
        modCount++;
    }

    /**
     * Removes every interval held by {@code owner} (compared with {@code ==}).
     *
     * @return how many intervals were removed
     */
    public int removeOwner(O owner) {
        List<Node<O>> nodes = byOwner.remove(owner);
        if (nodes == null) {
            return 0;
        }
        for (Node<O> node : nodes) {
            root = delete(root, node);
        }
        size -= nodes.size();
        modCount++;
        return nodes.size();
    }

    /**
     * Removes one interval equal to {@code [start, last]} held by {@code owner} (by identity),
     * the most recently added one if there are several: the undo of an {@link #add}.
     *
     * @return true if one was removed
     */
    public boolean removeOne(long start, long last, O owner) {
        List<Node<O>> nodes = byOwner.get(owner);
        if (nodes == null) {
            return false;
        }
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node<O> node = nodes.get(i);
            if (node.start == start && node.last == last) {
                nodes.remove(i);
                if (nodes.isEmpty()) {
                    byOwner.remove(owner);
                }
                root = delete(root, node);
                size--;
                modCount++;
                return true;
            }
        }
        return false;
    }

    /** True when {@code owner} (by identity) holds at least one interval. */
    public boolean hasOwner(O owner) {
        return byOwner.containsKey(owner);
    }

    /**
     * True when some interval shares at least one address with {@code [start, last]}.
     *
     * @throws IllegalArgumentException if {@code start > last} (unsigned)
     */
    public boolean intersects(long start, long last) {
        IntervalMap.requireRange(start, last);
        return first(root, start, last) != null;
    }

    /**
     * The intersecting interval with the lowest start (ties: lowest last, then the earliest
     * added), or null if no interval intersects {@code [start, last]}. O(log n).
     *
     * @throws IllegalArgumentException if {@code start > last} (unsigned)
     */
    public Interval<O> firstIntersecting(long start, long last) {
        IntervalMap.requireRange(start, last);
        Node<O> x = first(root, start, last);
        return x == null ? null : new Interval<>(x.start, x.last, x.owner);
    }

    /**
     * Calls {@code visitor} for every interval in ascending order of (start, last, insertion),
     * until it returns false.
     *
     * @return the number of intervals visited
     * @throws ConcurrentModificationException if the visitor modified this set
     */
    public int forEach(IntervalVisitor<? super O> visitor) {
        return forEachIntersecting(0, Unsigned.MAX, visitor);
    }

    /**
     * Calls {@code visitor} for every interval intersecting {@code [start, last]}, in the order
     * of {@link #forEach}, until it returns false. Subtrees ending below {@code start} are
     * skipped.
     *
     * @return the number of intervals visited
     * @throws IllegalArgumentException        if {@code start > last} (unsigned)
     * @throws ConcurrentModificationException if the visitor modified this set
     */
    public int forEachIntersecting(long start, long last, IntervalVisitor<? super O> visitor) {
        IntervalMap.requireRange(start, last);
        Walk<O> w = new Walk<>(start, last, visitor, modCount);
        walk(root, w);
        return w.count;
    }

    /**
     * Calls {@code visitor} for each hole of {@code [lo, hi]}: the maximal sub-ranges covered by
     * no interval (of any owner), in ascending order, until it returns false. Nothing is
     * visited when {@code lo > hi}.
     *
     * @throws ConcurrentModificationException if the visitor modified this set
     */
    public void forEachHole(long lo, long hi, HoleVisitor visitor) {
        if (gt(lo, hi)) {
            return;
        }
        // cur is the lowest address of [lo, hi] not yet known to be covered.
        long[] cur = {lo};
        boolean[] covered = {false};
        boolean[] stopped = {false};
        int expected = modCount;
        forEachIntersecting(lo, hi, (s, l, o) -> {
            if (gt(s, cur[0])) {
                boolean more = visitor.visit(cur[0], s - 1);
                checkUnmodified(expected);
                if (!more) {
                    stopped[0] = true;
                    return false;
                }
            }
            if (ge(l, cur[0])) {
                if (ge(l, hi)) {
                    covered[0] = true; // reaches the end of the range
                    return false;
                }
                cur[0] = l + 1;
            }
            return true;
        });
        if (!covered[0] && !stopped[0]) {
            visitor.visit(cur[0], hi);
            checkUnmodified(expected);
        }
    }

    private void checkUnmodified(int expected) {
        if (modCount != expected) {
            throw new ConcurrentModificationException("ReservedIntervals modified during a visit");
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ReservedIntervals{size=").append(size);
        int[] shown = {0};
        forEach((s, l, o) -> {
            sb.append(shown[0] == 0 ? ": " : ", ").append(new Interval<>(s, l, o));
            return ++shown[0] < 16;
        });
        return sb.append(size > 16 ? ", ...}" : "}").toString();
    }

    // ----------------------------------------------------------------------------- search

    /** Leftmost (in key order) node intersecting [s, l] in the subtree of x. */
    private static <O> Node<O> first(Node<O> x, long s, long l) {
        while (x != null && ge(x.maxLast, s)) {
            // If the left subtree reaches s, and x starts within the range, the left subtree
            // (all starting no later than x) must hold an answer: so at most one failed
            // descent into a left subtree can happen, and only when x starts after l.
            Node<O> r = x.left == null ? null : first(x.left, s, l);
            if (r != null) {
                return r;
            }
            if (gt(x.start, l)) {
                return null;
            }
            if (ge(x.last, s)) {
                return x;
            }
            x = x.right;
        }
        return null;
    }

    private static final class Walk<O> {
        final long start;
        final long last;
        final IntervalVisitor<? super O> visitor;
        final int expected;
        int count;

        Walk(long start, long last, IntervalVisitor<? super O> visitor, int expected) {
            this.start = start;
            this.last = last;
            this.visitor = visitor;
            this.expected = expected;
        }
    }

    /** In-order walk of the intersecting nodes; false means stop. */
    private boolean walk(Node<O> x, Walk<O> w) {
        if (x == null || lt(x.maxLast, w.start)) {
            return true;
        }
        if (!walk(x.left, w)) {
            return false;
        }
        if (gt(x.start, w.last)) {
            return false; // x and everything after it start beyond the range
        }
        if (ge(x.last, w.start)) {
            w.count++;
            boolean more = w.visitor.visit(x.start, x.last, x.owner);
            checkUnmodified(w.expected);
            if (!more) {
                return false;
            }
        }
        return walk(x.right, w);
    }

    // ----------------------------------------------------------------------------- AVL

    private static <O> int compare(Node<O> a, Node<O> b) {
        int c = Long.compareUnsigned(a.start, b.start);
        if (c == 0) {
            c = Long.compareUnsigned(a.last, b.last);
        }
        return c != 0 ? c : Long.compare(a.seq, b.seq);
    }

    private static int height(Node<?> x) {
        return x == null ? 0 : x.height;
    }

    private static <O> void update(Node<O> x) {
        x.height = 1 + Math.max(height(x.left), height(x.right));
        long m = x.last;
        if (x.left != null) {
            m = Unsigned.max(m, x.left.maxLast);
        }
        if (x.right != null) {
            m = Unsigned.max(m, x.right.maxLast);
        }
        x.maxLast = m;
    }

    private static <O> Node<O> rotateRight(Node<O> x) {
        Node<O> l = x.left;
        x.left = l.right;
        l.right = x;
        update(x);
        update(l);
        return l;
    }

    private static <O> Node<O> rotateLeft(Node<O> x) {
        Node<O> r = x.right;
        x.right = r.left;
        r.left = x;
        update(x);
        update(r);
        return r;
    }

    private static <O> Node<O> balance(Node<O> x) {
        update(x);
        int bf = height(x.left) - height(x.right);
        if (bf > 1) {
            if (height(x.left.left) < height(x.left.right)) {
                x.left = rotateLeft(x.left);
            }
            return rotateRight(x);
        }
        if (bf < -1) {
            if (height(x.right.right) < height(x.right.left)) {
                x.right = rotateRight(x.right);
            }
            return rotateLeft(x);
        }
        return x;
    }

    private static <O> Node<O> insert(Node<O> x, Node<O> node) {
        if (x == null) {
            return node;
        }
        if (compare(node, x) < 0) {
            x.left = insert(x.left, node);
        } else {
            x.right = insert(x.right, node);
        }
        return balance(x);
    }

    private static <O> Node<O> delete(Node<O> x, Node<O> node) {
        if (x == null) {
            throw new IllegalStateException("reserved interval missing from the tree");
        }
        if (x == node) {
            if (x.left == null) {
                return x.right;
            }
            if (x.right == null) {
                return x.left;
            }
            // Replace x by its successor, the leftmost node of the right subtree.
            Node<O> succ = x.right;
            while (succ.left != null) {
                succ = succ.left;
            }
            succ.right = deleteMin(x.right);
            succ.left = x.left;
            x.left = null;
            x.right = null;
            return balance(succ);
        }
        if (compare(node, x) < 0) {
            x.left = delete(x.left, node);
        } else {
            x.right = delete(x.right, node);
        }
        return balance(x);
    }

    private static <O> Node<O> deleteMin(Node<O> x) {
        if (x.left == null) {
            return x.right;
        }
        x.left = deleteMin(x.left);
        return balance(x);
    }

    /** Verifies ordering, balance, maxLast and the owner index; for tests. */
    void checkInvariants() {
        int[] count = {0};
        check(root, null, count);
        if (count[0] != size) {
            throw new IllegalStateException("size " + size + " but " + count[0] + " nodes");
        }
        int indexed = 0;
        for (List<Node<O>> nodes : byOwner.values()) {
            if (nodes.isEmpty()) {
                throw new IllegalStateException("empty owner list");
            }
            indexed += nodes.size();
        }
        if (indexed != size) {
            throw new IllegalStateException("owner index holds " + indexed + " of " + size);
        }
    }

    private Node<O> check(Node<O> x, Node<O> prev, int[] count) {
        if (x == null) {
            return prev;
        }
        prev = check(x.left, prev, count);
        if (prev != null && compare(prev, x) >= 0) {
            throw new IllegalStateException("order");
        }
        count[0]++;
        prev = check(x.right, x, count);
        int h = x.height;
        long m = x.maxLast;
        update(x);
        if (h != x.height || Math.abs(height(x.left) - height(x.right)) > 1) {
            throw new IllegalStateException("balance");
        }
        if (m != x.maxLast) {
            throw new IllegalStateException("maxLast");
        }
        return prev;
    }
}
