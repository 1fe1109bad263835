package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.EventqTest.responses;
import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.TestDrivers.MOCK_APERTURE_START;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.V;
import static dev.iommufdsim.kernel.uapi.Errno.EAGAIN;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_FAULT_ID_VALID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_FLAGS_LAST_PAGE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_FLAGS_PASID_VALID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_PERM_READ;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_PERM_WRITE;
import static dev.iommufdsim.kernel.uapi.Uapi.VFIO_DEVICE_ATTACH_PASID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A device's DMA (dma_write / dma_read): translation, plain DMA faults (EFAULT), and I/O page
 * faults through a HWPT with a fault object (iommu_report_device_fault ->
 * iommufd_fault_iopf_handler), read and answered on the fault fd as TRIGGER_IOPF's are.
 */
class DeviceDmaTest {
    static final long MAPPED = MOCK_APERTURE_START;            // 4K read/write
    static final long RDONLY = MOCK_APERTURE_START + 0x10000;  // 4K read-only
    static final long HOLE = MOCK_APERTURE_START + 0x20000;    // unmapped

    record Setup(IommufdCtx ctx, PhysDevice dev, int idev, int ioas, IommufdCtx.QueueOut fq, int hwpt) {
        IommufdFault fault() {
            return (IommufdFault) ctx.object(fq.id());
        }
    }

    /** A device on the test mock (with properties), bound, attached to a paging HWPT with a fault object (or none). */
    static Setup setup(Map<String, Object> props, boolean withFault) {
        IommufdCtx ctx = TestDrivers.machine().open();
        ctx.machine().declareIommu("m", Machine.MOCK_DRIVER, Map.of());
        PhysDevice dev = ctx.machine().declareDevice("nic0", "m", "0000:01:00.0", null, props);
        int ioas = ctx.ioasAlloc(0);
        ctx.ioasMap(ioas, FIXED, V, 0x1000, MAPPED, 0);
        ctx.ioasMap(ioas, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE, V, 0x1000, RDONLY, 0);
        int idev = ctx.vfioDeviceBind(dev, 0);
        IommufdCtx.QueueOut fq = ctx.faultQueueAlloc(0);
        int hwpt = ctx.hwptAlloc(withFault ? IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID : IOMMU_HWPT_ALLOC_PASID, idev, ioas, 0,
                null, withFault ? fq.id() : 0, 0);
        ctx.vfioDeviceAttach(idev, 0, hwpt, 0);
        return new Setup(ctx, dev, idev, ioas, fq, hwpt);
    }

    /** The struct iommu_hwpt_pgfault records a read of the fault fd returns, as {flags, dev_id, pasid, grpid, perm, addr, cookie}. */
    static List<long[]> read(Setup s) {
        EventqTest.Buf b = new EventqTest.Buf(40 * 64);
        long n = s.ctx.eventqRead(s.fq.fd(), 40 * 64, b);
        List<long[]> out = new ArrayList<>();
        for (int off = 0; off < n; off += 40) {
            out.add(new long[] {b.b.getInt(off), b.b.getInt(off + 4), b.b.getInt(off + 8), b.b.getInt(off + 12), b.b.getInt(off + 16),
                b.b.getLong(off + 24), b.b.getInt(off + 36)});
        }
        return out;
    }

    @Test
    void translatedAccessesSucceedAndPlainFaultsAreEfault() {
        Setup s = setup(Map.of(), false);
        DeviceDma.write(s.dev, MAPPED, 0x1000);
        DeviceDma.access(s.dev, RDONLY, 0x1000, IOMMU_NO_PASID, false); // a read of a read-only page
        errno(EINVAL, () -> DeviceDma.write(s.dev, MAPPED, 0));
        errno(EOVERFLOW, () -> DeviceDma.write(s.dev, -0x1000L, 0x2000));
        IommufdException e = errno(EFAULT, () -> DeviceDma.write(s.dev, RDONLY, 0x1000));
        assertEquals(String.format("DMA fault: nic0 writing 0x%x..0x%x through hwpt %d: iova 0x%x is mapped read-only (area 0x%x..0x%x)",
                RDONLY, RDONLY + 0xfff, s.hwpt, RDONLY, RDONLY, RDONLY + 0xfff), e.reason());
        e = errno(EFAULT, () -> DeviceDma.access(s.dev, MAPPED + 0x800, 0x1000, IOMMU_NO_PASID, false));
        assertTrue(e.reason().contains("nic0 reading 0x" + Long.toHexString(MAPPED + 0x800)) && e.reason().contains("0x"
                + Long.toHexString(MAPPED + 0x1000) + " is not mapped"), e.reason());
        assertEquals(0, s.fault().pendingFaults()); // the queue exists, but the HWPT has no fault object
    }

    @Test
    void faultHwptQueuesOnePageRequestPerPageAndTheDeviceWaitsForTheResponse() {
        Setup s = setup(Map.of(), true);
        // [HOLE + 0x800, HOLE + 0x1800): two 4 KiB pages, neither mapped
        IommufdException e = errno(EAGAIN, () -> DeviceDma.write(s.dev, HOLE + 0x800, 0x1000));
        assertEquals(String.format("DMA stalled: nic0 writing 0x%x..0x%x through hwpt %d: iova 0x%x is not mapped; 2 page requests"
                + " (groups 0, 1) queued on fault %d: read fd %d, respond, retry", HOLE + 0x800, HOLE + 0x17ff, s.hwpt, HOLE + 0x800,
                s.fq.id(), s.fq.fd()), e.reason());
        assertEquals(2, s.fault().pendingFaults());
        // the device does not ask again while its requests are outstanding
        e = errno(EAGAIN, () -> DeviceDma.write(s.dev, HOLE, 0x1000));
        assertTrue(e.reason().endsWith("still waiting for the response to page request group 0 on fault " + s.fq.id() + " (not read yet)"),
                e.reason());
        assertEquals(2, s.fault().pendingFaults());
        List<long[]> recs = read(s);
        assertEquals(2, recs.size());
        // the mock's form (TRIGGER_IOPF): each a last-page group, perm WRITE, the address the access touched
        assertArrayEquals(new long[] {IOMMU_PGFAULT_FLAGS_LAST_PAGE, s.idev, 0, 0, IOMMU_PGFAULT_PERM_WRITE, HOLE + 0x800, 1}, recs.get(0));
        assertArrayEquals(new long[] {IOMMU_PGFAULT_FLAGS_LAST_PAGE, s.idev, 0, 1, IOMMU_PGFAULT_PERM_WRITE, HOLE + 0x1000, 2},
                recs.get(1));
        e = errno(EAGAIN, () -> DeviceDma.write(s.dev, HOLE, 0x1000));
        assertTrue(e.reason().endsWith("(read, cookie 1)"), e.reason());
        // the VMM maps the pages and answers: the retry goes through
        s.ctx.ioasMap(s.ioas, FIXED, V, 0x2000, HOLE, 0);
        errno(EAGAIN, () -> DeviceDma.write(s.dev, HOLE + 0x800, 0x1000)); // mapped, but still stalled until answered
        assertEquals(16, s.ctx.eventqWrite(s.fq.fd(), 16, responses(1, 0, 2, 0)));
        assertEquals(Set.of(), s.fault().awaitingResponse());
        DeviceDma.write(s.dev, HOLE + 0x800, 0x1000);
        assertEquals(2, s.fault().responsesSent());
    }

    @Test
    void readOfUnmappedAndWriteOfReadOnlyCarryTheirPermission() {
        Setup s = setup(Map.of(), true);
        errno(EAGAIN, () -> DeviceDma.access(s.dev, HOLE, 0x10, IOMMU_NO_PASID, false));
        errno(EAGAIN, () -> DeviceDma.write(s.dev, RDONLY + 0x10, 0x10));
        List<long[]> recs = read(s);
        assertEquals(IOMMU_PGFAULT_PERM_READ, recs.get(0)[4]);
        assertEquals(HOLE, recs.get(0)[5]);
        assertEquals(IOMMU_PGFAULT_PERM_WRITE, recs.get(1)[4]);
        assertEquals(RDONLY + 0x10, recs.get(1)[5]);
        // INVALID: the device abandons that DMA; a new one faults and asks again
        assertEquals(8, s.ctx.eventqWrite(s.fq.fd(), 8, responses((int) recs.get(1)[6], 1)));
        errno(EAGAIN, () -> DeviceDma.write(s.dev, RDONLY + 0x10, 0x10));
        assertEquals(1, s.fault().pendingFaults());
    }

    @Test
    void aPriGroupIsReadAsOneRecordPerPageUnderOneCookieAndOneResponseAnswersIt() {
        Setup s = setup(Map.of("pri", true), true);
        errno(EAGAIN, () -> DeviceDma.write(s.dev, HOLE, 0x3000));
        assertEquals(1, s.fault().pendingFaults()); // one group
        errno(EINVAL, () -> s.ctx.eventqRead(s.fq.fd(), 80, new EventqTest.Buf(80))); // 80 bytes cannot hold the group of 3
        List<long[]> recs = read(s);
        assertEquals(3, recs.size());
        assertEquals(List.of(0L, 0L, (long) IOMMU_PGFAULT_FLAGS_LAST_PAGE), List.of(recs.get(0)[0], recs.get(1)[0], recs.get(2)[0]));
        assertEquals(List.of(1L, 1L, 1L), List.of(recs.get(0)[6], recs.get(1)[6], recs.get(2)[6]));
        assertEquals(List.of(HOLE, HOLE + 0x1000, HOLE + 0x2000), List.of(recs.get(0)[5], recs.get(1)[5], recs.get(2)[5]));
        assertEquals(8, s.ctx.eventqWrite(s.fq.fd(), 8, responses(1, 0)));
        assertEquals(Set.of(), s.fault().awaitingResponse());
    }

    @Test
    void aDriverThatReportsNoPageRequestsLeavesAPlainFault() {
        Setup s = setup(Map.of("no_iopf", true), true);
        IommufdException e = errno(EFAULT, () -> DeviceDma.write(s.dev, HOLE, 0x1000));
        assertTrue(e.reason().endsWith(String.format("(hwpt %d has fault %d, but mock reports no page request for nic0: no IOPF on this"
                + " device)", s.hwpt, s.fq.id())), e.reason());
        assertEquals(0, s.fault().pendingFaults());
    }

    /** The driver's IOPF enabling refuses the attach (RID or PASID, attach or replace) and nothing changes. */
    @Test
    void aDriverRefusingIopfFailsTheAttach() {
        IommufdCtx ctx = TestDrivers.machine().open();
        ctx.machine().declareIommu("m", Machine.MOCK_DRIVER, Map.of());
        PhysDevice dev = ctx.machine().declareDevice("nic0", "m", "0000:01:00.0", null,
                Map.of("iopf_refused", true, "dev_flags", (long) Selftest.MOCK_FLAGS_DEVICE_PASID));
        int ioas = ctx.ioasAlloc(0);
        int idev = ctx.vfioDeviceBind(dev, 0);
        IommufdCtx.QueueOut fq = ctx.faultQueueAlloc(0);
        int faulting = ctx.hwptAlloc(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID, idev, ioas, 0, null, fq.id(), 0);
        int plain = ctx.hwptAlloc(IOMMU_HWPT_ALLOC_PASID, idev, ioas, 0, null, 0, 0);
        errno(ENODEV, () -> ctx.vfioDeviceAttach(idev, 0, faulting, 0));
        assertEquals(null, ctx.getDevice(idev).attachedHwpt());
        ctx.vfioDeviceAttach(idev, 0, plain, 0);
        errno(ENODEV, () -> ctx.vfioDeviceAttach(idev, 0, faulting, 0)); // a replace
        errno(ENODEV, () -> ctx.vfioDeviceAttach(idev, VFIO_DEVICE_ATTACH_PASID, faulting, 3));
        assertEquals(Map.of(0, ctx.object(plain)), ctx.getDevice(idev).attachments());
    }

    @Test
    void aPasidDmaFaultsIntoItsOwnAttachmentAndDetachAnswersIt() {
        Setup s = setup(Map.of("dev_flags", (long) Selftest.MOCK_FLAGS_DEVICE_PASID), true);
        errno(EFAULT, () -> DeviceDma.access(s.dev, MAPPED, 0x1000, 7, true)); // PASID 7 attached to nothing
        s.ctx.vfioDeviceAttach(s.idev, VFIO_DEVICE_ATTACH_PASID, s.hwpt, 7);
        DeviceDma.access(s.dev, MAPPED, 0x1000, 7, true);
        IommufdException e = errno(EAGAIN, () -> DeviceDma.access(s.dev, HOLE, 0x1000, 7, true));
        assertTrue(e.reason().startsWith("DMA stalled: nic0 pasid 7 writing"), e.reason());
        List<long[]> recs = read(s);
        assertEquals(IOMMU_PGFAULT_FLAGS_LAST_PAGE | IOMMU_PGFAULT_FLAGS_PASID_VALID, recs.get(0)[0]);
        assertEquals(7, recs.get(0)[2]);
        // the RID's request is not the PASID's: the RID still asks for the same page
        errno(EAGAIN, () -> DeviceDma.write(s.dev, HOLE, 0x1000));
        assertEquals(1, s.fault().pendingFaults());
        s.ctx.vfioDeviceDetach(s.idev, VFIO_DEVICE_ATTACH_PASID, 7); // iommufd_auto_response_faults for (nic0, 7)
        assertEquals(Set.of(), s.fault().awaitingResponse());
        assertEquals(1, s.fault().pendingFaults());
        assertEquals(1, s.fault().responsesSent());
    }
}
