package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufdsim.kernel.DeviceDma;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;
import dev.iommufdsim.repl.server.FakeProcess.Struct;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A program's read() of a vEVENTQ fd (IOMMU_VEVENTQ_ALLOC through the dispatcher) returns the
 * vEVENT a device's DMA fault under a vSMMU queued: the iommufd_vevent_header and the 32-byte
 * struct iommu_vevent_arm_smmuv3 (C_BAD_SUBSTREAMID with the vSID), as the guest's VMM reads it.
 */
class VeventQueueIoTest extends DispatcherFixture {
    private static final long BUF = 0x7f00_0000_0000L;

    @BeforeEach
    void open() {
        open(new FakeProcess().map(BUF, 0x1000, true));
    }

    @Test
    void smmuv3VeventReadByAProgram() {
        IommufdCtx ctx = d.ctx();
        ctx.machine().declareIommu("smmu0", "arm_smmuv3", Map.of());
        PhysDevice nic = ctx.machine().declareDevice("nic0", "smmu0", "0000:01:00.0", null, Map.of());
        int dev = ctx.vfioDeviceBind(nic, 0);
        int ioas = ctx.ioasAlloc(0);
        int s2 = ctx.hwptAlloc(Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
        int vsmmu = ctx.viommuAlloc(0, Uapi.IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, s2, null).outViommuId();
        ctx.vdeviceAlloc(vsmmu, dev, 0x42);
        byte[] vste = new byte[16];
        vste[0] = 0xb; // V, CFG S1_TRANS, S1CDMax 0
        int s1 = ctx.hwptAlloc(0, dev, vsmmu, 2 /* IOMMU_HWPT_DATA_ARM_SMMUV3 */, vste, 0, 0);
        ctx.vfioDeviceAttach(dev, 0, s1, 0);
        // IOMMU_VEVENTQ_ALLOC {size, flags, viommu_id, type, veventq_depth, out_veventq_id, out_veventq_fd}
        assertEquals(0, iommufd(0x93, new Struct(32).u32(8, vsmmu).u32(12, Uapi.IOMMU_VEVENTQ_TYPE_ARM_SMMUV3).u32(16, 4)));
        int fd = p.u32(S + 24);
        assertThrows(IommufdException.class, () -> DeviceDma.access(nic, 0x1000000, 4, 3, false));
        assertEquals(8 + 32, d.queueIo(fd, false, BUF, 0x100, p));
        assertEquals(0, p.u32(BUF)); // flags
        assertEquals(0, p.u32(BUF + 4)); // sequence
        assertEquals(0x08 | 1L << 11 | 3L << 12 | 0x42L << 32, p.u64(BUF + 8)); // C_BAD_SUBSTREAMID, SSV, SSID 3, vSID
        assertEquals(0, p.u64(BUF + 16) | p.u64(BUF + 24) | p.u64(BUF + 32));
    }
}
