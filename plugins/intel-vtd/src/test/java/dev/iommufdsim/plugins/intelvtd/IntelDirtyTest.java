package dev.iommufdsim.plugins.intelvtd;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.NIC;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.RW;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.SZ_2M;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.SZ_4K;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.alloc;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.errno;
import static dev.iommufdsim.plugins.intelvtd.IntelVtdTest.unit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.DirtyBitmap;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * intel_second_stage_dirty_ops (iommu.c:2921): generic_pt's read_and_clear_dirty over the
 * vtdss format, and intel_iommu_set_dirty_tracking (iommu.c:3767) with SSADE in the PASID
 * entries (pasid.c:489).
 */
class IntelDirtyTest {
    static final long BASE = 0x100000000L;

    private final IntelVtdInstance u = unit(Map.of());
    private final PagingDomain d = alloc(u, Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);

    private String read(PagingDomain dom, long iova, long size, long flags) {
        StringBuilder b = new StringBuilder();
        u.readAndClearDirty(dom, iova, size, flags, (va, len) -> b.append(String.format("[0x%x 0x%x]", va, len)));
        return b.toString();
    }

    @Test
    void setDirtyTrackingEnablesAndDisables() {
        assertTrue(d.dirtyTracking());
        u.setDirtyTracking(d, true);
        u.setDirtyTracking(d, true); // dirty_tracking == enable: nothing to do
        u.setDirtyTracking(d, false);
    }

    /** record_dirty() of a vtdss leaf: its whole size (4K or 2M), cleared unless NO_CLEAR. */
    @Test
    void writesWhileTrackingAreReportedPerLeaf() {
        u.mapPages(d, BASE, BASE, SZ_4K, 8, RW);
        u.mapPages(d, BASE + SZ_2M, BASE + SZ_2M, SZ_2M, 1, RW);
        u.setDirtyTracking(d, true);
        u.dmaWrite(NIC, d, BASE + 0xfff, 2); // the last byte of page 0 and the first of page 1
        u.dmaWrite(NIC, d, BASE + SZ_2M + SZ_4K, SZ_4K);
        String all = "[0x100000000 0x1000][0x100001000 0x1000][0x100200000 0x200000]";
        assertEquals(all, read(d, BASE, 2 * SZ_2M, DirtyBitmap.IOMMU_DIRTY_NO_CLEAR));
        assertEquals(all, read(d, BASE, 2 * SZ_2M, 0));
        assertEquals("", read(d, BASE, 2 * SZ_2M, 0));
    }

    /** SSADE clear: the hardware sets no D bit; reading still works (no EINVAL in 7.2's generic_pt op). */
    @Test
    void nothingIsRecordedWhileTrackingIsOff() {
        u.mapPages(d, BASE, BASE, SZ_4K, 8, RW);
        u.dmaWrite(NIC, d, BASE, 8 * SZ_4K);
        assertEquals("", read(d, BASE, 8 * SZ_4K, 0));
        u.setDirtyTracking(d, true);
        u.dmaWrite(NIC, d, BASE, 1);
        u.setDirtyTracking(d, false);
        u.dmaWrite(NIC, d, BASE + SZ_4K, 1);
        assertEquals("[0x100000000 0x1000]", read(d, BASE, 8 * SZ_4K, 0), "bits set while on stay until read");
    }

    @Test
    void unmapDropsDirtyBits() {
        u.mapPages(d, BASE, BASE, SZ_4K, 2, RW);
        u.setDirtyTracking(d, true);
        u.dmaWrite(NIC, d, BASE, 2 * SZ_4K);
        u.unmapPages(d, BASE, 2 * SZ_4K);
        u.mapPages(d, BASE, BASE, SZ_4K, 2, RW);
        assertEquals("", read(d, BASE, 2 * SZ_4K, 0));
    }

    @Test
    void faultsChangeNothing() {
        u.mapPages(d, BASE, BASE, SZ_4K, 1, RW);
        u.mapPages(d, BASE + SZ_4K, BASE + SZ_4K, SZ_4K, 1, ResvRegion.IOMMU_READ);
        u.setDirtyTracking(d, true);
        assertEquals(EFAULT, errno(() -> u.dmaWrite(NIC, d, BASE, 2 * SZ_4K)), "the second page is read-only");
        assertEquals(EFAULT, errno(() -> u.dmaWrite(NIC, d, BASE + 2 * SZ_4K, 1)), "unmapped");
        assertEquals("", read(d, BASE, 2 * SZ_4K, 0));
        assertEquals(EINVAL, errno(() -> u.readAndClearDirty(d, BASE, 0, 0, (va, len) -> {
        })));
    }

    /**
     * A nesting parent with dirty_ops: parent_domain_set_dirty_tracking() sets SSADE for the
     * devices of its nested domains too, so a device attached to a nested domain writes the
     * parent's leaves dirty exactly while the parent's tracking is on.
     */
    @Test
    void nestParentPropagatesToNestedDevices() {
        PagingDomain parent = alloc(u, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT | Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
        assertTrue(parent.dirtyTracking());
        u.domainAllocNested(NIC, parent, 0, Uapi.IOMMU_HWPT_DATA_VTD_S1, IntelNestingTest.s1(0, 0x1000, 48, 0))
                .attachDev(NIC, null);
        u.mapPages(parent, BASE, BASE, SZ_4K, 4, RW);
        u.dmaWrite(NIC, parent, BASE, 1);
        assertEquals("", read(parent, BASE, 4 * SZ_4K, 0));
        u.setDirtyTracking(parent, true);
        u.dmaWrite(NIC, parent, BASE + SZ_4K, 1);
        assertEquals("[0x100001000 0x1000]", read(parent, BASE, 4 * SZ_4K, 0));
    }

    /** First-stage domains and second stage without DIRTY_TRACKING have no dirty_ops and record nothing. */
    @Test
    void domainsWithoutDirtyOps() {
        PagingDomain fs = alloc(u, 0);
        assertFalse(fs.dirtyTracking());
        u.dmaWrite(NIC, fs, BASE, SZ_4K);
        assertEquals(EINVAL, errno(() -> u.setDirtyTracking(fs, true)));
    }
}
