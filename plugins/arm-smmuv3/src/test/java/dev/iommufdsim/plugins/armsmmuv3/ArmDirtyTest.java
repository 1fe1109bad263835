package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.SZ_2M;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.SZ_4K;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.alloc;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.errno;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.pci;
import static dev.iommufdsim.plugins.armsmmuv3.ArmSmmuV3Test.smmu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.DirtyBitmap;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * arm_smmu_dirty_ops (arm-smmu-v3.c:4226-4245) over io-pgtable-arm.c's
 * arm_lpae_read_and_clear_dirty() with IO_PGTABLE_QUIRK_ARM_HD: a stage-1 domain's writable
 * leaves record HTTU's dirty state, reported per leaf with the leaf's block size.
 */
class ArmDirtyTest {
    static final int RW = ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE;
    static final long BASE = 0x40000000L;

    /** The httu option sets IDR0.HTTU = access + dirty: FEAT_HD (arm_smmu_device_hw_probe). */
    private final ArmSmmuV3Instance s = smmu(Map.of("httu", true));
    private final DeviceInfo nic = pci("nic0", "0000:01:00.0", Map.of());
    private final PagingDomain d = alloc(s, nic, Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);

    private String read(long iova, long size, long flags) {
        StringBuilder b = new StringBuilder();
        s.readAndClearDirty(d, iova, size, flags, (va, len) -> b.append(String.format("[0x%x 0x%x]", va, len)));
        return b.toString();
    }

    /**
     * arm_lpae_prot_to_pte() with IO_PGTABLE_QUIRK_ARM_HD gives a writable leaf DBM without
     * AP_RDONLY: it is writable-dirty from the moment it is mapped (iopte_writeable_dirty), so
     * the first read reports it with no DMA; a read-only leaf (AP_RDONLY, no DBM) never is.
     */
    @Test
    void aWritableLeafIsDirtyFromItsMap() {
        s.mapPages(d, BASE, BASE, SZ_4K, 2, RW);
        s.mapPages(d, BASE + 2 * SZ_4K, BASE + 2 * SZ_4K, SZ_4K, 1, ResvRegion.IOMMU_READ);
        s.mapPages(d, BASE + SZ_2M, BASE + SZ_2M, SZ_2M, 1, RW);
        assertEquals("[0x40000000 0x1000][0x40001000 0x1000]", read(BASE, 3 * SZ_4K, 0));
        assertEquals("[0x40200000 0x200000]", read(BASE + SZ_2M, SZ_2M, 0));
        assertEquals("", read(BASE, 3 * SZ_4K, 0) + read(BASE + SZ_2M, SZ_2M, 0), "read and cleared: writable-clean now");
    }

    /** Maps and makes the leaves writable-clean, as iopt_clear_dirty_data() does before tracking is enabled. */
    private void mapClean(long iova, long pgsize, long pgcount, int prot) {
        s.mapPages(d, iova, iova, pgsize, pgcount, prot);
        read(iova, pgsize * pgcount, 0);
    }

    @Test
    void setDirtyTrackingAlwaysSucceeds() {
        assertTrue(s.capabilities(nic).dirtyTracking());
        assertTrue(d.dirtyTracking(), "stage 1 with DIRTY_TRACKING has arm_smmu_dirty_ops");
        s.setDirtyTracking(d, true);
        s.setDirtyTracking(d, false);
        s.setDirtyTracking(d, false);
    }

    /** visit_dirty(): each dirty leaf once, its whole size; cleared unless IOMMU_DIRTY_NO_CLEAR. */
    @Test
    void writesAreReportedPerLeafAndCleared() {
        mapClean(BASE, SZ_4K, 16, RW);
        mapClean(BASE + SZ_2M, SZ_2M, 1, RW);
        s.setDirtyTracking(d, true);
        s.dmaWrite(nic, d, BASE + 0x1800, 0x1000); // straddles pages 1 and 2
        s.dmaWrite(nic, d, BASE + SZ_2M + 0x12345, 1); // one byte of the 2M block
        String all = "[0x40001000 0x1000][0x40002000 0x1000][0x40200000 0x200000]";
        assertEquals(all, readBoth(DirtyBitmap.IOMMU_DIRTY_NO_CLEAR));
        assertEquals(all, readBoth(0));
        assertEquals("", readBoth(0), "read and cleared");
    }

    /** The 16 pages at BASE and the 2M block at BASE + 2M, each read alone, as iommufd reads per area (the walk stops at a hole). */
    private String readBoth(long flags) {
        return read(BASE, 16 * SZ_4K, flags) + read(BASE + SZ_2M, SZ_2M, flags);
    }

    /** arm_lpae_read_and_clear_dirty() over a hole: the walk records up to it, then EINVAL (io_pgtable_visit). */
    @Test
    void aReadAcrossAHoleStopsThereWithEinval() {
        mapClean(BASE, SZ_4K, 1, RW);
        mapClean(BASE + 2 * SZ_4K, SZ_4K, 1, RW);
        s.dmaWrite(nic, d, BASE, 1);
        s.dmaWrite(nic, d, BASE + 2 * SZ_4K, 1);
        StringBuilder b = new StringBuilder();
        assertEquals(EINVAL, errno(() -> s.readAndClearDirty(d, BASE, 3 * SZ_4K, 0,
                (va, len) -> b.append(String.format("[0x%x 0x%x]", va, len)))));
        assertEquals("[0x40000000 0x1000]", b.toString());
        assertEquals("[0x40002000 0x1000]", read(BASE + 2 * SZ_4K, SZ_4K, 0));
    }

    /** HTTU does not ask iommufd: writes are recorded also while tracking is "disabled". */
    @Test
    void httuRecordsRegardlessOfSetDirtyTracking() {
        mapClean(BASE, SZ_4K, 4, RW);
        s.setDirtyTracking(d, false);
        s.dmaWrite(nic, d, BASE, 1);
        assertEquals("[0x40000000 0x1000]", read(BASE, 4 * SZ_4K, 0));
    }

    /**
     * The walk address starts at iova: a read that begins inside a dirty 2M block reports the
     * block's size from there (arm_lpae_read_and_clear_dirty with walk_data.addr = iova).
     */
    @Test
    void aReadStartingInsideABlockReportsFromThere() {
        mapClean(BASE, SZ_2M, 1, RW);
        s.dmaWrite(nic, d, BASE, 1);
        assertEquals("[0x40001000 0x200000]", read(BASE + SZ_4K, SZ_2M - SZ_4K, 0));
    }

    /** A read-only leaf has no DBM: a write is a permission fault and changes nothing. */
    @Test
    void writeToReadOnlyOrUnmappedFaultsAndChangesNothing() {
        mapClean(BASE, SZ_4K, 1, RW);
        mapClean(BASE + SZ_4K, SZ_4K, 1, ResvRegion.IOMMU_READ);
        assertEquals(EFAULT, errno(() -> s.dmaWrite(nic, d, BASE, 2 * SZ_4K)));
        assertEquals(EFAULT, errno(() -> s.dmaWrite(nic, d, BASE, 3 * SZ_4K)));
        assertEquals("", read(BASE, 2 * SZ_4K, 0), "the writable first page was not marked either");
    }

    /** arm_lpae_unmap_pages(): the leaves and their dirty state go. */
    @Test
    void unmapDropsDirtyBits() {
        mapClean(BASE, SZ_4K, 4, RW);
        s.dmaWrite(nic, d, BASE, 4 * SZ_4K);
        s.unmapPages(d, BASE, 4 * SZ_4K);
        s.mapPages(d, BASE, BASE, SZ_4K, 4, ResvRegion.IOMMU_READ);
        assertEquals("", read(BASE, 4 * SZ_4K, 0));
    }

    /** Stage 2 never has dirty_ops; its io-pgtable refuses (fmt != ARM_64_LPAE_S1 -> EINVAL); a write records nothing. */
    @Test
    void stage2HasNoDirtyState() {
        PagingDomain s2 = alloc(s, nic, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        assertFalse(s2.dirtyTracking());
        assertEquals(EINVAL, errno(() -> s.readAndClearDirty(s2, BASE, SZ_4K, 0, (va, len) -> {
        })));
        s.dmaWrite(nic, s2, BASE, SZ_4K);
    }

    /** arm_lpae_read_and_clear_dirty(): size 0 or a range past the input size -> EINVAL. */
    @Test
    void readOutsideTheInputRange() {
        assertEquals(EINVAL, errno(() -> s.readAndClearDirty(d, BASE, 0, 0, (va, len) -> {
        })));
        assertEquals(EINVAL, errno(() -> s.readAndClearDirty(d, 1L << 48, SZ_4K, 0, (va, len) -> {
        })));
    }
}
