package dev.iommufdsim.kernel;

import dev.iommufdsim.kernel.spi.NestedDomain;

/**
 * struct iommufd_hwpt_nested (hw_pagetable.c): a user-managed stage-1 on a NEST_PARENT
 * paging HWPT, made directly on the parent or through a vIOMMU. It references the parent
 * (or the vIOMMU, which references the parent) and, with FAULT_ID_VALID, a fault object.
 */
public final class HwptNested extends HwPagetable {
    final HwptPaging parent;
    final IommufdViommu viommu;
    final NestedDomain domain;
    IommufdFault fault;

    HwptNested(HwptPaging parent, IommufdViommu viommu, NestedDomain domain, IommuInstanceHandle owner, boolean pasidCompat) {
        super(ObjType.HWPT_NESTED, owner, pasidCompat);
        this.parent = parent;
        this.viommu = viommu;
        this.domain = domain;
    }

    public HwptPaging parent() {
        return parent;
    }

    /** The vIOMMU it was made through, or null. */
    public IommufdViommu viommu() {
        return viommu;
    }

    public NestedDomain domain() {
        return domain;
    }

    /** The FAULT object it holds (FAULT_ID_VALID), or null. */
    public IommufdFault fault() {
        return fault;
    }

    @Override
    public HwptPaging findHwptPaging() {
        return parent;
    }

    /** iommufd_hwpt_nested_destroy(). */
    @Override
    void destroy() {
        if (fault != null) {
            fault.put();
        }
        if (viommu != null) {
            viommu.put();
        } else {
            parent.put();
        }
    }
}
