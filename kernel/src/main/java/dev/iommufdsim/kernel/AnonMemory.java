package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An emulated process whose memory is anonymous, readable and writable, zero-filled on first
 * touch: everywhere (a script's process: every address it names exists), or only inside one
 * window (the kernel oracle runner's buffer). Bytes written are kept per page, so what an
 * in-kernel access writes can be read back. Its mm is the object itself.
 */
public final class AnonMemory implements UserMemory {
    private final long start;
    private final long last;
    private final List<Range> compound;
    private final Map<Long, byte[]> pages = new HashMap<>();

    /** Every address mapped. */
    public AnonMemory() {
        this(0, -1L, List.of());
    }

    /**
     * Only [start, start + length) mapped.
     *
     * @param compound the parts backed by huge pages (their references are not counted)
     */
    public AnonMemory(long start, long length, List<Range> compound) {
        this.start = start;
        this.last = start + length - 1;
        this.compound = List.copyOf(compound);
    }

    @Override
    public Object mm() {
        return this;
    }

    private boolean mapped(long va, long length) {
        if (length == 0) {
            return true;
        }
        long end = va + length - 1;
        return Long.compareUnsigned(end, va) >= 0 && Long.compareUnsigned(va, start) >= 0 && Long.compareUnsigned(end, last) <= 0;
    }

    @Override
    public boolean canPin(long va, long length, boolean write) {
        long first = va - Long.remainderUnsigned(va, PAGE_SIZE);
        return mapped(first, length + (va - first));
    }

    @Override
    public byte[] read(long va, int length) {
        if (!mapped(va, length)) {
            throw fail(EFAULT, "user memory 0x%x (%d bytes) is not mapped", va, length);
        }
        byte[] out = new byte[length];
        for (int done = 0; done < length;) {
            long a = va + done;
            int off = (int) Long.remainderUnsigned(a, PAGE_SIZE);
            int n = (int) Math.min(length - done, PAGE_SIZE - off);
            byte[] p = pages.get(Long.divideUnsigned(a, PAGE_SIZE));
            if (p != null) {
                System.arraycopy(p, off, out, done, n);
            }
            done += n;
        }
        return out;
    }

    @Override
    public void write(long va, byte[] data) {
        for (int done = 0; done < data.length;) {
            long a = va + done;
            int off = (int) Long.remainderUnsigned(a, PAGE_SIZE);
            int n = (int) Math.min(data.length - done, PAGE_SIZE - off);
            if (!mapped(a, n)) {
                throw fail(EFAULT, "user memory 0x%x is not mapped (after %d of %d bytes written)", a, done, data.length);
            }
            System.arraycopy(data, done, pages.computeIfAbsent(Long.divideUnsigned(a, PAGE_SIZE), k -> new byte[(int) PAGE_SIZE]), off, n);
            done += n;
        }
    }

    @Override
    public List<Range> compoundRanges(long va, long length) {
        long end = va + length - 1;
        return compound.stream().filter(r -> Long.compareUnsigned(r.start(), end) <= 0 && Long.compareUnsigned(va, r.last()) <= 0).toList();
    }
}
