package dev.iommufdsim.kernel;

/**
 * Which kernel's behaviour the emulator follows where versions differ. MAINLINE is Linux
 * 7.2; the nesting profiles of the 2023 review land with the nesting work.
 */
public enum KernelProfile {
    /** Linux 7.2 (drivers/iommu/iommufd as in the oracle kernel). */
    MAINLINE;

    /**
     * Whether attaching a device's RID to this HWPT enforces the device's reserved regions
     * in the paging IOAS behind it. Mainline: for a paging HWPT and, since "iommufd/device:
     * Enforce reserved IOVA also when attached to hwpt_nested" (2024), for a nested one too
     * (iommufd_hw_pagetable_attach: attach_resv = find_hwpt_paging(hwpt) && !pasid).
     */
    boolean enforceResvOnAttach(HwPagetable hwpt) {
        return true;
    }
}
