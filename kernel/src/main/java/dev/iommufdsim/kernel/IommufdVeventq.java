package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
import static dev.iommufdsim.kernel.uapi.Uapi.SIZEOF_VEVENT_HEADER;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;

/**
 * struct iommufd_veventq (eventq.c): a vIOMMU's event queue of one type, read from its fd.
 * Holds at most {@code depth} events; one more is lost, which the queue shows with its
 * lost_events_header at the tail, carrying the next sequence number.
 */
public final class IommufdVeventq extends IommufdObject {
    final IommufdViommu viommu;
    final int veventqType;
    final int depth;
    /** The fd iommufd_eventq_init() installed (set once the object is reserved). */
    int fd = -1;

    /** struct iommufd_vevent: header {flags, sequence} and the event data. */
    static final class Vevent {
        final int flags;
        int sequence;
        final byte[] data;

        Vevent(int flags, byte[] data) {
            this.flags = flags;
            this.data = data;
        }

        /** vevent_for_lost_events_header(). */
        boolean lostEventsHeader() {
            return (flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) != 0;
        }
    }

    /** eventq->deliver; may hold lostEventsHeader, only ever as its last node. */
    final ArrayDeque<Vevent> deliver = new ArrayDeque<>();
    /** veventq->lost_events_header (flags LOST_EVENTS, no data). */
    final Vevent lostEventsHeader = new Vevent(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, new byte[0]);
    /** veventq->num_events: normal events queued. */
    int numEvents;
    /** veventq->sequence: the next event's sequence, in [0, INT_MAX]. */
    int sequence;

    IommufdVeventq(IommufdViommu viommu, int veventqType, int depth) {
        super(ObjType.VEVENTQ);
        this.viommu = viommu;
        this.veventqType = veventqType;
        this.depth = depth;
    }

    public int fd() {
        return fd;
    }

    public IommufdViommu viommu() {
        return viommu;
    }

    public int veventqType() {
        return veventqType;
    }

    /** Normal events waiting to be read (num_events). */
    public int queuedEvents() {
        return numEvents;
    }

    /**
     * iommufd_viommu_report_event() once the queue is found: queue the event or mark a loss;
     * returns the node queued (the lost_events_header on a loss), its sequence set.
     */
    Vevent report(byte[] eventData) {
        Vevent v;
        if (numEvents == depth) {
            v = lostEventsHeader;
        } else {
            v = new Vevent(0, eventData.clone());
            numEvents++;
        }
        handler(v);
        return v;
    }

    /** iommufd_vevent_handler(): a lost_events_header at the tail gives way to the new node. */
    private void handler(Vevent v) {
        if (deliver.peekLast() == lostEventsHeader) {
            deliver.pollLast();
        }
        deliver.addLast(v);
        v.sequence = sequence;
        sequence = (sequence + 1) & Integer.MAX_VALUE;
    }

    /** iommufd_veventq_deliver_fetch(): the lost_events_header is handed out as a copy. */
    private Vevent fetch() {
        Vevent next = deliver.pollFirst();
        if (next == lostEventsHeader) {
            Vevent copy = new Vevent(next.flags, next.data);
            copy.sequence = next.sequence;
            return copy;
        }
        return next;
    }

    /** iommufd_veventq_deliver_restore(): a copy of the header comes back only into an empty list. */
    private void restore(Vevent v) {
        if (v.lostEventsHeader()) {
            if (deliver.isEmpty()) {
                deliver.addFirst(lostEventsHeader);
            }
            return;
        }
        deliver.addFirst(v);
    }

    /** iommufd_veventq_fops_read(): whole events only, each an iommufd_vevent_header and its data. */
    long fopsRead(long count, EventqFops.UserBuffer buf) {
        long hdrSize = SIZEOF_VEVENT_HEADER;
        if (Long.compareUnsigned(count, hdrSize) < 0) {
            throw fail(EINVAL, "read count %d is below sizeof(struct iommufd_vevent_header) %d", count, hdrSize);
        }
        long done = 0;
        Vevent cur;
        while ((cur = fetch()) != null) {
            if (Long.compareUnsigned(done, count) >= 0 || hdrSize > count - done) {
                restore(cur);
                break;
            }
            if (!cur.lostEventsHeader() && hdrSize + cur.data.length > count - done) {
                restore(cur);
                if (done == 0) {
                    throw fail(EINVAL, "read count %d cannot hold the first vEVENT (%d bytes)", count, hdrSize + cur.data.length);
                }
                break;
            }
            byte[] hdr = ByteBuffer.allocate((int) hdrSize).order(ByteOrder.LITTLE_ENDIAN).putInt(cur.flags).putInt(cur.sequence).array();
            if (!buf.copyTo(done, hdr)) {
                restore(cur);
                return partial(done, "header", done);
            }
            done += hdrSize;
            if (cur.data.length > 0 && !buf.copyTo(done, cur.data)) {
                restore(cur);
                done -= hdrSize;
                return partial(done, "data", done + hdrSize);
            }
            if (!cur.lostEventsHeader()) {
                numEvents--;
            }
            done += cur.data.length;
        }
        return done;
    }

    private static long partial(long done, String what, long offset) {
        if (done == 0) {
            throw fail(EFAULT, "cannot write the vEVENT %s at buffer offset %d", what, offset);
        }
        return done;
    }

    /** iommufd_veventq_destroy() / iommufd_veventq_abort(): queued events are freed. */
    @Override
    void destroy() {
        deliver.clear();
        numEvents = 0;
        viommu.veventqs.remove(this);
        viommu.put();
    }
}
