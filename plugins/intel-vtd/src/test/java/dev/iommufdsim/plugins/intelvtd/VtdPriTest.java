package dev.iommufdsim.plugins.intelvtd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufdsim.kernel.spi.DeviceAccess;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.PageRequest;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** intel_prq_report(): which devices report page requests (pri_enabled) and in what form. */
class VtdPriTest {
    static final DeviceInfo PRI = new DeviceInfo("nic0", "0000:01:00.0", Map.of("pri", true));
    static final DeviceAccess WRITE = new DeviceAccess(List.of(0x10000800L, 0x10001000L), true, 0, 0x203);

    @Test
    void onePrgPerAccessWithPageAddressesAndLastPageOnTheLast() {
        List<PageRequest> r = IntelVtdTest.unit(Map.of()).pageRequests(PRI, WRITE);
        // PRG index 0x203 & 0x1ff; the address is the page (desc->addr << VTD_PAGE_SHIFT)
        assertEquals(List.of(new PageRequest(0, 0, 3, PageRequest.PERM_WRITE, 0x10000000L),
                new PageRequest(PageRequest.LAST_PAGE, 0, 3, PageRequest.PERM_WRITE, 0x10001000L)), r);
        DeviceAccess read = new DeviceAccess(List.of(0x5000L), false, 9, 0);
        assertEquals(List.of(new PageRequest(PageRequest.LAST_PAGE | PageRequest.PASID_VALID
                | PageRequest.IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID, 9, 0, PageRequest.PERM_READ, 0x5000L)),
                IntelVtdTest.unit(Map.of()).pageRequests(PRI, read));
    }

    /** pri_supported needs the device's PRI, ATS, scalable mode, ECAP.PRS and ECAP.PDS; without it the attach is ENODEV. */
    @Test
    void withoutPriEnabledNothingIsReported() {
        IntelVtdInstance u = IntelVtdTest.unit(Map.of());
        u.enableIopf(PRI);
        DeviceInfo noPri = new DeviceInfo("nic1", "0000:02:00.0", Map.of());
        IommufdException e = assertThrows(IommufdException.class, () -> u.enableIopf(noPri)); // intel_iommu_enable_iopf
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals(List.of(), u.pageRequests(noPri, WRITE));
        assertEquals(List.of(), u.pageRequests(new DeviceInfo("nic2", "0000:03:00.0", Map.of("pri", true, "ats", false)), WRITE));
        assertEquals(List.of(), u.pageRequests(new DeviceInfo("plat", null, Map.of("pri", true)), WRITE));
        long ecap = VtdRegs.defaultEcap(true);
        assertEquals(List.of(), IntelVtdTest.unit(Map.of("ecap_reg", ecap & ~VtdRegs.ECAP_PRS)).pageRequests(PRI, WRITE));
        assertEquals(List.of(), IntelVtdTest.unit(Map.of("ecap_reg", ecap & ~VtdRegs.ECAP_PDS)).pageRequests(PRI, WRITE));
        assertEquals(List.of(), IntelVtdTest.unit(Map.of("sm_on", false)).pageRequests(PRI, WRITE));
    }
}
