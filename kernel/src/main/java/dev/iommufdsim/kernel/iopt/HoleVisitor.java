package dev.iommufdsim.kernel.iopt;

/**
 * Receives the free holes of a range one by one, in ascending order. A hole is a maximal
 * closed range {@code [start, last]} (unsigned) of the queried range covered by no interval.
 * The visited structure must not be modified during the visit.
 */
@FunctionalInterface
public interface HoleVisitor {
    /**
     * Called for one hole {@code [start, last]}, already clipped to the queried range.
     *
     * @return true to go on with the next hole, false to stop the visit here
     */
    boolean visit(long start, long last);
}
