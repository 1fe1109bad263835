package dev.iommufdsim.kernel.iopt;

/**
 * Receives intervals one by one, in ascending order, with primitive bounds so that a visit
 * allocates nothing. The visited structure must not be modified during the visit (collect,
 * then modify; or use {@link IntervalMap.Cursor#remove()}).
 *
 * @param <V> value (or owner) type
 */
@FunctionalInterface
public interface IntervalVisitor<V> {
    /**
     * Called for one interval {@code [start, last]} (unsigned, inclusive).
     *
     * @return true to go on with the next interval, false to stop the visit here
     */
    boolean visit(long start, long last, V value);
}
