package dev.iommufdsim.kernel;

import java.util.Map;
import java.util.TreeMap;

/**
 * struct iommufd_group: a context's bookkeeping for one iommu group — per PASID, the HWPT
 * the group is attached to and which of its devices are attached (struct iommufd_attach).
 */
final class IommufdGroup {
    /** PHYS_ADDR_MAX: the group has no SW_MSI region. */
    static final long NO_SW_MSI = -1L;

    /** struct iommufd_attach. */
    static final class Attach {
        HwPagetable hwpt;
        /** device_array, keyed by dev_id (xarray order). */
        final TreeMap<Integer, IommufdDevice> devices = new TreeMap<>();
    }

    final IommuGroup group;
    /** pasid_attach: IOMMU_NO_PASID (0) is the RID. */
    final Map<Integer, Attach> pasidAttach = new TreeMap<>();
    long swMsiStart = NO_SW_MSI;
    /** igroup->required_sw_msi: the context's SW_MSI maps this group's devices use. */
    long requiredSwMsi;
    int refs;

    IommufdGroup(IommuGroup group) {
        this.group = group;
    }

    /** iommufd_group_first_attach(). */
    boolean firstAttach(int pasid) {
        return !pasidAttach.containsKey(pasid);
    }
}
