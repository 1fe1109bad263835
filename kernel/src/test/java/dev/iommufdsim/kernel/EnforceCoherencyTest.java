package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Vfio.IOMMU_VFIO_IOAS_SET;
import static dev.iommufdsim.kernel.uapi.Vfio.VFIO_DMA_CC_IOMMU;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.check.Invariants;
import dev.iommufdsim.kernel.check.Snapshot;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SPI-PROPOSALS 7: IOMMU_CAP_ENFORCE_CACHE_COHERENCY. iommufd_device_bind() reads it into
 * idev->enforce_cache_coherency; iommufd_hwpt_paging_alloc() then has every paging domain made
 * for such a device enforce coherency (iommufd_hwpt_paging_enforce_cc(), hw_pagetable.c:72),
 * and the driver refuses to attach a device that cannot (EINVAL), which makes automatic domain
 * selection move on to another HWPT; iommufd_vfio_cc_iommu() reports the result. The "regions"
 * test driver answers the capability from the device property enforce_cc and refuses like
 * arm_smmu_attach_prepare().
 */
class EnforceCoherencyTest {
    private final Machine m = TestDrivers.machine();
    private final IommufdCtx ctx = m.open();

    private int bind(String name, String bdf, boolean enforceCc) {
        return ctx.vfioDeviceBind(m.declareDevice(name, "r0", bdf, null, Map.of("enforce_cc", enforceCc)), 0);
    }

    private HwptPaging hwpt(int id) {
        return (HwptPaging) ctx.object(id);
    }

    EnforceCoherencyTest() {
        m.declareIommu("r0", "regions", Map.of());
    }

    /** A coherent device's automatic HWPT enforces; a device that cannot snoop gets a HWPT of its own. */
    @Test
    void autoDomainOfACoherentDeviceIsNotSharedWithOneThatCannot() {
        int cc = bind("cc", "0000:01:00.0", true);
        int nc = bind("nc", "0000:02:00.0", false);
        assertTrue(((IommufdDevice) ctx.object(cc)).enforceCacheCoherency());
        int ioas = ctx.ioasAlloc(0);
        int h1 = ctx.vfioDeviceAttach(cc, 0, ioas, 0);
        assertTrue(hwpt(h1).enforcesCacheCoherency());
        int h2 = ctx.vfioDeviceAttach(nc, 0, ioas, 0);
        assertEquals(h1 + 1, h2, "the EINVAL made iommufd_device_auto_get_domain() allocate a new HWPT");
        assertFalse(hwpt(h2).enforcesCacheCoherency());
    }

    /** The other order: a HWPT that does not enforce takes any device (hw_pagetable.c:168's comment). */
    @Test
    void aNonEnforcingHwptTakesACoherentDevice() {
        int nc = bind("nc", "0000:02:00.0", false);
        int cc = bind("cc", "0000:01:00.0", true);
        int ioas = ctx.ioasAlloc(0);
        int h = ctx.vfioDeviceAttach(nc, 0, ioas, 0);
        assertEquals(h, ctx.vfioDeviceAttach(cc, 0, ioas, 0));
        assertFalse(hwpt(h).enforcesCacheCoherency());
    }

    /** An explicit attach to an enforcing HWPT fails EINVAL and leaves the IOAS and the device as they were. */
    @Test
    void attachToAnEnforcingHwptFailsAndChangesNothing() {
        int cc = bind("cc", "0000:01:00.0", true);
        int nc = bind("nc", "0000:02:00.0", false);
        int ioas = ctx.ioasAlloc(0);
        int h = ctx.hwptAlloc(0, cc, ioas, 0, null, 0, 0);
        Snapshot before = Snapshot.of(m);
        IommufdException e = errno(EINVAL, () -> ctx.vfioDeviceAttach(nc, 0, h, 0));
        assertTrue(e.reason().contains("nc"), e.reason());
        assertEquals(before, Snapshot.of(m), () -> before.diff(Snapshot.of(m), 5));
        assertNull(((IommufdDevice) ctx.object(nc)).attachedHwpt());
        assertTrue(Invariants.check(m).ok());
    }

    /** A driver that reports the capability but whose enforce_cache_coherency fails: HWPT_ALLOC EINVAL, no ID taken. */
    @Test
    void aDriverThatCannotKeepItsWordFailsTheAllocation() {
        m.declareIommu("broken", "regions", Map.of("broken_cc", true));
        int dev = ctx.vfioDeviceBind(m.declareDevice("cc", "broken", "0000:03:00.0", null, Map.of("enforce_cc", true)), 0);
        int ioas = ctx.ioasAlloc(0);
        IommufdException e = errno(EINVAL, () -> ctx.hwptAlloc(0, dev, ioas, 0, null, 0, 0));
        assertTrue(e.reason().contains("enforce_cache_coherency"), e.reason());
        errno(EINVAL, () -> ctx.vfioDeviceAttach(dev, 0, ioas, 0));
        assertEquals(ioas + 1, ctx.ioasAlloc(0));
    }

    /** iommufd_vfio_cc_iommu(): 1 when every paging HWPT of the compat IOAS enforces coherency. */
    @Test
    void vfioDmaCcIommuFollowsTheHwpts() {
        int cc = bind("cc", "0000:01:00.0", true);
        int nc = bind("nc", "0000:02:00.0", false);
        int ioas = ctx.ioasAlloc(0);
        ctx.vfioIoas(IOMMU_VFIO_IOAS_SET, ioas, 0);
        assertEquals(1, ctx.vfioCheckExtension(VFIO_DMA_CC_IOMMU));
        ctx.vfioDeviceAttach(cc, 0, ioas, 0);
        assertEquals(1, ctx.vfioCheckExtension(VFIO_DMA_CC_IOMMU), "one HWPT, enforcing");
        ctx.vfioDeviceAttach(nc, 0, ioas, 0);
        assertEquals(0, ctx.vfioCheckExtension(VFIO_DMA_CC_IOMMU), "the second HWPT does not enforce");
    }
}
