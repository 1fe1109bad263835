package dev.iommufdsim.kernel;

import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;

/**
 * Which kernel's behaviour the emulator follows where the nesting designs differ: where a
 * device's reserved regions go when it attaches to a nested HWPT, and how the SW_MSI
 * doorbell gets mapped. Everything else follows Linux 7.2 under every profile.
 */
public enum KernelProfile {
    /**
     * Linux 7.2. Reserved regions are enforced in the parent's IOAS on a nested attach too
     * ("iommufd/device: Enforce reserved IOVA also when attached to hwpt_nested", Nicolin
     * Chen, 2024: iommufd_hw_pagetable_attach's attach_resv = find_hwpt_paging(hwpt) &&
     * pasid == IOMMU_NO_PASID), and SW_MSI doorbells are mapped by iommufd itself at
     * sw_msi_start + n pages, the same IOVA in every domain of the context ("iommufd:
     * Implement sw_msi support natively", v6.15: iommufd_sw_msi, iommufd_sw_msi_install).
     */
    MAINLINE("Linux 7.2: reserved regions enforced in the parent IOAS on nested attach; SW_MSI mapped natively per context",
            ResvPolicy.ALL, MsiModel.NATIVE),
    /**
     * Linux 6.7 as "iommufd: Add nesting infrastructure" first merged it: reserved regions
     * and MSI set-up only for a paging HWPT (hwpt_is_paging); a nested attach touches no
     * IOAS, and the MSI cookie (iommu_get_msi_cookie) exists on paging domains only, each
     * allocating its doorbell pages from sw_msi_start on its own.
     */
    V6_7("Linux 6.7 (nesting as first merged): a nested attach reserves nothing; MSI cookies on paging domains only",
            ResvPolicy.NONE, MsiModel.COOKIE),
    /**
     * The design the 2023 review agreed on (Jason Gunthorpe, Kevin Tian, Yi Liu, Nicolin
     * Chen on "iommufd: Add nesting infrastructure" v2-v5): a nesting parent does not gain
     * the device's reserved regions; only ARM's SW_MSI window is special-cased onto the S2
     * (reserved in its IOAS so the doorbell can be mapped there); every other region is
     * reported to userspace per dev_id (IOMMU_RESV_IOVA_RANGES RFC) for the VMM to keep out
     * of its stage-1 layout.
     */
    SEED("the 2023 review's design: only SW_MSI special-cased onto the S2 at nested attach; other regions reported per device",
            ResvPolicy.SW_MSI_ONLY, MsiModel.NATIVE);

    /** Which of a device's regions a nested attach reserves in the parent's IOAS. */
    public enum ResvPolicy {
        ALL, SW_MSI_ONLY, NONE
    }

    /** How SW_MSI doorbells get their IOVA. */
    public enum MsiModel {
        /** iommufd_sw_msi: per-context maps, pgoff by doorbell, the same IOVA in every domain, at most 64. */
        NATIVE,
        /** dma-iommu's MSI cookie on paging domains: per domain, first come first mapped; nested domains have none. */
        COOKIE
    }

    private final String description;
    private final ResvPolicy nestedResv;
    private final MsiModel msiModel;

    KernelProfile(String description, ResvPolicy nestedResv, MsiModel msiModel) {
        this.description = description;
        this.nestedResv = nestedResv;
        this.msiModel = msiModel;
    }

    public String description() {
        return description;
    }

    public MsiModel msiModel() {
        return msiModel;
    }

    /** Which regions a RID attach to a nested HWPT reserves in the parent's IOAS (paging HWPTs: ALL). */
    public ResvPolicy nestedResvPolicy() {
        return nestedResv;
    }

    /** The policy for a RID attach to this HWPT: paging HWPTs always reserve every region. */
    ResvPolicy resvPolicy(HwPagetable hwpt) {
        return hwpt instanceof HwptNested ? nestedResv : ResvPolicy.ALL;
    }

    /** Whether attaching a RID to this HWPT touches the paging IOAS behind it at all. */
    boolean enforceResvOnAttach(HwPagetable hwpt) {
        return resvPolicy(hwpt) != ResvPolicy.NONE;
    }

    /** Whether the policy reserves this region (DIRECT_RELAXABLE is never reserved). */
    static boolean reserves(ResvPolicy policy, ResvRegion r) {
        return policy == ResvPolicy.ALL || policy == ResvPolicy.SW_MSI_ONLY && r.type() == ResvType.SW_MSI;
    }

    /** The profile of this name ("mainline", "v6.7", "seed"), or null. */
    public static KernelProfile byName(String name) {
        String n = name.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
        for (KernelProfile p : values()) {
            if (p.name().equals(n)) {
                return p;
            }
        }
        return null;
    }

    /** The name users type. */
    public String userName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '.');
    }
}
