package dev.iommufdsim.plugins.intelvtd;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.UserDataArray;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.uapi.Uapi;

/**
 * A VT-d nested domain (drivers/iommu/intel/nested.c): the guest's first-stage table
 * (struct iommu_hwpt_vtd_s1) over a second-stage nesting parent. Allocation checks little;
 * the table's configuration is checked when a device attaches (intel_pasid_setup_nested).
 */
final class IntelNestedDomain implements NestedDomain {
    /** IOMMU_HWPT_DATA_VTD_S1 and IOMMU_HWPT_INVALIDATE_DATA_VTD_S1. */
    static final int IOMMU_HWPT_DATA_VTD_S1 = 1;
    static final int IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0;
    /** IOMMU_VTD_S1_SRE, _EAFE, _WPE. */
    static final long IOMMU_VTD_S1_SRE = 1 << 0;
    static final long IOMMU_VTD_S1_EAFE = 1 << 1;
    static final long IOMMU_VTD_S1_WPE = 1 << 2;
    /** IOMMU_VTD_INV_FLAGS_LEAF. */
    static final int IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0;
    /** ADDR_WIDTH_4LEVEL / ADDR_WIDTH_5LEVEL. */
    static final int ADDR_WIDTH_4LEVEL = 48;
    static final int ADDR_WIDTH_5LEVEL = 57;
    /** sizeof(struct iommu_hwpt_vtd_s1) = offsetofend(..., __reserved); same for the invalidation entry. */
    static final int VTD_S1_SIZE = 24;
    static final int INVALIDATE_SIZE = 24;
    static final long VTD_PAGE_SIZE = 4096;

    /** struct iommu_hwpt_vtd_s1 as copied (domain->s1_cfg). */
    record S1Cfg(long flags, long pgtblAddr, int addrWidth, int reserved) {
    }

    private final VtdDomain s2;
    private final S1Cfg s1;
    private long invalidations;

    private IntelNestedDomain(VtdDomain s2, S1Cfg s1) {
        this.s2 = s2;
        this.s1 = s1;
    }

    /**
     * intel_iommu_domain_alloc_nested(), in its order: no nested_supported() on the device's
     * unit or flags beyond PASID -> EOPNOTSUPP; data type other than VTD_S1 -> EOPNOTSUPP; a
     * parent that is not a second-stage nesting parent -> EINVAL;
     * iommu_copy_struct_from_user(..., __reserved): length other than 24 -> EINVAL. Nothing in
     * the data is checked here: flags, addr_width and __reserved wait for the attach.
     */
    static IntelNestedDomain alloc(IntelVtdInstance unit, PagingDomain parent, int flags, int dataType, byte[] data) {
        if (!unit.caps().nested() || (flags & ~Uapi.IOMMU_HWPT_ALLOC_PASID) != 0) {
            throw fail(EOPNOTSUPP, "intel_vtd: nested domains need nested translation and no flags beyond PASID (flags 0x%x)", flags);
        }
        if (dataType != IOMMU_HWPT_DATA_VTD_S1) {
            throw fail(EOPNOTSUPP, "intel_vtd: nested data type %d is not IOMMU_HWPT_DATA_VTD_S1", dataType);
        }
        if (parent == null || !(parent.driverState() instanceof VtdDomain s2) || s2.firstStage() || !s2.nestedParent()) {
            throw fail(EINVAL, "intel_vtd: the parent is not a second-stage nesting parent");
        }
        UserStruct v = UserStruct.copyFromUser(dataType, data, IOMMU_HWPT_DATA_VTD_S1, VTD_S1_SIZE, VTD_S1_SIZE);
        return new IntelNestedDomain(s2, new S1Cfg(v.u64(0), v.u64(8), v.u32(16), v.u32(20)));
    }

    /**
     * intel_nested_attach_dev(), up to its IOPF enabling: paging_domain_compatible() of the
     * parent with the device's unit (info->iommu, which is devIommu, not necessarily the
     * allocating unit) -> EINVAL. Then iopf_for_domain_set() (ENODEV without PRI, the core's
     * call) and {@link #attachDevAfterIopf}.
     */
    @Override
    public void attachDev(DeviceInfo dev, IommuInstance devIommu, VdevLookup vdevs) {
        if (!(devIommu instanceof IntelVtdInstance unit)) {
            // The core only calls this for a device of this driver (domain->owner == ops).
            throw fail(EINVAL, "intel_vtd: %s is not behind a VT-d unit", dev.name());
        }
        s2.checkCompatible(unit.caps(), unit.name());
    }

    /** intel_nested_attach_dev() after iopf_for_domain_set(): intel_pasid_setup_nested() against the device's unit ({@link #checkSetupNested}). */
    @Override
    public void attachDevAfterIopf(DeviceInfo dev, IommuInstance devIommu) {
        if (devIommu instanceof IntelVtdInstance unit) {
            checkSetupNested(unit);
        }
    }

    /** The nesting parent (dmar_domain->s2_domain). */
    VtdDomain s2() {
        return s2;
    }

    /**
     * The checks of intel_pasid_setup_nested() against the device's unit, before it looks at
     * the PASID entry: addr_width other than 48, or 57 without CAP.FL5LP -> EINVAL; SRE
     * without ECAP.SRS -> EINVAL; EAFE without ECAP.EAFS -> EINVAL.
     */
    void checkSetupNested(IntelVtdInstance unit) {
        VtdRegs.Caps c = unit.caps();
        if (s1.addrWidth() == ADDR_WIDTH_5LEVEL) {
            if (!c.fl5lp()) {
                throw fail(EINVAL, "intel_vtd: stage-1 addr_width 57 needs 5-level paging (CAP.FL5LP), which %s lacks", unit.name());
            }
        } else if (s1.addrWidth() != ADDR_WIDTH_4LEVEL) {
            throw fail(EINVAL, "intel_vtd: invalid stage-1 address width %d (48 or 57)", Integer.toUnsignedLong(s1.addrWidth()));
        }
        if ((s1.flags() & IOMMU_VTD_S1_SRE) != 0 && !c.has(VtdRegs.ECAP_SRS)) {
            throw fail(EINVAL, "intel_vtd: no supervisor request support (ECAP.SRS) on %s", unit.name());
        }
        if ((s1.flags() & IOMMU_VTD_S1_EAFE) != 0 && !c.has(VtdRegs.ECAP_EAFS)) {
            throw fail(EINVAL, "intel_vtd: no extended access flag support (ECAP.EAFS) on %s", unit.name());
        }
    }

    @Override
    public boolean hasCacheInvalidateUser() {
        return true;
    }

    /**
     * intel_nested_cache_invalidate_user(): type other than IOMMU_HWPT_INVALIDATE_DATA_VTD_S1
     * -> EINVAL with nothing done; per entry: the copy (entry_len other than 24 -> EINVAL),
     * flags beyond LEAF or a non-zero __reserved -> EOPNOTSUPP, addr not 4 KiB aligned or
     * npages U64_MAX with a non-zero addr -> EINVAL. Stops at the first bad entry; done = the
     * entries flushed before it.
     */
    @Override
    public void cacheInvalidateUser(UserDataArray array) {
        int processed = 0;
        try {
            if (array.type() != IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) {
                throw fail(EINVAL, "intel_vtd: invalidation data type %d is not IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 (0)", array.type());
            }
            for (int i = 0; i < array.entryNum(); i++) {
                UserStruct e = array.copyEntry(i, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, INVALIDATE_SIZE, INVALIDATE_SIZE);
                long addr = e.u64(0);
                long npages = e.u64(8);
                int flags = e.u32(16);
                if ((flags & ~IOMMU_VTD_INV_FLAGS_LEAF) != 0 || e.u32(20) != 0) {
                    throw fail(EOPNOTSUPP, "intel_vtd: entry %d: flags 0x%x beyond LEAF or a non-zero __reserved", i, flags);
                }
                if (addr % VTD_PAGE_SIZE != 0 || (npages == -1L && addr != 0)) {
                    throw fail(EINVAL, "intel_vtd: entry %d: addr 0x%x not 4 KiB aligned, or npages U64_MAX with a non-zero addr", i, addr);
                }
                invalidations++;
                processed++;
            }
        } finally {
            array.setDone(processed);
        }
    }

    /** The guest's stage-1 configuration as copied ({@link S1Cfg}). */
    @Override
    public Object state() {
        return s1;
    }

    /** How many entries cache_tag_flush_range() was called for. */
    long invalidations() {
        return invalidations;
    }

    @Override
    public String toString() {
        return String.format("VT-d stage 1 {flags 0x%x, pgtbl_addr 0x%x, addr_width %d}", s1.flags(), s1.pgtblAddr(), s1.addrWidth());
    }
}
