package dev.iommufdsim.kernel.spi;

import java.util.List;

/**
 * A device's DMA access that did not translate, as the IOMMU hardware sees it, for
 * {@link IommuInstance#pageRequests}.
 *
 * @param addrs per 4 KiB page of the access that does not translate, in ascending order, the
 *              first address the access touches in it (the transaction address a stall
 *              reports; PRI reports the page, addr &amp; ~0xfff)
 * @param write a write (else a read)
 * @param pasid the PASID the DMA carries, or IOMMU_NO_PASID (0) for the RID
 * @param tag   how many page requests the device raised before this access; drivers derive
 *              group indexes from it (the device's PRGI for a group per access, tag + i for a
 *              group per page, e.g. the SMMU's STAG), so they need keep no count themselves
 */
public record DeviceAccess(List<Long> addrs, boolean write, int pasid, int tag) {
    public DeviceAccess {
        addrs = List.copyOf(addrs);
    }

    /** IOMMU_FAULT_PERM_WRITE for a write, IOMMU_FAULT_PERM_READ for a read. */
    public int perm() {
        return write ? PageRequest.PERM_WRITE : PageRequest.PERM_READ;
    }

    /**
     * A group of one last-page request per faulting page, grpid (tag + i) &amp; grpidMask, addr
     * as the access touched it, PASID_VALID with a PASID: what a hardware that stalls each
     * faulting transaction reports (SMMUv3 stall events, arm_smmu_handle_event(); the mock's
     * TRIGGER_IOPF requests have the same form).
     */
    public List<PageRequest> groupPerPage(int grpidMask) {
        java.util.ArrayList<PageRequest> out = new java.util.ArrayList<>();
        int flags = PageRequest.LAST_PAGE | (hasPasid() ? PageRequest.PASID_VALID : 0);
        for (int i = 0; i < addrs.size(); i++) {
            out.add(new PageRequest(flags, pasid, (tag + i) & grpidMask, perm(), addrs.get(i)));
        }
        return out;
    }

    /** Whether the DMA carries a PASID. */
    public boolean hasPasid() {
        return pasid != 0;
    }
}
