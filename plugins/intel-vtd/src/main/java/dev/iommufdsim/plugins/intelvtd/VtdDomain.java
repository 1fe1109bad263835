package dev.iommufdsim.plugins.intelvtd;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.IoPageTable;
import dev.iommufdsim.kernel.uapi.Uapi;

/**
 * driverState of a VT-d paging domain (struct dmar_domain): which table format it uses, its
 * generic page-table configuration, and the features paging_domain_compatible() compares
 * against the unit a device sits behind. A VT-d domain may span several units (it is
 * attached per unit), so the unit of the device matters, not the unit that allocated it.
 *
 * @param firstStage    intel_fs_paging_domain_ops (x86_64 format) rather than second stage (vtdss)
 * @param vaszLg2       cfg.common.hw_max_vasz_lg2
 * @param topLevel      cfg.top_level (2, 3, 4 = 3-, 4-, 5-level table)
 * @param pgsizeBitmap  domain->pgsize_bitmap
 * @param nestedParent  allocated with IOMMU_HWPT_ALLOC_NEST_PARENT (read-only mappings refused)
 * @param dirty         has dirty_ops
 * @param dmaIncoherent PT_FEAT_DMA_INCOHERENT
 * @param iotlbSyncMap  dmar_domain->iotlb_sync_map
 * @param sspt          the second-stage leaves and dmar_domain->dirty_tracking of a domain with
 *                      dirty_ops (null otherwise: the emulator keeps no other IOPTEs)
 * @param snooping      dmar_domain->force_snooping, which enforce_cache_coherency sets after allocation
 */
record VtdDomain(boolean firstStage, int vaszLg2, int topLevel, long pgsizeBitmap, boolean nestedParent,
                 boolean dirty, boolean dmaIncoherent, boolean iotlbSyncMap, DirtyState sspt, Snooping snooping) {
    /**
     * The dirty half of a second-stage dmar_domain: its vtdss leaves (generic_pt fmt/vtdss.h:
     * 4 KiB granule, 512 entries a table, leaves of 4K, 2M, 1G, never contiguous; VTDSS_FMT_D
     * is the dirty bit) and dirty_tracking, which every PASID entry of the domain's devices
     * (and of nested domains on it, when it is a nesting parent) copies into SSADE.
     */
    static final class DirtyState {
        static final IoPageTable.Format VTDSS = IoPageTable.Format.genericPt(12, 9);

        final IoPageTable ptes = new IoPageTable(VTDSS);
        /** dmar_domain->dirty_tracking. */
        boolean dirtyTracking;
        /**
         * The (device, PASID) pairs on the dev_pasids of this domain (or, for a nesting parent,
         * of a nested domain on it) whose PASID entry a failed replace tore down: cleared
         * entries, whose PGTT intel_pasid_setup_dirty_tracking() refuses (EOPNOTSUPP).
         */
        final java.util.Set<String> clearedEntries = new java.util.HashSet<>();
    }

    static final long SZ_4K = 4096;
    static final long SZ_2M = 2L << 20;
    static final long SZ_1G = 1L << 30;

    /**
     * dmar_domain->force_snooping; for a second-stage table it comes with
     * PT_FEAT_VTDSS_FORCE_COHERENCE (SNP set in every IOPTE), which paging_domain_compatible
     * checks. Set once, never cleared.
     */
    static final class Snooping {
        boolean forced;
    }

    /**
     * intel_iommu_enforce_cache_coherency_fs() / _ss(): domain_support_force_snooping() (every
     * unit the domain is attached through has ECAP.SC), then force_snooping (and, second stage,
     * PT_FEAT_VTDSS_FORCE_COHERENCE). iommufd asks only for a new domain, attached through no
     * unit yet, so it always succeeds here.
     */
    boolean enforceCacheCoherency() {
        snooping.forced = true;
        return true;
    }

    /**
     * intel_iommu_domain_alloc_first_stage(): flags beyond PASID, or no scalable mode or no
     * ECAP.FLTS -> EOPNOTSUPP (the caller then tries the second stage). Input size from
     * compute_vasz_lg2_fs(): min(57, MGAW) with 5-level paging (MGAW > 48 and FL5LP), else
     * min(48, MGAW); sign-extended, so the aperture is the lower half. Pages 4K, 2M, and 1G
     * when CAP.FL1GP.
     */
    static VtdDomain firstStage(VtdRegs.Caps c, int flags) {
        if ((flags & ~Uapi.IOMMU_HWPT_ALLOC_PASID) != 0 || !c.sm() || !c.has(VtdRegs.ECAP_FLTS)) {
            throw fail(EOPNOTSUPP, "first stage not possible");
        }
        int top;
        int vasz;
        if (c.mgaw() > 48 && c.fl5lp()) {
            top = 4;
            vasz = Math.min(57, c.mgaw());
        } else {
            top = 3;
            vasz = Math.min(48, c.mgaw());
        }
        long pgsizes = SZ_4K | SZ_2M | (c.fl1gp() ? SZ_1G : 0);
        return new VtdDomain(true, vasz, top, pgsizes, false, false, !c.has(VtdRegs.ECAP_SMPWC), c.rwbfRequired(), null, new Snooping());
    }

    /**
     * intel_iommu_domain_alloc_second_stage(): flags beyond NEST_PARENT|DIRTY_TRACKING|PASID ->
     * EOPNOTSUPP; NEST_PARENT without nested_supported() or DIRTY_TRACKING without
     * ssads_supported() -> EOPNOTSUPP; scalable mode without ECAP.SLTS -> EOPNOTSUPP. Input
     * size from compute_vasz_lg2_ss(); no usable level (pt init refuses the top level) ->
     * EOPNOTSUPP. Pages 4K plus the superpages CAP.SLLPS lists.
     */
    static VtdDomain secondStage(VtdRegs.Caps c, int flags) {
        int valid = Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT | Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING | Uapi.IOMMU_HWPT_ALLOC_PASID;
        if ((flags & ~valid) != 0) {
            throw fail(EOPNOTSUPP, "intel_vtd: paging flags 0x%x not supported", flags);
        }
        boolean nestParent = (flags & Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT) != 0;
        boolean dirty = (flags & Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING) != 0;
        if (nestParent && !c.nested()) {
            throw fail(EOPNOTSUPP, "intel_vtd: NEST_PARENT needs scalable mode and ECAP.NEST");
        }
        if (dirty && !c.ssads()) {
            throw fail(EOPNOTSUPP, "intel_vtd: DIRTY_TRACKING needs scalable mode with ECAP.SLADS and ECAP.SMPWC");
        }
        if (c.sm() && !c.has(VtdRegs.ECAP_SLTS)) {
            throw fail(EOPNOTSUPP, "intel_vtd: scalable mode without ECAP.SLTS has no second stage");
        }
        int mgaw = c.mgaw();
        int sagaw = c.sagaw();
        int top;
        int vasz;
        if (mgaw > 48 && sagaw >= 1 << 3) {
            top = 4;
            vasz = Math.min(57, mgaw);
        } else if (mgaw > 39 && sagaw >= 1 << 2) {
            top = 3 + ffs(sagaw >> 3);
            vasz = Math.min(48, mgaw);
        } else if (mgaw > 30 && sagaw >= 1 << 1) {
            top = 2 + ffs(sagaw >> 2);
            vasz = Math.min(39, mgaw);
        } else {
            throw fail(EOPNOTSUPP, "intel_vtd: MGAW %d and SAGAW 0x%x allow no second-stage table", mgaw, sagaw);
        }
        if (top > 4 || top < 2) {
            throw fail(EOPNOTSUPP, "intel_vtd: a %d-level second-stage table is not supported", top + 1);
        }
        int sllps = c.sllps();
        long pgsizes = SZ_4K | ((sllps & 1) != 0 ? SZ_2M : 0) | ((sllps & 2) != 0 ? SZ_1G : 0);
        return new VtdDomain(false, vasz, top, pgsizes, nestParent, dirty, !c.pagingStructureCoherency(),
                c.rwbfRequired() || c.cachingMode(), dirty ? new DirtyState() : null, new Snooping());
    }

    /** ffs(): 1-based index of the lowest set bit, 0 for none. */
    private static int ffs(int v) {
        return v == 0 ? 0 : Integer.numberOfTrailingZeros(v) + 1;
    }

    /** geometry.aperture_end: the sign-extended first stage only gets its lower half. */
    long apertureEnd() {
        return firstStage ? (1L << (vaszLg2 - 1)) - 1 : (1L << vaszLg2) - 1;
    }

    /**
     * paging_domain_compatible() against the unit {@code c} of the device: first stage:
     * no scalable mode or FLTS, incoherent walks the table did not plan for, more than 48 bits
     * without FL5LP, 1G pages without FL1GP, RWBF without iotlb_sync_map -> EINVAL. Second
     * stage: dirty without SSADS, a nesting parent without nesting, no SLTS in scalable mode,
     * incoherent walks not planned for, an input size above MGAW, a table level SAGAW lacks,
     * superpages SLLPS lacks, RWBF/caching mode without iotlb_sync_map, a domain enforcing cache
     * coherency on a unit without ECAP.SC -> EINVAL. (A first-stage domain with force_snooping
     * is not checked against ECAP.SC in 7.2: paging_domain_compatible_first_stage() has no such
     * test, so such an attach succeeds.)
     */
    void checkCompatible(VtdRegs.Caps c, String unit) {
        if (firstStage) {
            if (!c.sm() || !c.has(VtdRegs.ECAP_FLTS)) {
                throw incompatible(unit, "has no first-stage translation (scalable mode with ECAP.FLTS)");
            }
            if (!c.has(VtdRegs.ECAP_SMPWC) && !dmaIncoherent) {
                throw incompatible(unit, "walks page tables incoherently (no ECAP.SMPWC)");
            }
            if (!c.fl5lp() && vaszLg2 > 48) {
                throw incompatible(unit, "has no 5-level first stage (CAP.FL5LP)");
            }
            if (!c.fl1gp() && (pgsizeBitmap & SZ_1G) != 0) {
                throw incompatible(unit, "has no 1 GiB first-stage pages (CAP.FL1GP)");
            }
            if (c.rwbfRequired() && !iotlbSyncMap) {
                throw incompatible(unit, "needs write-buffer flushing (CAP.RWBF)");
            }
            return;
        }
        if (dirty && !c.ssads()) {
            throw incompatible(unit, "has no second-stage dirty tracking (SLADS/SMPWC)");
        }
        if (nestedParent && !c.nested()) {
            throw incompatible(unit, "has no nested translation (ECAP.NEST)");
        }
        if (c.sm() && !c.has(VtdRegs.ECAP_SLTS)) {
            throw incompatible(unit, "has no second-stage translation (ECAP.SLTS)");
        }
        if (!c.pagingStructureCoherency() && !dmaIncoherent) {
            throw incompatible(unit, "walks page tables incoherently");
        }
        if (c.mgaw() < vaszLg2) {
            throw incompatible(unit, "has MGAW " + c.mgaw() + " below the domain's " + vaszLg2 + " bits");
        }
        if ((c.sagaw() & 1 << (topLevel - 1)) == 0) {
            throw incompatible(unit, "lacks the domain's " + (topLevel + 1) + "-level table in SAGAW");
        }
        int sllps = c.sllps();
        if (((sllps & 1) == 0 && (pgsizeBitmap & SZ_2M) != 0) || ((sllps & 2) == 0 && (pgsizeBitmap & SZ_1G) != 0)) {
            throw incompatible(unit, "lacks the domain's superpages in CAP.SLLPS");
        }
        if ((c.rwbfRequired() || c.cachingMode()) && !iotlbSyncMap) {
            throw incompatible(unit, "needs iotlb sync on map (RWBF or caching mode)");
        }
        if (snooping.forced && !c.has(VtdRegs.ECAP_SC)) {
            throw incompatible(unit, "has no snoop control (ECAP.SC) and the domain enforces cache coherency (PT_FEAT_VTDSS_FORCE_COHERENCE)");
        }
    }

    private static RuntimeException incompatible(String unit, String why) {
        return fail(EINVAL, "intel_vtd: the domain is not compatible with %s, which %s", unit, why);
    }
}
