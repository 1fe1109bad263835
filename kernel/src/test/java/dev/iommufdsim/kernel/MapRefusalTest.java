package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.RW;
import static dev.iommufdsim.kernel.WorkedScriptTest.V;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.check.Invariants;
import dev.iommufdsim.kernel.check.Snapshot;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SPI-PROPOSALS 3: a driver's map_pages refusing a mapping (IommuInstance.checkMap), reached
 * from iopt_fill_domains_pages() (IOAS_MAP, IOAS_COPY) and iopt_fill_domain() (a domain joining
 * an IOAS). The "regions" test driver refuses read-only areas in a nesting parent, as VT-d's
 * vtdss_pt_iommu_set_prot() does with PT_FEAT_VTDSS_FORCE_WRITEABLE.
 */
class MapRefusalTest {
    static final long RO_FIXED = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA;

    private final Machine m = TestDrivers.machine();
    private final IommufdCtx ctx = m.open();
    private final int dev;

    MapRefusalTest() {
        m.declareIommu("r0", "regions", Map.of());
        dev = ctx.vfioDeviceBind(m.declareDevice("nic", "r0", "0000:01:00.0", null, Map.of()), 0);
    }

    private void assertUnchanged(Snapshot before) {
        assertEquals(before, Snapshot.of(m), () -> before.diff(Snapshot.of(m), 5));
        assertTrue(Invariants.check(m).ok(), () -> Invariants.check(m).toString());
    }

    /** IOAS_MAP without WRITEABLE into an IOAS holding a nesting parent: EINVAL, nothing mapped, nothing pinned. */
    @Test
    void readOnlyMapIntoANestingParentFails() {
        int ioas = ctx.ioasAlloc(0);
        int parent = ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
        ctx.ioasMap(ioas, FIXED, V, 0x2000, 0x100000, 0);
        Snapshot before = Snapshot.of(m);
        IommufdException e = errno(EINVAL, () -> ctx.ioasMap(ioas, (int) RO_FIXED, V + 0x10000, 0x1000, 0x200000, 0));
        assertEquals("iommu_map of area 0x200000-0x200fff (READABLE only) into hwpt " + parent
                + ": regions: read-only mapping 0x200000+0x1000 in a nesting parent", e.reason());
        errno(EINVAL, () -> ctx.ioasMap(ioas, IOMMU_IOAS_MAP_READABLE, V + 0x10000, 0x1000, 0, 0)); // an automatic IOVA alike
        assertUnchanged(before);
        assertEquals(1, ctx.ioasIovaRanges(ioas, 16, 0).ranges().size(), "the IOVA is free again");
        ctx.ioasMap(ioas, FIXED, V + 0x10000, 0x1000, 0x200000, 0); // WRITEABLE: accepted
    }

    /** IOAS_COPY takes the new area's prot from its own flags: READABLE only is refused alike, and rolled back. */
    @Test
    void readOnlyCopyIntoANestingParentFails() {
        int src = ctx.ioasAlloc(0);
        ctx.ioasMap(src, FIXED, V, 0x4000, 0x100000, 0);
        int dst = ctx.ioasAlloc(0);
        ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, dst, 0, null, 0, 0);
        Snapshot before = Snapshot.of(m);
        errno(EINVAL, () -> ctx.ioasCopy((int) RO_FIXED, dst, src, 0x4000, 0x300000, 0x100000));
        assertUnchanged(before);
        assertEquals(0x300000, ctx.ioasCopy(RW | IOMMU_IOAS_MAP_FIXED_IOVA, dst, src, 0x4000, 0x300000, 0x100000));
    }

    /**
     * iopt_table_add_domain() -> iopt_fill_domain(): a nesting parent cannot join an IOAS that
     * holds a read-only area (HWPT_ALLOC fails EINVAL, the ID is given back, every area's pin
     * released), while a plain domain, which the driver does not restrict, can.
     */
    @Test
    void nestingParentCannotJoinAnIoasWithAReadOnlyArea() {
        int ioas = ctx.ioasAlloc(0);
        ctx.ioasMap(ioas, FIXED, V, 0x1000, 0x100000, 0);
        ctx.ioasMap(ioas, (int) RO_FIXED, V + 0x10000, 0x1000, 0x200000, 0);
        Snapshot before = Snapshot.of(m);
        IommufdException e = errno(EINVAL, () -> ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0));
        assertTrue(e.reason().startsWith("dev " + dev + " (nic), ioas " + ioas + ": iommu_map of area 0x200000-0x200fff (READABLE only)"),
                e.reason());
        assertUnchanged(before);
        int plain = ctx.hwptAlloc(0, dev, ioas, 0, null, 0, 0);
        assertEquals(ioas + 1, plain, "the failed HWPT_ALLOC took no ID");
        HwptPaging h = (HwptPaging) ctx.object(plain);
        assertEquals(2, ((TestDrivers.RegionsDomain) h.domain().driverState()).checkMapCalls, "asked once per area");
    }
}
