package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.repl.server.FakeProcess.Struct;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The selftest's PASID ops through the dispatcher (IOMMU_TEST_CMD, iommufd_test_pasid_*):
 * {pasid @16, pt_id / hwpt_id @20}, the struct copied back by ATTACH and REPLACE, and an
 * attach whose copy-back faults detached again.
 */
class PasidOpsDispatchTest extends DispatcherFixture {
    private static final int ENOENT = 2;
    private static final int EFAULT = 14;
    private static final int ENOMEM = 12;
    private static final int EINVAL = 22;
    private static final int EBUSY = 16;
    private static final int OP_PASID_ATTACH = 18;
    private static final int OP_PASID_REPLACE = 19;
    private static final int OP_PASID_DETACH = 20;
    private static final int OP_PASID_CHECK_HWPT = 21;

    /** A read-only page: structs there can be read, their copy-back faults. */
    private static final long RO = 0x7000_0020_0000L;

    private int stdev;
    private int s2;
    private int s2b;


    /** ioas 1, a PASID-capable mock device (stdev 2, idev 3) with its RID on ALLOC_PASID HWPT s2; s2b another. */
    @BeforeEach
    void open() {
        open(new FakeProcess().map(RO, 0x1000, false));
        assertEquals(0, iommufd(0x81, new Struct(12)));
        assertEquals(0, test(new Struct(72).u32(4, 12).u32(8, 1).u32(28, 1 << 2))); // MOCK_DOMAIN_FLAGS, MOCK_FLAGS_DEVICE_PASID
        stdev = p.u32(S + 16);
        int idev = p.u32(S + 24);
        s2 = hwptAlloc(idev);
        s2b = hwptAlloc(idev);
        assertEquals(0, test(new Struct(72).u32(4, 10).u32(8, stdev).u32(16, s2))); // MOCK_DOMAIN_REPLACE
    }


    private long test(Struct s) {
        return iommufd(0xa0, s);
    }

    private int hwptAlloc(int idev) {
        assertEquals(0, iommufd(0x89, new Struct(48).u32(4, 1 << 3).u32(8, idev).u32(12, 1))); // IOMMU_HWPT_ALLOC_PASID
        return p.u32(S + 16);
    }

    private Struct op(int op, int pasid, int id) {
        return new Struct(72).u32(4, op).u32(8, stdev).u32(16, pasid).u32(20, id);
    }

    @Test
    void attachReplaceDetachAndCheck() {
        assertEquals(0, test(op(OP_PASID_DETACH, 100, 0)));
        assertEquals(-EINVAL, test(op(OP_PASID_ATTACH, 100, 1))); // an IOAS: its automatic domain is not PASID-compatible
        assertEquals(0, test(op(OP_PASID_ATTACH, 100, s2)));
        assertEquals(s2, p.u32(S + 20));
        assertEquals(-EBUSY, test(op(OP_PASID_ATTACH, 100, s2b)));
        assertEquals(0, test(op(OP_PASID_CHECK_HWPT, 100, s2)));
        assertEquals(-EINVAL, test(op(OP_PASID_CHECK_HWPT, 100, 0)));
        assertEquals(-EINVAL, test(op(OP_PASID_REPLACE, 200, s2b)));
        assertEquals(0, test(op(OP_PASID_REPLACE, 100, s2b)));
        assertEquals(s2b, p.u32(S + 20));
        assertEquals(0, test(op(OP_PASID_CHECK_HWPT, 100, s2b)));
        assertEquals(0, test(op(OP_PASID_DETACH, 100, 0)));
        assertEquals(0, test(op(OP_PASID_CHECK_HWPT, 100, 0)));
        assertEquals(-ENOENT, test(new Struct(72).u32(4, OP_PASID_ATTACH).u32(8, 99).u32(16, 100).u32(20, s2)));
        // the mock's faked ENOMEM on the second set_dev_pasid of pasid 1024
        assertEquals(0, test(op(OP_PASID_ATTACH, 1024, s2)));
        assertEquals(-ENOMEM, test(op(OP_PASID_REPLACE, 1024, s2b)));
        assertEquals(0, test(op(OP_PASID_CHECK_HWPT, 1024, s2)));
        assertEquals("{}", gaps.gaps().toString());
    }

    @Test
    void attachWhoseCopyBackFaultsIsUndone() {
        p.put(RO, op(OP_PASID_ATTACH, 100, s2).bytes());
        assertEquals(-EFAULT, d.ioctl(0x3ba0, RO, p));
        assertEquals(0, test(op(OP_PASID_CHECK_HWPT, 100, 0)));
        // REPLACE keeps its effect when the copy-back faults, as the kernel
        assertEquals(0, test(op(OP_PASID_ATTACH, 100, s2)));
        p.put(RO, op(OP_PASID_REPLACE, 100, s2b).bytes());
        assertEquals(-EFAULT, d.ioctl(0x3ba0, RO, p));
        assertEquals(0, test(op(OP_PASID_CHECK_HWPT, 100, s2b)));
    }
}
