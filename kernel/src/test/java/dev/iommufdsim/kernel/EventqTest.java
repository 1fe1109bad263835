package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.TestDrivers.VIOMMU_TYPE;
import static dev.iommufdsim.kernel.uapi.Errno.EBADF;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.ESPIPE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_FAULT_ID_VALID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_FLAGS_LAST_PAGE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_VEVENTQ_TYPE_SELFTEST;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Fault queues and vEVENTQs (eventq.c): read/write/poll of their fds, TRIGGER_IOPF/VEVENT. */
class EventqTest {
    /** A user buffer of n bytes whose bytes from faultAt on cannot be touched. */
    static final class Buf implements EventqFops.UserBuffer {
        final ByteBuffer b;
        final long faultAt;

        Buf(int n, long faultAt) {
            b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
            this.faultAt = faultAt;
        }

        Buf(int n) {
            this(n, Long.MAX_VALUE);
        }

        @Override
        public boolean copyTo(long off, byte[] data) {
            if (off + data.length > faultAt) {
                return false;
            }
            b.put((int) off, data);
            return true;
        }

        @Override
        public byte[] copyFrom(long off, int len) {
            if (off + len > faultAt) {
                return null;
            }
            byte[] out = new byte[len];
            b.get((int) off, out);
            return out;
        }
    }

    static Buf responses(int... cookieCode) {
        Buf r = new Buf(cookieCode.length * 4);
        for (int i = 0; i < cookieCode.length; i++) {
            r.b.putInt(i * 4, cookieCode[i]);
        }
        return r;
    }

    record Iopf(IommufdCtx ctx, Selftest st, int idev, IommufdCtx.QueueOut fq, int hwpt) {
    }

    /** A mock device replaced onto a paging HWPT whose faults go to a fault queue. */
    static Iopf iopfSetup() {
        IommufdCtx ctx = TestDrivers.machine().open();
        Selftest st = ctx.selftest();
        int ioas = ctx.ioasAlloc(0);
        Selftest.MockDomain md = st.mockDomain(ioas, 0);
        IommufdCtx.QueueOut fq = ctx.faultQueueAlloc(0);
        int hwpt = ctx.hwptAlloc(IOMMU_HWPT_FAULT_ID_VALID, md.outIdevId(), ioas, 0, null, fq.id(), 0);
        st.mockDomainReplace(md.outStdevId(), hwpt);
        return new Iopf(ctx, st, md.outIdevId(), fq, hwpt);
    }

    @Test
    void faultReadComposesRecordsAndWriteConsumesCookies() {
        Iopf s = iopfSetup();
        IommufdCtx ctx = s.ctx;
        int fd = s.fq.fd();
        assertEquals(EventqFops.EPOLLOUT, ctx.eventqPoll(fd));
        assertEquals(0, ctx.eventqRead(fd, 40, new Buf(40))); // nothing queued: 0, not EAGAIN
        s.st.triggerIopf(s.idev, 0, 2, 3, 0xdeadbeafL);
        s.st.triggerIopf(s.idev, 0, 5, 1, 0x1000L);
        assertEquals(EventqFops.EPOLLOUT | EventqFops.EPOLLIN | EventqFops.EPOLLRDNORM, ctx.eventqPoll(fd));
        errno(ESPIPE, () -> ctx.eventqRead(fd, 41, new Buf(41)));
        errno(EINVAL, () -> ctx.eventqRead(fd, 0, new Buf(0))); // no room for the first group
        errno(EFAULT, () -> ctx.eventqRead(fd, 80, new Buf(80, 10)));
        Buf b = new Buf(120, 60); // room for one record before the fault: a short read
        assertEquals(40, ctx.eventqRead(fd, 120, b));
        ByteBuffer r = b.b;
        assertEquals(IOMMU_PGFAULT_FLAGS_LAST_PAGE, r.getInt(0)); // flags: last page, no PASID
        assertEquals(s.idev, r.getInt(4));
        assertEquals(0, r.getInt(8));
        assertEquals(2, r.getInt(12));
        assertEquals(3, r.getInt(16));
        assertEquals(0xdeadbeafL, r.getLong(24));
        assertEquals(0, r.getInt(32));
        assertEquals(1, r.getInt(36)); // the first cookie (XA_FLAGS_ALLOC1)
        Buf b2 = new Buf(40);
        assertEquals(40, ctx.eventqRead(fd, 40, b2));
        assertEquals(2, b2.b.getInt(36));
        IommufdFault fault = (IommufdFault) ctx.object(s.fq.id());
        assertEquals(Set.of(1, 2), fault.awaitingResponse());

        errno(ESPIPE, () -> ctx.eventqWrite(fd, 7, responses(1, 0)));
        errno(EINVAL, () -> ctx.eventqWrite(fd, 8, responses(1, 2))); // code neither SUCCESS nor INVALID
        errno(EINVAL, () -> ctx.eventqWrite(fd, 8, responses(9, 0))); // no such cookie
        errno(EFAULT, () -> ctx.eventqWrite(fd, 8, new Buf(8, 4)));
        assertEquals(8, ctx.eventqWrite(fd, 16, responses(2, 1, 9, 0))); // the first answered, then the bad cookie
        errno(EINVAL, () -> ctx.eventqWrite(fd, 8, responses(2, 0))); // cookie 2 is gone
        assertEquals(Set.of(1), fault.awaitingResponse());
        s.st.triggerIopf(s.idev, 0, 7, 1, 0x2000L);
        Buf b3 = new Buf(40);
        assertEquals(40, ctx.eventqRead(fd, 40, b3));
        assertEquals(2, b3.b.getInt(36)); // the freed cookie is the lowest free again
        assertEquals(16, ctx.eventqWrite(fd, 16, responses(1, 0, 2, 0)));
        assertEquals(3, fault.responsesSent());
    }

    @Test
    void iopfWithoutFaultQueueIsDroppedAndDetachAnswersPending() {
        Iopf s = iopfSetup();
        IommufdCtx ctx = s.ctx;
        errno(ENOENT, () -> s.st.triggerIopf(999, 0, 0, 0, 0));
        // PASID 1 has no attachment and the RID's HWPT is not nested: the core answers it
        s.st.triggerIopf(s.idev, 1, 0, 0, 0);
        IommufdFault fault = (IommufdFault) ctx.object(s.fq.id());
        assertEquals(0, fault.pendingFaults());
        s.st.triggerIopf(s.idev, 0, 0, 0, 0);
        s.st.triggerIopf(s.idev, 0, 0, 0, 0);
        assertEquals(40, ctx.eventqRead(s.fq.fd(), 40, new Buf(40)));
        assertEquals(1, fault.pendingFaults());
        // leaving the HWPT answers both the unread and the read group (iommufd_auto_response_faults)
        int ioas2 = ctx.ioasAlloc(0);
        int stdev = ctx.objectList().stream().filter(o -> o.type() == ObjType.SELFTEST).findFirst().orElseThrow().id();
        s.st.mockDomainReplace(stdev, ioas2);
        assertEquals(0, fault.pendingFaults());
        assertEquals(Set.of(), fault.awaitingResponse());
        assertEquals(2, fault.responsesSent());
        s.st.triggerIopf(s.idev, 0, 0, 0, 0); // no fault HWPT now
        assertEquals(0, fault.pendingFaults());
        errno(EBADF, () -> ctx.eventqRead(12345, 40, new Buf(40)));
    }

    record Vq(IommufdCtx ctx, int dev, IommufdCtx.QueueOut q) {
    }

    static Vq veventqSetup(long virtId, int depth) {
        NestingTest.Setup s = NestingTest.setup(KernelProfile.MAINLINE);
        IommufdCtx ctx = s.ctx();
        int viommu = ctx.viommuAlloc(0, VIOMMU_TYPE, s.dev(), s.parent(), null).outViommuId();
        ctx.vdeviceAlloc(viommu, s.dev(), virtId);
        return new Vq(ctx, s.dev(), ctx.veventqAlloc(0, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, depth, 0));
    }

    /** The (flags, sequence, virt_id or -1) triples of a read. */
    static String events(Buf b, long n) {
        StringBuilder sb = new StringBuilder();
        for (int off = 0; off < n;) {
            int flags = b.b.getInt(off);
            sb.append(flags).append(':').append(b.b.getInt(off + 4));
            off += 8;
            if (flags == 0) {
                sb.append('=').append(b.b.getInt(off));
                off += 4;
            }
            sb.append(' ');
        }
        return sb.toString().trim();
    }

    @Test
    void veventsCarrySequencesAndOverflowLeavesALostEventsHeader() {
        Vq v = veventqSetup(0x99, 2);
        IommufdCtx ctx = v.ctx;
        Selftest st = ctx.selftest();
        int fd = v.q.fd();
        assertEquals(0, ctx.eventqPoll(fd));
        errno(EINVAL, () -> ctx.eventqRead(fd, 7, new Buf(7)));
        assertEquals(0, ctx.eventqRead(fd, 8, new Buf(8)));
        for (int i = 0; i < 4; i++) {
            st.triggerVevent(v.dev); // the 3rd and 4th are lost
        }
        assertEquals(EventqFops.EPOLLIN | EventqFops.EPOLLRDNORM, ctx.eventqPoll(fd));
        errno(EINVAL, () -> ctx.eventqRead(fd, 8, new Buf(8))); // a header alone cannot hold an event
        Buf b = new Buf(64);
        long n = ctx.eventqRead(fd, 64, b);
        assertEquals(12 + 12 + 8, n);
        assertEquals("0:0=153 0:1=153 1:3", events(b, n)); // the lost header carries the next sequence
        assertEquals(0, ctx.eventqPoll(fd));
        st.triggerVevent(v.dev);
        Buf b2 = new Buf(64);
        n = ctx.eventqRead(fd, 64, b2);
        assertEquals("0:4=153", events(b2, n));
        errno(EINVAL, () -> ctx.eventqWrite(fd, 8, new Buf(8)));
    }

    @Test
    void veventReadFaultsAndShortReads() {
        Vq v = veventqSetup(7, 1);
        IommufdCtx ctx = v.ctx;
        Selftest st = ctx.selftest();
        st.triggerVevent(v.dev);
        st.triggerVevent(v.dev); // lost: the header follows the event
        errno(EFAULT, () -> ctx.eventqRead(v.q.fd(), 64, new Buf(64, 10))); // data faults: nothing consumed
        Buf b = new Buf(64, 14); // the event fits, the lost header does not: a short read
        assertEquals(12, ctx.eventqRead(v.q.fd(), 64, b));
        assertEquals("0:0=7", events(b, 12));
        Buf b2 = new Buf(8);
        assertEquals(8, ctx.eventqRead(v.q.fd(), 8, b2)); // the header alone fits 8 bytes
        assertEquals("1:1", events(b2, 8));
        st.triggerVevent(v.dev);
        Buf b3 = new Buf(64);
        assertEquals(12, ctx.eventqRead(v.q.fd(), 64, b3));
        assertEquals("0:2=7", events(b3, 12));
    }

    @Test
    void triggerVeventChecks() {
        Vq v = veventqSetup(0, 4);
        Selftest st = v.ctx.selftest();
        errno(ENOENT, () -> st.triggerVevent(999));
        errno(ENOENT, () -> st.triggerVevent(v.dev)); // virt_id 0 counts as none (mdev->vdev_id)
        Vq w = veventqSetup(5, 4);
        errno(EBUSY, () -> w.ctx.destroy(w.q.id())); // the fd still holds it
        w.ctx.closeFd(w.q.fd());
        w.ctx.destroy(w.q.id());
        errno(EOPNOTSUPP, () -> w.ctx.selftest().triggerVevent(w.dev));
    }
}
