package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_FLAGS_PASID_VALID;

import dev.iommufdsim.kernel.spi.PageRequest;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Where faults and events enter iommufd from a driver: iommu_report_device_fault()
 * (io-pgfault.c) for page requests and iommufd_viommu_report_event() (driver.c) for vIOMMU
 * events.
 */
final class IoPgfault {
    private IoPgfault() {
    }

    /** hwpt->fault: the FAULT object of a HWPT allocated with FAULT_ID_VALID, or null. */
    static IommufdFault faultOf(HwPagetable hwpt) {
        if (hwpt instanceof HwptNested n) {
            return n.fault;
        }
        return hwpt instanceof HwptPaging p ? p.fault : null;
    }

    /**
     * iommu_report_device_fault() of each request in turn. A request without LAST_PAGE waits
     * with the device's partial requests (report_partial_fault); a last-page request takes the
     * partial ones with its grpid into a group (iopf_group_alloc) and find_fault_handler()
     * picks the attach handle by its PASID: a domain with an iopf_handler (a HWPT with a fault)
     * gets the group (iommufd_fault_iopf_handler). Without one the core answers the group
     * itself (iopf_error_response) and nothing is queued; the reporter sees no error either
     * way. Partial requests no last page closes are dropped here (the kernel keeps them until
     * one does; the emulator's reporters always close their groups). user_pasid_table: a
     * PASID without its own attachment faults into the nested domain on the RID (the mock
     * driver sets it).
     *
     * @return the groups queued on a fault object, in order
     */
    static List<IopfGroup> reportDeviceFault(IommufdDevice idev, List<PageRequest> requests, boolean userPasidTable) {
        List<PageRequest> partial = new ArrayList<>();
        List<IopfGroup> queued = new ArrayList<>();
        for (PageRequest r : requests) {
            if (!r.lastPage()) {
                partial.add(r);
                continue;
            }
            List<PageRequest> faults = new ArrayList<>();
            for (Iterator<PageRequest> it = partial.iterator(); it.hasNext();) {
                PageRequest p = it.next();
                if (p.grpid() == r.grpid()) {
                    faults.add(p);
                    it.remove();
                }
            }
            faults.add(r);
            IopfGroup group = findFaultHandler(idev, faults, userPasidTable);
            if (group != null) {
                faultOf(idev.attachedHwpt(group.handlePasid)).iopfHandler(group);
                queued.add(group);
            }
        }
        return queued;
    }

    /** find_fault_handler(): the group on its attach handle, or null when no domain there has an iopf_handler. */
    private static IopfGroup findFaultHandler(IommufdDevice idev, List<PageRequest> faults, boolean userPasidTable) {
        PageRequest last = faults.get(faults.size() - 1);
        int handlePasid = IOMMU_NO_PASID;
        HwPagetable hwpt;
        if ((last.flags() & IOMMU_PGFAULT_FLAGS_PASID_VALID) != 0) {
            hwpt = idev.attachedHwpt(last.pasid());
            handlePasid = last.pasid();
            if (hwpt == null) {
                if (!userPasidTable) {
                    return null;
                }
                hwpt = idev.attachedHwpt(IOMMU_NO_PASID);
                handlePasid = IOMMU_NO_PASID;
                if (!(hwpt instanceof HwptNested)) {
                    return null;
                }
            }
        } else {
            hwpt = idev.attachedHwpt(IOMMU_NO_PASID);
        }
        if (hwpt == null || faultOf(hwpt) == null) {
            return null; // !attach_handle->domain->iopf_handler
        }
        return new IopfGroup(idev, handlePasid, faults);
    }

    /**
     * The driver's IOPF enabling for a device joining hwpt, when hwpt has a fault object
     * (domain->iopf_handler, set by iommufd_hwpt_alloc for FAULT_ID_VALID); its errno fails
     * the attach.
     */
    static void enableIopf(HwPagetable hwpt, PhysDevice d) {
        IommufdFault fault = faultOf(hwpt);
        if (fault == null) {
            return;
        }
        try {
            d.iommu().enableIopf(d.info());
        } catch (IommufdException e) {
            throw new IommufdException(e.errno(), String.format("hwpt %d has fault %d: %s", hwpt.id(), fault.id(), e.reason()));
        }
    }

    /** iommufd_auto_response_faults() for the handle (idev, pasid) leaving hwpt. */
    static void autoResponseFaults(HwPagetable hwpt, IommufdDevice idev, int pasid) {
        IommufdFault fault = hwpt == null ? null : faultOf(hwpt);
        if (fault != null) {
            fault.autoResponse(idev, pasid);
        }
    }

    /**
     * iommufd_viommu_report_event(): into the vIOMMU's vEVENTQ of that type; returns the node
     * queued, the queue's lost_events_header when it was full.
     */
    static IommufdVeventq.Vevent viommuReportEvent(IommufdViommu viommu, int type, byte[] eventData) {
        if (eventData.length == 0) {
            throw fail(EINVAL, "a vEVENT needs data");
        }
        IommufdVeventq q = viommu.findVeventq(type);
        if (q == null) {
            throw fail(EOPNOTSUPP, "vIOMMU %d has no vEVENTQ of type 0x%x", viommu.id(), type);
        }
        return q.report(eventData);
    }
}
