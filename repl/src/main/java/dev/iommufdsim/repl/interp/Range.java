package dev.iommufdsim.repl.interp;

/**
 * An address range with an inclusive last address, as the kernel's {@code [start, last]}:
 * {@code 0x1000..0x1fff} is one 4K page. Unsigned; empty when start is above last, which
 * is kept as written so that scripts can hand malformed ranges to the uAPI on purpose.
 */
public record Range(long start, long last) {

    public boolean isEmpty() {
        return Long.compareUnsigned(start, last) > 0;
    }

    /** Whether the address lies in the range. */
    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, last) <= 0;
    }

    /** last - start + 1 (0 for an empty range, and 0 for the whole 2^64 space, which wraps). */
    public long length() {
        return isEmpty() ? 0 : last - start + 1;
    }

    /** "0x1000..0x1fff"; both ends in decimal when both are small ("0..10"). */
    @Override
    public String toString() {
        boolean small = Long.compareUnsigned(start, Values.HEX_FROM) < 0 && Long.compareUnsigned(last, Values.HEX_FROM) < 0;
        return small ? Long.toUnsignedString(start) + ".." + Long.toUnsignedString(last)
                : "0x" + Long.toHexString(start) + "..0x" + Long.toHexString(last);
    }
}
