package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EAGAIN;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceAccess;
import dev.iommufdsim.kernel.spi.DmaFault;
import dev.iommufdsim.kernel.spi.DmaFaultEvent;
import dev.iommufdsim.kernel.spi.PageRequest;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.List;

/**
 * A device's DMA, which the kernel never performs but a VMM developer needs to play: the
 * device reads or writes [iova, iova + length) through the domain its RID (or a PASID) is
 * attached to, and the IOMMU translates it and (with dirty tracking) records what was written.
 * Not uAPI: the call stands for the device.
 *
 * <p>Translation: every IOAS area is mapped into every domain of the IOAS with its
 * protection (iopt_area_fill_domains), so an access translates when each byte lies in an area
 * mapped with IOMMU_READ (a read) or IOMMU_WRITE (a write). Nested domains: the emulator keeps
 * no stage-1 tables, so the address is taken as the stage-2 input (the guest physical
 * address) and the nesting parent's IOPTEs are the ones used, unless the nested domain aborts
 * all DMA ({@link dev.iommufdsim.kernel.spi.NestedDomain#abortsDma}: EFAULT, nothing raised). The SW_MSI doorbell page
 * iommufd maps is not memory and faults here.
 *
 * <p>An access that does not translate is a DMA fault. Through a HWPT allocated with a fault
 * object, on a device whose driver reports I/O page faults (the spi's pageRequests: the mock,
 * a stalling SMMUv3 master, a VT-d device with PRI), it becomes page requests: one per 4 KiB
 * page that does not translate, queued on the fault object as iommu_report_device_fault()
 * and iommufd_fault_iopf_handler() queue them, and the call fails EAGAIN (the device waits for
 * the page response; after it, the device's driver retries, i.e. the script calls again).
 * While a group it raised is unanswered, an access touching one of its pages fails EAGAIN
 * again and raises nothing new (a stalled transaction or an outstanding PRI request stays put).
 * Otherwise it fails EFAULT (the IOMMU's translation fault, which the kernel only logs), and
 * through a nested HWPT the driver may first report it to the guest as a vEVENT on its
 * vIOMMU's vEVENTQ ({@link dev.iommufdsim.kernel.spi.IommuInstance#nestedDmaFault}; the SMMUv3 driver's rule is
 * arm_smmu_handle_event()'s). A failed access reads or writes nothing; queued page requests
 * and vEVENTs are kernel state and stay.
 */
public final class DeviceDma {
    /**
     * The most page requests one access raises: PRQ_DEPTH (VT-d, 2048), the Outstanding Page
     * Request Allocation intel_iommu gives a PRI device (pci_enable_pri(pdev, PRQ_DEPTH)).
     */
    static final int MAX_PAGE_REQUESTS = 2048;
    private static final long PAGE_MASK = ~0xfffL;

    private DeviceDma() {
    }

    /** {@link #access} of a write by the device's RID. */
    public static void write(PhysDevice dev, long iova, long length) {
        access(dev, iova, length, Uapi.IOMMU_NO_PASID, true);
    }

    /**
     * The device reads or writes [iova, iova + length) with a PASID (IOMMU_NO_PASID: its RID):
     * EINVAL for length 0, EOVERFLOW for a range that wraps, EFAULT when the RID / PASID is
     * attached to nothing or a byte does not translate (and no page request is raised),
     * EAGAIN when page requests were queued or are still unanswered on the HWPT's fault
     * object, then for a write the driver's {@code dmaWrite} (EOPNOTSUPP when it cannot emulate
     * DMA, EFAULT for a fault it finds).
     */
    public static void access(PhysDevice dev, long iova, long length, int pasid, boolean write) {
        String verb = write ? "writing" : "reading";
        if (length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        long last = iova + (length - 1);
        if (Long.compareUnsigned(last, iova) < 0) {
            throw fail(EOVERFLOW, "iova 0x%x + length 0x%x - 1 overflows", iova, length);
        }
        String who = pasid == Uapi.IOMMU_NO_PASID ? dev.name() : dev.name() + " pasid " + Integer.toUnsignedString(pasid);
        IommufdDevice idev = dev.boundTo();
        HwPagetable hwpt = idev == null ? null : idev.attachedHwpt(pasid);
        if (hwpt == null) {
            // A PASID the host attached nothing to still reaches the hardware, which under a
            // nested RID domain looks it up in the guest's table (SMMUv3: C_BAD_SUBSTREAMID).
            HwPagetable rid = idev == null || pasid == Uapi.IOMMU_NO_PASID ? null : idev.attachedHwpt(Uapi.IOMMU_NO_PASID);
            throw fail(EFAULT, "DMA fault: %s %s 0x%x..0x%x: the device is %s, no domain translates its DMA%s", who, verb, iova, last,
                    idev == null ? "not bound to an iommufd" : "not attached" + (pasid == Uapi.IOMMU_NO_PASID ? "" : " for that PASID"),
                    substreamFault(dev, rid, new DmaFault(DmaFault.Kind.SUBSTREAM, iova, write, pasid)));
        }
        HwptPaging paging = hwpt.findHwptPaging();
        String through = hwpt == paging ? "hwpt " + hwpt.id() : "hwpt " + hwpt.id() + " (nested on hwpt " + paging.id() + ")";
        String what = String.format("%s %s 0x%x..0x%x through %s", who, verb, iova, last, through);
        String aborts = hwpt instanceof HwptNested n ? dev.iommu().nestedAbortsDma(n.domain()) : null;
        if (aborts != null) {
            // terminated before translation: no stall, no event, nothing for the guest
            throw fail(EFAULT, "DMA fault: %s: %s", what, aborts);
        }
        IommufdFault queue = IoPgfault.faultOf(hwpt);
        IopfGroup waiting = queue == null ? null : queue.outstanding(idev, pasid, iova, last);
        if (waiting != null) {
            // A stalled transaction (or a PRI device's request) stays put until the response,
            // whatever the VMM has mapped since.
            throw fail(EAGAIN, "DMA stalled: %s: still waiting for the response to page request group %d on fault %d (%s)", what,
                    waiting.last().grpid(), queue.id(), waiting.cookie == 0 ? "not read yet" : "read, cookie " + waiting.cookie);
        }
        int prot = write ? Area.IOMMU_WRITE : Area.IOMMU_READ;
        List<Long> faulting = new ArrayList<>();
        String fault = untranslated(paging.ioas().iopt(), iova, last, prot, faulting);
        if (fault != null) {
            DmaFault hw = new DmaFault(kindAt(paging.ioas().iopt(), faulting.get(0)), faulting.get(0), write, pasid);
            pageFault(dev, idev, hwpt, queue, new DeviceAccess(faulting, write, pasid, dev.pageRequestTags), what,
                    fault, hw);
        }
        if (!write) {
            return; // reads leave no trace in the IOPTEs
        }
        try {
            dev.iommu().dmaWrite(dev.info(), paging.domain(), iova, length);
        } catch (IommufdException e) {
            throw new IommufdException(e.errno(), String.format("%s%s: %s", e.errno() == EFAULT ? "DMA fault: " : "", what, e.reason()));
        }
    }

    /**
     * The access does not translate (fault says why): the driver's page requests, if any, go
     * to iommu_report_device_fault() (EAGAIN once queued on the HWPT's fault object); EFAULT
     * when there is no fault object or no request.
     */
    private static void pageFault(PhysDevice dev, IommufdDevice idev, HwPagetable hwpt, IommufdFault queue, DeviceAccess access,
            String what, String fault, DmaFault hw) {
        if (queue == null) {
            throw fail(EFAULT, "DMA fault: %s: %s%s", what, fault, reportToGuest(dev, hwpt, hw));
        }
        List<PageRequest> requests = dev.iommu().pageRequests(dev.info(), access);
        if (requests.isEmpty()) {
            throw fail(EFAULT, "DMA fault: %s: %s (hwpt %d has fault %d, but %s reports no page request for %s: no IOPF on this device)%s",
                    what, fault, hwpt.id(), queue.id(), dev.iommu().driverName(), dev.name(), reportToGuest(dev, hwpt, hw));
        }
        dev.pageRequestTags += requests.size();
        // The PASID is attached (checked above), so find_fault_handler() needs no user PASID table.
        List<IopfGroup> queued = IoPgfault.reportDeviceFault(idev, requests, false);
        if (queued.isEmpty()) {
            throw fail(EFAULT, "DMA fault: %s: %s (%s's page requests reached no fault object)", what, fault, dev.iommu().driverName());
        }
        int n = 0;
        for (IopfGroup g : queued) {
            n += g.faultCount();
        }
        throw fail(EAGAIN, "DMA stalled: %s: %s; %d page request%s (group%s %s) queued on fault %d: read fd %d, respond, retry",
                what, fault, n, n == 1 ? "" : "s", queued.size() == 1 ? "" : "s", grpids(queued), queue.id(), queue.fd());
    }

    /**
     * A fault that raised no page request, through a nested HWPT: the driver's event handler
     * (arm_smmu_handle_event()) may hand it to iommufd_viommu_report_event() for the nested
     * domain's vIOMMU, whose vEVENTQ of the event's type queues it (or, full, marks a loss); no
     * such vEVENTQ is EOPNOTSUPP there and the driver logs the event instead. Returns what became
     * of it, for the EFAULT reason ("" when the driver has no event for it).
     */
    private static String reportToGuest(PhysDevice dev, HwPagetable hwpt, DmaFault hw) {
        if (!(hwpt instanceof HwptNested nested)) {
            return "";
        }
        IommufdViommu viommu = nested.viommu();
        DmaFaultEvent e = dev.iommu().nestedDmaFault(dev.info(), nested.domain(), hw, viommu);
        String driver = dev.iommu().driverName();
        if (e == null) {
            return "";
        }
        if (!e.isReported()) {
            return String.format("; %s logged %s, not reported to the guest: %s", driver, e.event(), e.kept());
        }
        IommufdVeventq q = viommu == null ? null : viommu.findVeventq(e.veventqType());
        if (q == null) {
            return String.format("; %s logged %s: vIOMMU %s has no vEVENTQ of type 0x%x to report it to", driver, e.event(),
                    viommu == null ? "(none)" : Integer.toString(viommu.id()), e.veventqType());
        }
        IommufdVeventq.Vevent v = IoPgfault.viommuReportEvent(viommu, e.veventqType(), e.vevent());
        if (v.lostEventsHeader()) {
            return String.format("; %s reported %s to vEVENTQ %d, which is full (depth %d): lost, a LOST_EVENTS header"
                    + " (sequence %d) tells the reader", driver, e.event(), q.id(), q.depth, v.sequence);
        }
        return String.format("; %s reported %s to vEVENTQ %d (fd %d) as vEVENT sequence %d", driver, e.event(), q.id(), q.fd(),
                v.sequence);
    }

    /** {@link #reportToGuest} of a PASID's DMA through the RID's nested HWPT, which it names. */
    private static String substreamFault(PhysDevice dev, HwPagetable rid, DmaFault hw) {
        String report = rid == null ? "" : reportToGuest(dev, rid, hw);
        return report.isEmpty() ? "" : String.format(" (its RID is attached to nested hwpt %d)%s", rid.id(), report);
    }

    /** Whether addr faulted for want of an IOPTE or of its permission (the IOPTE is there). */
    private static DmaFault.Kind kindAt(IoPagetable iopt, long addr) {
        Area a = iopt.areaAt(addr);
        return a == null || a.pages().revoked() ? DmaFault.Kind.NOT_MAPPED : DmaFault.Kind.NO_PERMISSION;
    }

    private static String grpids(List<IopfGroup> groups) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < groups.size(); i++) {
            if (i == 3 && groups.size() > 4) {
                return b.append(", ... ").append(groups.get(groups.size() - 1).last().grpid()).toString();
            }
            b.append(i == 0 ? "" : ", ").append(groups.get(i).last().grpid());
        }
        return b.toString();
    }

    /**
     * Why some byte of [iova, last] does not translate with prot, or null when all do; each
     * 4 KiB page that does not (at most {@link #MAX_PAGE_REQUESTS}) adds the first address
     * the access touches in it to faulting.
     */
    private static String untranslated(IoPagetable iopt, long iova, long last, int prot, List<Long> faulting) {
        String why = null;
        long at = iova;
        while (faulting.size() < MAX_PAGE_REQUESTS) {
            Area a = iopt.areaAt(at);
            String miss = null;
            long end; // the last byte with the same answer
            if (a == null) {
                miss = String.format("iova 0x%x is not mapped", at);
                Area next = iopt.firstAreaIn(at, last);
                end = next == null ? last : next.iova() - 1;
            } else if (a.pages().revoked()) {
                miss = String.format("iova 0x%x is not mapped (its dma-buf was revoked)", at);
                end = Long.compareUnsigned(a.last(), last) >= 0 ? last : a.last();
            } else {
                if ((a.iommuProt() & prot) == 0) {
                    miss = String.format("iova 0x%x is mapped %s (area 0x%x..0x%x)", at,
                            prot == Area.IOMMU_WRITE ? "read-only" : "without IOMMU_READ", a.iova(), a.last());
                }
                end = Long.compareUnsigned(a.last(), last) >= 0 ? last : a.last();
            }
            if (miss != null) {
                why = why == null ? miss : why;
                for (long p = at; faulting.size() < MAX_PAGE_REQUESTS;) {
                    faulting.add(p);
                    long next = (p & PAGE_MASK) + 0x1000;
                    if (next == 0 || Long.compareUnsigned(next, end) > 0) {
                        break;
                    }
                    p = next;
                }
            }
            if (end == last) {
                break;
            }
            at = end + 1;
        }
        return why;
    }
}
