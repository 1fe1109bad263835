package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_PGFAULT_FLAGS_PASID_VALID;

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
     * iommu_report_device_fault() of a last-page request: find_fault_handler() picks the
     * attach handle, and a domain with an iopf_handler (a HWPT with a fault) gets the group.
     * Without one the request is answered by the core (iopf_error_response) and nothing is
     * queued; the caller sees no error either way. user_pasid_table: a PASID without its own
     * attachment faults into the nested domain on the RID (the mock driver sets it).
     */
    static void reportDeviceFault(IommufdDevice idev, int flags, int pasid, int grpid, int perm, long addr, boolean userPasidTable) {
        int handlePasid = IOMMU_NO_PASID;
        HwPagetable hwpt;
        if ((flags & IOMMU_PGFAULT_FLAGS_PASID_VALID) != 0) {
            hwpt = idev.attachedHwpt(pasid);
            handlePasid = pasid;
            if (hwpt == null) {
                if (!userPasidTable) {
                    return;
                }
                hwpt = idev.attachedHwpt(IOMMU_NO_PASID);
                handlePasid = IOMMU_NO_PASID;
                if (!(hwpt instanceof HwptNested)) {
                    return;
                }
            }
        } else {
            hwpt = idev.attachedHwpt(IOMMU_NO_PASID);
        }
        IommufdFault fault = hwpt == null ? null : faultOf(hwpt);
        if (fault == null) {
            return; // !attach_handle->domain->iopf_handler
        }
        fault.iopfHandler(new IopfGroup(idev, handlePasid, flags, pasid, grpid, perm, addr));
    }

    /** iommufd_auto_response_faults() for the handle (idev, pasid) leaving hwpt. */
    static void autoResponseFaults(HwPagetable hwpt, IommufdDevice idev, int pasid) {
        IommufdFault fault = hwpt == null ? null : faultOf(hwpt);
        if (fault != null) {
            fault.autoResponse(idev, pasid);
        }
    }

    /** iommufd_viommu_report_event(): into the vIOMMU's vEVENTQ of that type. */
    static void viommuReportEvent(IommufdViommu viommu, int type, byte[] eventData) {
        if (eventData.length == 0) {
            throw fail(EINVAL, "a vEVENT needs data");
        }
        for (IommufdVeventq q : viommu.veventqs) {
            if (q.veventqType == type) {
                q.report(eventData);
                return;
            }
        }
        throw fail(EOPNOTSUPP, "vIOMMU %d has no vEVENTQ of type 0x%x", viommu.id(), type);
    }
}
