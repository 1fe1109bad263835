package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.TestDrivers.DATA_TYPE;
import static dev.iommufdsim.kernel.TestDrivers.VIOMMU_TYPE;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.V;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_VEVENTQ_TYPE_SELFTEST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.uapi.IommufdException;
import org.junit.jupiter.api.Test;

/**
 * A DMA fault through a nested HWPT that the driver reports to the guest
 * (IommuInstance.nestedDmaFault): queued on the vIOMMU's vEVENTQ as TRIGGER_VEVENT's events
 * are, with sequences and the lost-events header; kept when the driver keeps it or there is no
 * vEVENTQ of its type. The DMA fails EFAULT in every case. The "regions" test driver reports a
 * read fault as a selftest vEVENT carrying the vDEVICE's virt_id and keeps write faults.
 */
class NestedDmaFaultTest {
    static final long MAPPED = 0x1000000;
    static final long HOLE = 0x1020000;

    record Setup(IommufdCtx ctx, PhysDevice nic, int dev, int viommu, int nested) {
    }

    static Setup setup() {
        NestingTest.Setup s = NestingTest.setup(KernelProfile.MAINLINE);
        IommufdCtx ctx = s.ctx();
        ctx.ioasMap(s.ioas(), FIXED, V, 0x1000, MAPPED, 0);
        int viommu = ctx.viommuAlloc(0, VIOMMU_TYPE, s.dev(), s.parent(), null).outViommuId();
        ctx.vdeviceAlloc(viommu, s.dev(), 0x99);
        int nested = ctx.hwptAlloc(0, s.dev(), viommu, DATA_TYPE, NestingTest.S1, 0, 0);
        ctx.vfioDeviceAttach(s.dev(), 0, nested, 0);
        return new Setup(ctx, ctx.machine().device("nic"), s.dev(), viommu, nested);
    }

    static String efault(Runnable r) {
        IommufdException e = errno(EFAULT, r::run);
        return e.getMessage();
    }

    static String read(IommufdCtx ctx, int fd) {
        EventqTest.Buf b = new EventqTest.Buf(128);
        return EventqTest.events(b, ctx.eventqRead(fd, 128, b));
    }

    @Test
    void reportedFaultsBecomeVeventsWithSequencesAndLosses() {
        Setup s = setup();
        IommufdCtx.QueueOut q = s.ctx.veventqAlloc(0, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, 0);
        DeviceDma.access(s.nic, MAPPED, 0x1000, 0, false); // translates: no event
        String m = efault(() -> DeviceDma.access(s.nic, HOLE + 8, 4, 0, false));
        assertTrue(m.contains("nic reading 0x1020008..0x102000b through hwpt " + s.nested), m);
        assertTrue(m.endsWith("iova 0x1020008 is not mapped; regions reported regions fault at 0x1020008 to vEVENTQ " + q.id()
                + " (fd " + q.fd() + ") as vEVENT sequence 0"), m);
        efault(() -> DeviceDma.access(s.nic, HOLE, 4, 0, false));
        m = efault(() -> DeviceDma.access(s.nic, HOLE, 4, 0, false));
        assertTrue(m.endsWith("which is full (depth 2): lost, a LOST_EVENTS header (sequence 2) tells the reader"), m);
        assertEquals("0:0=153 0:1=153 1:2", read(s.ctx, q.fd()));
        // a fault the driver keeps: logged, nothing queued
        m = efault(() -> DeviceDma.access(s.nic, HOLE, 4, 0, true));
        assertTrue(m.endsWith("iova 0x1020000 is not mapped; regions logged regions fault at 0x1020000, not reported"
                + " to the guest: write faults stay in the host"), m);
        assertEquals("", read(s.ctx, q.fd()));
    }

    @Test
    void aPasidNothingIsAttachedToGoesToTheRidsNestedDomain() {
        Setup s = setup();
        IommufdCtx.QueueOut q = s.ctx.veventqAlloc(0, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, 0);
        String m = efault(() -> DeviceDma.access(s.nic, MAPPED, 4, 5, false));
        assertTrue(m.startsWith("DMA fault: nic pasid 5 reading 0x1000000..0x1000003: the device is not attached for that PASID, no domain"
                + " translates its DMA (its RID is attached to nested hwpt " + s.nested + "); regions reported regions fault at 0x1000000"
                + " to vEVENTQ " + q.id()), m);
        assertEquals("0:0=153", read(s.ctx, q.fd()));
        NestingTest.Setup n = NestingTest.setup(KernelProfile.MAINLINE); // RID on a paging HWPT: nothing to ask
        n.ctx().vfioDeviceAttach(n.dev(), 0, n.parent(), 0);
        assertTrue(efault(() -> DeviceDma.access(n.ctx().machine().device("nic"), MAPPED, 4, 5, false)).endsWith("translates its DMA"));
    }

    @Test
    void withoutAVeventqTheDriverLogsIt() {
        Setup s = setup();
        String m = efault(() -> DeviceDma.access(s.nic, HOLE, 4, 0, false));
        assertTrue(m.endsWith("; regions logged regions fault at 0x1020000: vIOMMU " + s.viommu + " has no vEVENTQ of type 0xbeefbeef"
                + " to report it to"), m);
        IommufdCtx.QueueOut q = s.ctx.veventqAlloc(0, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, 0);
        s.ctx.closeFd(q.fd()); // the fd holds the queue
        s.ctx.destroy(q.id());
        assertTrue(efault(() -> DeviceDma.access(s.nic, HOLE, 4, 0, false)).contains("has no vEVENTQ"));
    }

    @Test
    void anAbortingNestedDomainFaultsEvenMappedAddressesAndReportsNothing() {
        Setup s = setup();
        IommufdCtx.QueueOut q = s.ctx.veventqAlloc(0, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, 0);
        int abort = s.ctx.hwptAlloc(0, s.dev, s.viommu, DATA_TYPE, new byte[] {1, TestDrivers.ABORT, 0, 0}, 0, 0);
        s.ctx.vfioDeviceAttach(s.dev, 0, abort, 0);
        String m = efault(() -> DeviceDma.access(s.nic, MAPPED, 4, 0, false));
        assertEquals("DMA fault: nic reading 0x1000000..0x1000003 through hwpt " + abort + " (nested on hwpt 3): regions: an aborting"
                + " nested domain", m);
        assertEquals("", read(s.ctx, q.fd()));
    }

    @Test
    void aPagingHwptOrANestedOneWithoutVIommuReportsNothing() {
        NestingTest.Setup n = NestingTest.setup(KernelProfile.MAINLINE);
        IommufdCtx ctx = n.ctx();
        PhysDevice nic = ctx.machine().device("nic");
        ctx.vfioDeviceAttach(n.dev(), 0, n.parent(), 0);
        assertTrue(efault(() -> DeviceDma.access(nic, HOLE, 4, 0, false)).endsWith("iova 0x1020000 is not mapped"));
        int nested = ctx.hwptAlloc(0, n.dev(), n.parent(), DATA_TYPE, NestingTest.S1, 0, 0);
        ctx.vfioDeviceAttach(n.dev(), 0, nested, 0);
        assertTrue(efault(() -> DeviceDma.access(nic, HOLE, 4, 0, false)).endsWith("not reported to the guest: no vDEVICE"));
    }
}
