package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_PASID;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * PASID attach of device.c (iommufd_device_attach/replace/detach with a pasid) and iommu.c
 * (iommu_attach_device_pasid, iommu_replace_device_pasid) through the selftest ops
 * IOMMU_TEST_OP_PASID_ATTACH/REPLACE/DETACH/CHECK_HWPT, in the order of the selftest
 * iommufd_device_pasid.pasid_attach (paging HWPTs here: the test mock has no nested domains;
 * corpus/ops/h-pasid-attach.ops covers nested ones with the real mock plugin).
 */
class PasidAttachTest {
    static final int PASID_DEV = Selftest.MOCK_FLAGS_DEVICE_PASID;
    /** Fixture IDs: ioas 1, the PASID-capable stdev 2 / idev 3 on auto HWPT 4, then (no_pasid) stdev 5 / idev 6. */
    static final int IOAS = 1;
    static final int STDEV = 2;
    static final int IDEV = 3;
    static final int NO_PASID_STDEV = 5;

    /** FIXTURE_SETUP(iommufd_device_pasid). */
    static IommufdCtx fixture(boolean pasidCapable) {
        IommufdCtx ctx = TestDrivers.machine().open();
        assertEquals(IOAS, ctx.ioasAlloc(0));
        Selftest.MockDomain m = ctx.selftest().mockDomain(IOAS, PASID_DEV);
        assertEquals(new Selftest.MockDomain(STDEV, 4, IDEV), m);
        if (!pasidCapable) {
            assertEquals(NO_PASID_STDEV, ctx.selftest().mockDomain(IOAS, 0).outStdevId());
        }
        return ctx;
    }

    private static int hwpt(IommufdCtx ctx, int flags) {
        return ctx.hwptAlloc(flags, IDEV, IOAS, 0, null, 0, 0);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void compatibilityRulesBothWays(boolean pasidCapable) {
        IommufdCtx ctx = fixture(pasidCapable);
        Selftest st = ctx.selftest();
        st.pasidDetach(STDEV, 100); // detaching what is not attached is no error
        int parent = hwpt(ctx, IOMMU_HWPT_ALLOC_NEST_PARENT);
        int s2 = hwpt(ctx, IOMMU_HWPT_ALLOC_PASID);
        int s2b = hwpt(ctx, IOMMU_HWPT_ALLOC_PASID);
        // the RID on a domain that is not PASID-compatible: no PASID attach
        errno(EINVAL, () -> st.pasidAttach(STDEV, 100, s2));
        st.mockDomainReplace(STDEV, parent);
        errno(EINVAL, () -> st.pasidAttach(STDEV, 100, s2));
        st.mockDomainReplace(STDEV, s2);
        assertEquals(s2b, st.pasidAttach(STDEV, 100, s2b));
        // ... and with a PASID attached the RID cannot go back to such a domain
        errno(EINVAL, () -> st.mockDomainReplace(STDEV, parent));
        st.pasidCheckHwpt(STDEV, 100, s2b);
        st.pasidDetach(STDEV, 100);
        st.pasidCheckHwpt(STDEV, 100, 0);
        // a HWPT not allocated with IOMMU_HWPT_ALLOC_PASID, and an IOAS (its automatic domain is not)
        errno(EINVAL, () -> st.pasidAttach(STDEV, 100, parent));
        int objects = ctx.objectList().size();
        java.util.BitSet ids = ctx.takenIds();
        errno(EINVAL, () -> st.pasidAttach(STDEV, 100, IOAS));
        st.pasidCheckHwpt(STDEV, 100, 0);
        // the automatic HWPT made for the IOAS was aborted: no object, no ID left behind
        assertEquals(objects, ctx.objectList().size());
        assertEquals(ids, ctx.takenIds());
        if (!pasidCapable) {
            // a device without PASID support (max_pasids 1: PASID 0 only), whatever the domain
            st.mockDomainReplace(NO_PASID_STDEV, s2);
            errno(EINVAL, () -> st.pasidAttach(NO_PASID_STDEV, 100, s2));
            st.mockDomainReplace(NO_PASID_STDEV, IOAS);
            errno(EINVAL, () -> st.pasidAttach(NO_PASID_STDEV, 100, s2));
        }
    }

    @Test
    void attachReplaceDetach() {
        IommufdCtx ctx = fixture(true);
        Selftest st = ctx.selftest();
        int s2 = hwpt(ctx, IOMMU_HWPT_ALLOC_PASID);
        int s2b = hwpt(ctx, IOMMU_HWPT_ALLOC_PASID);
        st.mockDomainReplace(STDEV, s2);
        st.pasidAttach(STDEV, 100, s2b);
        // attach never overwrites: EBUSY with the same or another HWPT (use replace)
        errno(EBUSY, () -> st.pasidAttach(STDEV, 100, s2b));
        errno(EBUSY, () -> st.pasidAttach(STDEV, 100, s2));
        // the attachment holds the HWPT
        errno(EBUSY, () -> ctx.destroy(s2b));
        st.pasidDetach(STDEV, 100);
        // replace needs an attachment; a failed replace keeps the old HWPT
        errno(EINVAL, () -> st.pasidReplace(STDEV, 200, s2));
        st.pasidAttach(STDEV, 200, s2);
        errno(EINVAL, () -> st.pasidReplace(STDEV, 200, IOAS));
        st.pasidCheckHwpt(STDEV, 200, s2);
        assertEquals(s2b, st.pasidReplace(STDEV, 200, s2b));
        st.pasidCheckHwpt(STDEV, 200, s2b);
        st.pasidReplace(STDEV, 200, s2b); // the same HWPT: nothing to do
        errno(EINVAL, () -> st.pasidCheckHwpt(STDEV, 200, s2));
        errno(EINVAL, () -> st.pasidCheckHwpt(STDEV, 200, 0));
        st.pasidDetach(STDEV, 200);
        ctx.destroy(s2b); // released by the detach
        // the check's own look-ups: a HWPT ID of another type is EINVAL, a missing one ENOENT,
        // the stdev must be a selftest object
        errno(EINVAL, () -> st.pasidCheckHwpt(STDEV, 200, IOAS));
        errno(ENOENT, () -> st.pasidCheckHwpt(STDEV, 200, 99));
        errno(ENOENT, () -> st.pasidCheckHwpt(IDEV, 200, 0));
        errno(ENOENT, () -> st.pasidAttach(IDEV, 200, s2));
    }

    @Test
    void maxPasidsOfTheDevice() {
        IommufdCtx ctx = fixture(true);
        Selftest st = ctx.selftest();
        int s2 = hwpt(ctx, IOMMU_HWPT_ALLOC_PASID);
        st.mockDomainReplace(STDEV, s2);
        errno(EINVAL, () -> st.pasidAttach(STDEV, 1 << 20, s2));
        errno(EINVAL, () -> st.pasidAttach(STDEV, -1, s2));
        st.pasidAttach(STDEV, (1 << 20) - 1, s2);
        st.pasidCheckHwpt(STDEV, (1 << 20) - 1, s2);
        // PASID 0 is the RID, attached already
        errno(EBUSY, () -> st.pasidAttach(STDEV, 0, s2));
        assertEquals(20, ctx.getHwInfo(0, IDEV, 0, 0, null).outMaxPasidLog2());
    }

    /** The mock fails every second set_dev_pasid of pasid 1024: a replace then keeps the old domain. */
    @Test
    void failedReplaceKeepsTheOldDomain() {
        IommufdCtx ctx = fixture(true);
        Selftest st = ctx.selftest();
        int s2 = hwpt(ctx, IOMMU_HWPT_ALLOC_PASID);
        int s2b = hwpt(ctx, IOMMU_HWPT_ALLOC_PASID);
        st.mockDomainReplace(STDEV, s2);
        st.pasidAttach(STDEV, 1024, s2);
        errno(ENOMEM, () -> st.pasidReplace(STDEV, 1024, s2b));
        st.pasidCheckHwpt(STDEV, 1024, s2);
        ctx.destroy(s2b); // the failed replace took no reference
        int s2c = hwpt(ctx, IOMMU_HWPT_ALLOC_PASID);
        st.pasidReplace(STDEV, 1024, s2c);
        st.pasidCheckHwpt(STDEV, 1024, s2c);
        // the blocked domain clears the fake error: attach, detach, attach all work
        st.pasidDetach(STDEV, 1024);
        st.pasidAttach(STDEV, 1024, s2);
        st.pasidDetach(STDEV, 1024);
        st.pasidAttach(STDEV, 1024, s2);
        // a failed first attach leaves nothing attached
        st.pasidDetach(STDEV, 1024);
        st.pasidAttach(STDEV, 1024, s2);
        errno(ENOMEM, () -> st.pasidReplace(STDEV, 1024, s2c));
        st.pasidCheckHwpt(STDEV, 1024, s2);
    }

    /** A context closed with a PASID still attached (a test stopped half-way) closes cleanly. */
    @Test
    void closeWithAPasidAttached() {
        IommufdCtx ctx = fixture(true);
        Selftest st = ctx.selftest();
        int s2 = hwpt(ctx, IOMMU_HWPT_ALLOC_PASID);
        st.mockDomainReplace(STDEV, s2);
        st.pasidAttach(STDEV, 2048, s2);
        ctx.close();
        assertEquals(0, ctx.objectList().size());
    }
}
