package dev.iommufdsim.plugins.armsmmuv3;

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

/** arm_smmu_handle_event() of stall events: which masters stall (stall_enabled) and the requests. */
class SmmuStallTest {
    static final DeviceInfo STALLS = new DeviceInfo("dma0", null, Map.of("dma_can_stall", true));
    static final DeviceAccess READ = new DeviceAccess(List.of(0x10000800L, 0x10001000L), false, 0, 0xffff);

    @Test
    void eachStalledTransactionIsALastPageGroupWithItsStag() {
        ArmSmmuV3Instance s = ArmSmmuV3Test.smmu(Map.of("stall", true));
        assertEquals(List.of(new PageRequest(PageRequest.LAST_PAGE, 0, 0xffff, PageRequest.PERM_READ, 0x10000800L),
                new PageRequest(PageRequest.LAST_PAGE, 0, 0, PageRequest.PERM_READ, 0x10001000L)), s.pageRequests(STALLS, READ));
        DeviceAccess ssid = new DeviceAccess(List.of(0x2000L), true, 3, 5);
        assertEquals(List.of(new PageRequest(PageRequest.LAST_PAGE | PageRequest.PASID_VALID, 3, 5, PageRequest.PERM_WRITE, 0x2000L)),
                s.pageRequests(STALLS, ssid));
    }

    /** stall_enabled: FEAT_STALLS and dma-can-stall, or FEAT_STALL_FORCE; arm_smmu_enable_iopf() wants one stream ID. */
    @Test
    void whoStalls() {
        DeviceInfo pci = ArmSmmuV3Test.pci("nic0", "0000:01:00.0", Map.of());
        assertEquals(List.of(), ArmSmmuV3Test.smmu(Map.of()).pageRequests(STALLS, READ)); // IDR0.STALL_MODEL 0b01
        assertEquals(List.of(), ArmSmmuV3Test.smmu(Map.of("stall", true)).pageRequests(pci, READ));
        ArmSmmuV3Instance s = ArmSmmuV3Test.smmu(Map.of("stall", true));
        s.enableIopf(STALLS);
        s.enableIopf(pci); // does not stall: attached, and its faults stay faults
        DeviceInfo twoSids = new DeviceInfo("dma1", null, Map.of("dma_can_stall", true, "sids", List.of(1L, 2L)));
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommufdException.class, () -> s.enableIopf(twoSids)).errno());
        int idr0 = SmmuRegs.defaults(true, false, 48).idr()[0] & ~(3 << SmmuRegs.IDR0_STALL_MODEL_SHIFT)
                | 2 << SmmuRegs.IDR0_STALL_MODEL_SHIFT; // STALL_FORCE: every master stalls
        assertEquals(2, ArmSmmuV3Test.smmu(Map.of("idr0", Integer.toUnsignedLong(idr0))).pageRequests(pci, READ).size());
    }
}
