package dev.iommufdsim.kernel.iopt;

/**
 * A snapshot of one closed interval {@code [start, last]} (unsigned) and the value attached to
 * it: the area for an {@link IntervalMap}, the owner for {@link ReservedIntervals}. Returned
 * by the convenience look-ups; hot paths use the allocation-free visitors and cursors instead.
 *
 * @param start first address, unsigned
 * @param last  last address, inclusive, unsigned, {@code >= start}
 * @param value the value (or owner) attached to the interval
 * @param <V>   value type
 */
public record Interval<V>(long start, long last, V value) {

    /** True when this interval shares at least one address with {@code [start, last]}. */
    public boolean intersects(long start, long last) {
        return Long.compareUnsigned(this.start, last) <= 0 && Long.compareUnsigned(start, this.last) <= 0;
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(last) + "]=" + value;
    }
}
