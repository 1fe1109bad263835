package dev.iommufdsim.kernel;

/**
 * struct iommufd_hw_pagetable: what paging and nested HWPTs share (the iommu_domain, the
 * fault object, PASID compatibility).
 */
public abstract class HwPagetable extends IommufdObject {
    /** The driver instance whose ops own the domain (domain->owner). */
    final IommuInstanceHandle owner;
    /** hwpt->pasid_compat: allocated with IOMMU_HWPT_ALLOC_PASID. */
    final boolean pasidCompat;

    HwPagetable(ObjType type, IommuInstanceHandle owner, boolean pasidCompat) {
        super(type);
        this.owner = owner;
        this.pasidCompat = pasidCompat;
    }

    public IommuInstanceHandle owner() {
        return owner;
    }

    public boolean pasidCompat() {
        return pasidCompat;
    }

    /** find_hwpt_paging(): the paging HWPT itself, or a nested HWPT's parent; null otherwise. */
    public abstract HwptPaging findHwptPaging();
}
