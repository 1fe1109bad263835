package dev.iommufdsim.plugins.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Unit tests of the driver, without the kernel: instantiate it, call the spi, compare with the
 * values your hardware's kernel driver gives (for a real driver, cite the kernel function).
 */
class AcmeIommuTest {
    private final IommuInstance acme = new AcmeIommuDriver().probe("acme0", Map.of());
    private final DeviceInfo dev = new DeviceInfo("nic0", "0000:01:00.0", Map.of());

    @Test
    void oneReservedScratchWindow() {
        assertEquals(List.of(new ResvRegion(0xfd000000L, 0x100000L, 3, ResvType.RESERVED, "ACME scratch window")), acme.getResvRegions(dev));
    }

    @Test
    void pagingGeometry() {
        PagingDomain d = acme.domainAllocPagingFlags(dev, 0, 0, new byte[0]);
        assertEquals(0, d.apertureStart());
        assertEquals((1L << 39) - 1, d.apertureEnd());
        assertEquals(4096, d.minPageSize());
        assertEquals((1L << 32) - 1, new AcmeIommuDriver().probe("acme1", Map.of("aperture_bits", 32L))
                .domainAllocPagingFlags(dev, Uapi.IOMMU_HWPT_ALLOC_PASID, 0, new byte[0]).apertureEnd());
    }

    @Test
    void errnos() {
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommufdException.class,
                () -> acme.domainAllocPagingFlags(dev, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, 0, new byte[0])).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommufdException.class, () -> new AcmeIommuDriver().probe("x", Map.of("bits", 3L))).errno());
        assertNull(acme.hwInfo(dev, 0));
    }
}
