package dev.iommufdsim.plugins.intelvtd;

import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceAccess;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.PageRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * I/O page faults on VT-d: PCIe PRI. intel_iommu_probe_device() sets info->pri_supported for
 * a PCI device with ATS and PRI (property {@code pri}, default false: pci_pri_supported())
 * on a scalable-mode unit with ECAP.PRS and ECAP.PDS; iommu_enable_pci_pri() enables it once
 * ATS is (pri_enabled), and intel_iommu_enable_iopf() adds the device to the unit's iopf queue
 * when a domain with an iopf_handler is attached, or fails that attach ENODEV without PRI.
 * (Unmodelled: a PASID-enabled device must also require a PASID in PRG responses,
 * pci_prg_resp_pasid_required(), for iommu_enable_pci_pri() to enable PRI.)
 */
final class VtdPri {
    /** The Page Request Group Index is 9 bits (struct page_req_dsc.prg_index). */
    private static final int PRG_INDEX_MASK = 0x1ff;
    /** VTD_PAGE_SHIFT: a page request names a 4 KiB page (desc->addr << VTD_PAGE_SHIFT). */
    private static final long VTD_PAGE_MASK = ~0xfffL;

    private VtdPri() {
    }

    /** info->pri_enabled. */
    static boolean priEnabled(VtdRegs.Caps caps, boolean atsEnabled, DeviceInfo dev) {
        return atsEnabled && caps.sm() && caps.has(VtdRegs.ECAP_PRS) && caps.has(VtdRegs.ECAP_PDS) && dev.boolProperty("pri", false);
    }

    /** intel_iommu_enable_iopf(): "if (!info->pri_enabled) return -ENODEV". */
    static void enableIopf(VtdRegs.Caps caps, boolean atsEnabled, DeviceInfo dev) {
        if (!priEnabled(caps, atsEnabled, dev)) {
            throw fail(ENODEV, "intel_vtd: %s has no PRI enabled, so a HWPT with a fault object cannot be attached"
                    + " (intel_iommu_enable_iopf)", dev.name());
        }
    }

    /**
     * intel_prq_report() of the device's page requests for a faulting access: one group (one
     * PRG index) with a request per 4 KiB page, Last Page In Group on the last; perm from the
     * request's R/W bits (prq_to_iommu_prot()); with a PASID, PASID_VALID and
     * IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID, both of which the fault record carries.
     */
    static List<PageRequest> pageRequests(VtdRegs.Caps caps, boolean atsEnabled, DeviceInfo dev, DeviceAccess access) {
        if (!priEnabled(caps, atsEnabled, dev)) {
            return List.of();
        }
        int pasidFlags = access.hasPasid() ? PageRequest.PASID_VALID | PageRequest.IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID : 0;
        int grpid = access.tag() & PRG_INDEX_MASK;
        List<PageRequest> out = new ArrayList<>();
        List<Long> addrs = access.addrs();
        for (int i = 0; i < addrs.size(); i++) {
            int lpig = i == addrs.size() - 1 ? PageRequest.LAST_PAGE : 0;
            out.add(new PageRequest(pasidFlags | lpig, access.pasid(), grpid, access.perm(), addrs.get(i) & VTD_PAGE_MASK));
        }
        return out;
    }
}
