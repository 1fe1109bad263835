package dev.iommufdsim.kernel.spi;

/**
 * struct iommu_fault_page_request (include/linux/iommu.h): one page request a driver reports
 * through iommu_report_device_fault(). iommufd copies the fields into struct
 * iommu_hwpt_pgfault unchanged (iommufd_compose_fault_message), flags included, so a driver's
 * internal flag such as {@link #IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID} reaches the user too.
 *
 * @param flags IOMMU_FAULT_PAGE_REQUEST_* (= IOMMU_PGFAULT_FLAGS_PASID_VALID, _LAST_PAGE) and
 *              IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID
 * @param pasid the PASID, meaningful with PASID_VALID
 * @param grpid the page request group index (PCIe PRGI, the SMMU's stall tag STAG)
 * @param perm  IOMMU_FAULT_PERM_* (= IOMMU_PGFAULT_PERM_READ, _WRITE, _EXEC, _PRIV)
 * @param addr  the fault address as the hardware gives it (page aligned for PRI)
 */
public record PageRequest(int flags, int pasid, int grpid, int perm, long addr) {
    /** IOMMU_FAULT_PAGE_REQUEST_PASID_VALID. */
    public static final int PASID_VALID = 1 << 0;
    /** IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE: the request closes its group. */
    public static final int LAST_PAGE = 1 << 1;
    /** IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID: the response must carry the PASID (VT-d sets it with PASID_VALID). */
    public static final int IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID = 1 << 2;
    /** IOMMU_FAULT_PERM_READ, _WRITE. */
    public static final int PERM_READ = 1 << 0;
    public static final int PERM_WRITE = 1 << 1;

    /** Whether this request closes its group (the core then hands the group to the domain's handler). */
    public boolean lastPage() {
        return (flags & LAST_PAGE) != 0;
    }
}
