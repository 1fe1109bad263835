package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.repl.server.FakeProcess.Struct;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fault queue descriptors through the dispatcher, as the selftest's _test_cmd_trigger_iopf
 * uses them: TRIGGER_IOPF, poll, read of an iommu_hwpt_pgfault, write of its response.
 */
class QueueIoTest extends DispatcherFixture {
    private static final int EBADF = 9;
    private static final int EFAULT = 14;
    private static final int ENOENT = 2;
    private static final int EINVAL = 22;
    private static final int ESPIPE = 29;
    private static final long BUF = 0x7f00_0000_0000L;

    @BeforeEach
    void open() {
        open(new FakeProcess().map(BUF, 0x1000, true));
    }

    private static Struct trigger(int op, int devId, int pasid) {
        return new Struct(72).u32(4, op).u32(16, devId).u32(20, pasid).u32(24, 2).u32(28, 3).u64(32, 0xdeadbeafL);
    }

    @Test
    void iopfRoundTrip() {
        assertEquals(0, iommufd(0x81, new Struct(12)));
        int ioas = p.u32(S + 8);
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 2).u32(8, ioas))); // MOCK_DOMAIN
        int stdev = p.u32(S + 16);
        int idev = p.u32(S + 24);
        assertEquals(0, iommufd(0x8e, new Struct(16))); // FAULT_QUEUE_ALLOC
        int faultId = p.u32(S + 8);
        int pfd = p.u32(S + 12);
        // HWPT_ALLOC with IOMMU_HWPT_FAULT_ID_VALID, then the device onto it
        assertEquals(0, iommufd(0x89, new Struct(48).u32(4, 1 << 2).u32(8, idev).u32(12, ioas).u32(40, faultId)));
        int hwpt = p.u32(S + 16);
        assertEquals(0, iommufd(0xa0, new Struct(72).u32(4, 10).u32(8, stdev).u32(16, hwpt))); // MOCK_DOMAIN_REPLACE
        assertEquals(4, d.queuePoll(pfd)); // EPOLLOUT only
        assertEquals(-ENOENT, iommufd(0xa0, trigger(15, 999, 0)));
        assertEquals(0, iommufd(0xa0, trigger(15, idev, 0)));
        assertEquals(0x45, d.queuePoll(pfd)); // EPOLLOUT | EPOLLIN | EPOLLRDNORM

        assertEquals(-ESPIPE, d.queueIo(pfd, false, BUF, 39, p));
        assertEquals(-EFAULT, d.queueIo(pfd, false, 0x1000, 40, p)); // unmapped
        assertEquals(-EFAULT, d.queueIo(pfd, false, -4096L, 40, p)); // not a user address
        assertEquals(40, d.queueIo(pfd, false, BUF, 80, p));
        assertEquals(2, p.u32(BUF)); // IOMMU_PGFAULT_FLAGS_LAST_PAGE
        assertEquals(idev, p.u32(BUF + 4));
        assertEquals(2, p.u32(BUF + 12));
        assertEquals(3, p.u32(BUF + 16));
        assertEquals(0xdeadbeafL, p.u64(BUF + 24));
        int cookie = p.u32(BUF + 36);
        assertEquals(1, cookie);
        assertEquals(0, d.queueIo(pfd, false, BUF, 40, p)); // empty: 0

        p.put(BUF + 0x100, new Struct(8).u32(0, cookie).u32(4, 0).bytes());
        assertEquals(8, d.queueIo(pfd, true, BUF + 0x100, 8, p));
        assertEquals(-EINVAL, d.queueIo(pfd, true, BUF + 0x100, 8, p)); // the cookie was consumed
        assertEquals(-EBADF, d.queueIo(pfd + 100, false, BUF, 40, p));
        assertEquals(-ENOENT, iommufd(0xa0, trigger(17, idev, 0))); // TRIGGER_VEVENT without a vDEVICE
        assertEquals(-EBADF, d.queueIo(pfd + 100, true, -4096L, 8, p)); // fdget before access_ok
        assertEquals(-EFAULT, d.queueIo(pfd, true, -4096L, 8, p));
    }
}
