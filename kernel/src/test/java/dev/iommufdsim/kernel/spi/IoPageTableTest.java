package dev.iommufdsim.kernel.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import org.junit.jupiter.api.Test;

/**
 * The shared IOPTE store: the two walks report the same leaves differently only when a read
 * starts inside a leaf (generic_pt's record_dirty takes each later leaf from its start,
 * io-pgtable-arm's walk address keeps the offset), and a device write is all or nothing.
 */
class IoPageTableTest {
    static final long K4 = 4096;
    static final long M2 = 2L << 20;
    static final int RW = ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE;

    private static String read(IoPageTable t, long iova, long size) {
        StringBuilder b = new StringBuilder();
        t.readAndClearDirty(iova, size, 0, (va, len) -> b.append(String.format("[0x%x 0x%x]", va, len)));
        return b.toString();
    }

    /** Two dirty 2 MiB blocks read from 4 KiB into the first. */
    private static String twoBlocksReadFromInside(IoPageTable.Format f) {
        IoPageTable t = new IoPageTable(f);
        t.map(0, M2, 2, RW);
        t.writeDirty(0, 2 * M2);
        return read(t, K4, 2 * M2 - K4);
    }

    @Test
    void genericPtTakesLaterLeavesFromTheirStart() {
        assertEquals("[0x1000 0x200000][0x200000 0x200000]", twoBlocksReadFromInside(IoPageTable.Format.genericPt(12, 9)));
    }

    @Test
    void ioPgtableArmKeepsTheWalkOffset() {
        assertEquals("[0x1000 0x200000][0x201000 0x200000]", twoBlocksReadFromInside(IoPageTable.Format.ioPgtableArm(12)));
    }

    /**
     * io-pgtable-arm's walk visits the leaf that holds its walk address, which each leaf
     * advances by its own size (io_pgtable_visit): after a 2 MiB block read from 4 KiB in, the
     * address is 4 KiB into the next leaf, so the 4 KiB leaf at 2 MiB is skipped (neither
     * reported nor cleared) and the later 4 KiB leaves are reported from their start.
     */
    @Test
    void ioPgtableArmVisitsTheLeafAtTheWalkAddress() {
        IoPageTable t = new IoPageTable(IoPageTable.Format.ioPgtableArm(12));
        t.map(0, M2, 1, RW);
        t.map(M2, K4, 4, RW); // writable leaves are dirty from their map
        assertEquals("[0x1000 0x200000][0x201000 0x1000][0x202000 0x1000][0x203000 0x1000]", read(t, K4, M2 + 3 * K4));
        assertEquals("[0x200000 0x1000]", read(t, 0, M2 + 4 * K4), "the skipped leaf kept its dirty state");
    }

    /** io_pgtable_visit(): an entry that is neither leaf nor table ends the walk with EINVAL, after what it recorded. */
    @Test
    void ioPgtableArmWalkStopsAtAHole() {
        IoPageTable t = new IoPageTable(IoPageTable.Format.ioPgtableArm(12));
        t.map(0, K4, 1, RW);
        t.map(2 * K4, K4, 1, RW);
        StringBuilder b = new StringBuilder();
        IommufdException e = assertThrows(IommufdException.class,
                () -> t.readAndClearDirty(0, 3 * K4, 0, (va, len) -> b.append(String.format("[0x%x 0x%x]", va, len))));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("[0x0 0x1000]", b.toString());
        assertEquals("[0x2000 0x1000]", read(t, 2 * K4, K4));
    }

    @Test
    void writesAreAllOrNothing() {
        IoPageTable t = new IoPageTable(IoPageTable.Format.genericPt(12, 9));
        t.map(0, K4, 2, RW);
        t.map(2 * K4, K4, 1, ResvRegion.IOMMU_READ);
        assertEquals(2 * K4, t.firstUnwritable(0, 3 * K4));
        assertEquals(2 * K4, t.firstUnwritable(0, 4 * K4), "the read-only page comes before the hole");
        assertEquals(-1, t.firstUnwritable(K4, K4));
        IommufdException e = assertThrows(IommufdException.class, () -> t.writeDirty(0, 3 * K4));
        assertEquals(Errno.EFAULT, e.errno());
        assertEquals("iova 0x2000 is mapped read-only", e.reason());
        assertEquals("", read(t, 0, 3 * K4));
        t.writeDirty(K4 - 1, 2);
        assertEquals("[0x0 0x1000][0x1000 0x1000]", read(t, 0, 3 * K4));
        t.unmap(0, 3 * K4);
        assertEquals(0, t.leafCount());
        assertEquals(Errno.EFAULT, assertThrows(IommufdException.class, () -> t.writeDirty(0, 1)).errno());
    }
}
