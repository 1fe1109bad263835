package dev.iommufdsim.repl.builtins;

import static dev.iommufdsim.kernel.uapi.Errno.EBADF;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.ESPIPE;

import dev.iommufdsim.kernel.EventqFops;
import dev.iommufdsim.kernel.uapi.Uapi;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Record;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Fault queues and vEVENTQs from the program's side (eventq.c): IOMMU_TEST_OP_TRIGGER_IOPF and
 * TRIGGER_VEVENT, read() of their fds decoded into records, write() of page responses.
 */
public final class EventqBuiltins {
    private EventqBuiltins() {
    }

    /** A user buffer of n bytes that never faults. */
    private static final class Buf implements EventqFops.UserBuffer {
        final ByteBuffer b;

        Buf(int n) {
            b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public boolean copyTo(long off, byte[] data) {
            b.put((int) off, data);
            return true;
        }

        @Override
        public byte[] copyFrom(long off, int len) {
            byte[] out = new byte[len];
            b.get((int) off, out);
            return out;
        }
    }

    /** Script reads are bounded so a count cannot make the REPL allocate gigabytes. */
    private static final long MAX_COUNT = 1 << 20;

    private static int count(long n) {
        return (int) Math.min(n, MAX_COUNT);
    }

    public static void register(BuiltinTable t) {
        t.registerConstant("IOMMU_PGFAULT_FLAGS_PASID_VALID", (long) Uapi.IOMMU_PGFAULT_FLAGS_PASID_VALID, "fault record: pasid is valid");
        t.registerConstant("IOMMU_PGFAULT_FLAGS_LAST_PAGE", (long) Uapi.IOMMU_PGFAULT_FLAGS_LAST_PAGE, "fault record: last of its group");
        t.registerConstant("IOMMU_PGFAULT_PERM_READ", (long) Uapi.IOMMU_PGFAULT_PERM_READ, "fault: read access");
        t.registerConstant("IOMMU_PGFAULT_PERM_WRITE", (long) Uapi.IOMMU_PGFAULT_PERM_WRITE, "fault: write access");
        t.registerConstant("IOMMUFD_PAGE_RESP_SUCCESS", (long) Uapi.IOMMUFD_PAGE_RESP_SUCCESS, "page response: handled, retry");
        t.registerConstant("IOMMUFD_PAGE_RESP_INVALID", (long) Uapi.IOMMUFD_PAGE_RESP_INVALID, "page response: do not retry");
        t.registerConstant("IOMMU_VEVENTQ_FLAG_LOST_EVENTS", (long) Uapi.IOMMU_VEVENTQ_FLAG_LOST_EVENTS, "vEVENT header: events were lost");
        Row.of("trigger_iopf", "IOMMU_TEST_OP_TRIGGER_IOPF: the mock device reports a page request (PASID_VALID unless pasid is 0);"
                        + " it lands in the fault queue of the HWPT it hits, if any")
                .req("dev_id", "the mock device (out_idev_id)")
                .opt("pasid", 0L, "the PASID (0: IOMMU_NO_PASID)")
                .opt("grpid", 0L, "the page request group index")
                .opt("perm", 0L, "IOMMU_PGFAULT_PERM_*", "IOMMU_PGFAULT_PERM_READ", "IOMMU_PGFAULT_PERM_WRITE")
                .opt("addr", 0L, "the fault address")
                .errnos(ENOENT, EINVAL)
                .on(t, (c, a) -> {
                    c.selftest().triggerIopf(a.id("dev_id"), a.u32("pasid"), a.u32("grpid"), a.u32("perm"), a.u64("addr"));
                    return null;
                });
        Row.of("trigger_vevent", "IOMMU_TEST_OP_TRIGGER_VEVENT: the mock vIOMMU reports {virt_id} of the device's vDEVICE"
                        + " into its IOMMU_VEVENTQ_TYPE_SELFTEST queue")
                .req("dev_id", "the device (out_idev_id)")
                .errnos(ENOENT, EOPNOTSUPP)
                .on(t, (c, a) -> {
                    c.selftest().triggerVevent(a.id("dev_id"));
                    return null;
                });
        Row.of("fault_read", "read(out_fault_fd, buf, count): the struct iommu_hwpt_pgfault records read, each {flags, dev_id,"
                        + " pasid, grpid, perm, addr, length, cookie}; [] when none waits")
                .req("fd", "the fault queue's fd")
                .opt("count", 40L * 16, "bytes to read, a multiple of 40")
                .errnos(ESPIPE, EINVAL, EBADF)
                .on(t, (c, a) -> {
                    Buf b = new Buf(count(a.u64("count")));
                    long n = c.eventqRead(a.u32("fd"), a.u64("count"), b);
                    List<Object> out = new ArrayList<>();
                    for (int off = 0; off < n; off += Uapi.SIZEOF_HWPT_PGFAULT) {
                        ByteBuffer r = b.b;
                        out.add(Record.of("iommu_hwpt_pgfault", "flags", u32(r, off), "dev_id", u32(r, off + 4), "pasid",
                                u32(r, off + 8), "grpid", u32(r, off + 12), "perm", u32(r, off + 16), "addr", r.getLong(off + 24),
                                "length", u32(r, off + 32), "cookie", u32(r, off + 36)));
                    }
                    return List.copyOf(out);
                });
        Row.of("fault_respond", "write(out_fault_fd, &response, 8): one struct iommu_hwpt_page_response; returns the bytes consumed")
                .req("fd", "the fault queue's fd")
                .req("cookie", "the cookie of the fault record answered")
                .opt("code", 0L, "IOMMUFD_PAGE_RESP_*", "IOMMUFD_PAGE_RESP_SUCCESS", "IOMMUFD_PAGE_RESP_INVALID")
                .errnos(EINVAL, EBADF)
                .on(t, (c, a) -> {
                    Buf b = new Buf(8);
                    b.b.putInt(0, a.u32("cookie")).putInt(4, a.u32("code"));
                    return c.eventqWrite(a.u32("fd"), 8, b);
                });
        Row.of("veventq_read", "read(out_veventq_fd, buf, count): the vEVENTs read, each {flags, sequence, data_u32 (the event"
                        + " data as 32-bit words)}; a LOST_EVENTS header has no data")
                .req("fd", "the vEVENTQ's fd")
                .opt("count", 4096L, "bytes to read, at least 8")
                .opt("data_len", 4L, "bytes of data per event, known from the queue type: 4 for"
                        + " IOMMU_VEVENTQ_TYPE_SELFTEST, 32 for IOMMU_VEVENTQ_TYPE_ARM_SMMUV3")
                .errnos(EINVAL, EBADF)
                .on(t, (c, a) -> {
                    Buf b = new Buf(count(a.u64("count")));
                    long n = c.eventqRead(a.u32("fd"), a.u64("count"), b);
                    return vevents(a.u32("data_len"), b.b, n);
                });
    }

    private static long u32(ByteBuffer b, int off) {
        return Integer.toUnsignedLong(b.getInt(off));
    }

    /** The read bytes as records; every normal event of a queue type has the same data length. */
    private static List<Object> vevents(int dataLen, ByteBuffer b, long n) {
        List<Object> out = new ArrayList<>();
        for (int off = 0; off < n;) {
            long flags = u32(b, off);
            long seq = u32(b, off + 4);
            off += Uapi.SIZEOF_VEVENT_HEADER;
            List<Object> words = new ArrayList<>();
            if ((flags & Uapi.IOMMU_VEVENTQ_FLAG_LOST_EVENTS) == 0) {
                for (int w = 0; w + 4 <= dataLen; w += 4) {
                    words.add(u32(b, off + w));
                }
                off += dataLen;
            }
            out.add(Record.of("iommufd_vevent_header", "flags", flags, "sequence", seq, "data_u32", List.copyOf(words)));
        }
        return List.copyOf(out);
    }
}
