package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Errno.ENOSPC;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.DirtyBitmap;
import dev.iommufdsim.kernel.spi.DmaFault;
import dev.iommufdsim.kernel.spi.DmaFaultEvent;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.IommuDomain;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.IoPageTable;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PasidTable;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.spi.Viommu;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One SMMUv3 (struct arm_smmu_device with arm_smmu_ops), its ID registers decoded into
 * features ({@link SmmuRegs}). Paging domains are stage 1 by default and stage 2 for nesting
 * parents; vIOMMUs ({@link ArmVsmmu}) hang off a stage-2 parent of this SMMU.
 */
final class ArmSmmuV3Instance implements IommuInstance {
    /** IOMMU_VIOMMU_TYPE_ARM_SMMUV3. */
    static final int IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1;
    private static final long SZ_64K = 0x10000;

    enum Stage { S1, S2 }

    /**
     * driverState of this driver's paging domains (struct arm_smmu_domain): its SMMU, stage and
     * VMID (S2), for a domain with dirty_ops (stage 1 with IO_PGTABLE_QUIRK_ARM_HD) its
     * io-pgtable leaves, whose DBM/AP_RDONLY bits are the dirty state (null otherwise), and
     * whether it enforces cache coherency, which changes after allocation.
     */
    record ArmDomain(ArmSmmuV3Instance smmu, Stage stage, int vmid, boolean nestParent, IoPageTable ptes, Coherency coherency) {
        /**
         * The check of arm_smmu_attach_prepare() (under devices_lock): a domain that enforces
         * cache coherency refuses a master without CANWBS (EINVAL). For a nested domain the
         * kernel checks its vSMMU's stage-2 parent (to_smmu_domain_devices()).
         */
        void checkCoherentMaster(DeviceInfo dev) {
            if (coherency.enforced && !canwbs(dev)) {
                throw fail(EINVAL, "arm_smmuv3: %s cannot snoop (its root complex has no IORT CANWBS) but the domain on %s enforces"
                        + " cache coherency", dev.name(), smmu.name);
            }
        }
    }

    /** smmu_domain->enforce_cache_coherency: set once by arm_smmu_enforce_cache_coherency(), never cleared. */
    static final class Coherency {
        boolean enforced;
    }

    private final IommuDriver driver;
    private final String name;
    private final SmmuRegs regs;
    private final SmmuRegs.Features f;
    private final long msiBase;
    private final long msiLength;
    private final long hostPageSize;
    private final int vaBits;
    private final boolean hi161x;
    private final List<Long> itsBases;
    private final List<IortRmr> rmrs;
    /** How the MSI doorbell is described: the SW_MSI window (mainline) or a 1:1 region. */
    private final ResvType msiRegion;
    /** The VMID ida of arm_smmu_domain_finalise_s2(): VMID 0 is reserved for bypass STEs. */
    private int nextVmid = 1;
    /**
     * Each master's CD table beyond SSID 0 (master->cd_table): the valid CDs at the PASIDs
     * attached through set_dev_pasid, by device name. Its size is cd_table.used_ssids, which
     * arm_smmu_write_cd_entry() counts for every SSID but IOMMU_NO_PASID.
     */
    private final PasidTable<ArmDomain> cdTables = new PasidTable<>();

    ArmSmmuV3Instance(IommuDriver driver, String name, SmmuRegs regs, long msiBase, long msiLength, long hostPageSize,
                      int vaBits, boolean hi161x, List<Long> itsBases, List<IortRmr> rmrs, ResvType msiRegion) {
        this.driver = driver;
        this.name = name;
        this.regs = regs;
        this.f = regs.probe();
        this.msiBase = msiBase;
        this.msiLength = msiLength;
        this.hostPageSize = hostPageSize;
        this.vaBits = vaBits;
        this.hi161x = hi161x;
        this.itsBases = List.copyOf(itsBases);
        this.rmrs = List.copyOf(rmrs);
        this.msiRegion = msiRegion;
    }

    @Override
    public IommuDriver driver() {
        return driver;
    }

    SmmuRegs.Features features() {
        return f;
    }

    /**
     * The device's stream IDs (its fwspec ids): the {@code sids} or {@code sid} property, else the
     * PCI requester ID (bus << 8 | device << 3 | function, the IORT identity mapping), else 0.
     */
    static List<Long> sids(DeviceInfo dev) {
        Object v = dev.properties().get("sids");
        if (v == null) {
            v = dev.properties().get("sid");
        }
        if (v != null) {
            List<Long> out = new ArrayList<>();
            for (Object o : v instanceof List<?> l ? l : List.of(v)) {
                if (!(o instanceof Number n)) {
                    throw fail(EINVAL, "arm_smmuv3: %s: sids must be numbers, not %s", dev.name(), v);
                }
                out.add(n.longValue());
            }
            return out;
        }
        return List.of(dev.bdf() == null ? 0L : requesterId(dev.bdf()));
    }

    /** PCI_DEVID(bus, devfn) of "[segment:]bus:device.function". */
    static long requesterId(String bdf) {
        String[] parts = bdf.split(":");
        try {
            int bus = Integer.parseInt(parts[parts.length - 2], 16);
            String[] df = parts[parts.length - 1].split("\\.");
            return (long) bus << 8 | Integer.parseInt(df[0], 16) << 3 | Integer.parseInt(df[1], 16);
        } catch (RuntimeException e) {
            throw fail(EINVAL, "arm_smmuv3: '%s' is not a PCI address [segment:]bus:device.function", bdf);
        }
    }

    /**
     * arm_smmu_get_resv_regions(): the SW_MSI window (prot WRITE|NOEXEC|MMIO), then
     * iommu_dma_get_resv_regions() -> iort_iommu_get_resv_regions(): the HiSilicon Hi161x MSI
     * regions (iort_iommu_msi_get_resv_regions, one per ITS of the device's ITS group), then
     * the IORT RMRs whose stream IDs include one of the device's, then the device's own RMRs.
     */
    @Override
    public List<ResvRegion> getResvRegions(DeviceInfo dev) {
        int msiProt = ResvRegion.IOMMU_WRITE | ResvRegion.IOMMU_NOEXEC | ResvRegion.IOMMU_MMIO;
        List<ResvRegion> out = new ArrayList<>();
        if (msiRegion == ResvType.SW_MSI) {
            out.add(new ResvRegion(msiBase, msiLength, msiProt, ResvType.SW_MSI, "SW_MSI window"));
        } else {
            // The alternative the 2023 review weighed (and QEMU's accelerated SMMUv3 uses in a
            // guest): the ITS translation frame described as a 1:1 region, like an IORT RMR.
            for (long its : itsBases) {
                out.add(new ResvRegion(its + SZ_64K, SZ_64K, msiProt, msiRegion, String.format("ITS 0x%x doorbell 1:1", its)));
            }
        }
        if (hi161x) {
            for (long its : itsBases) {
                out.add(new ResvRegion(its + SZ_64K, SZ_64K, msiProt, ResvType.MSI,
                        String.format("HiSilicon Hi161x ITS 0x%x translation page", its)));
            }
        }
        List<Long> sids = sids(dev);
        for (IortRmr r : rmrs) {
            if (r.sids().stream().anyMatch(sids::contains)) {
                out.add(r.region());
            }
        }
        Object devRmrs = dev.properties().get("rmr");
        if (devRmrs != null) {
            int i = 0;
            for (Object o : devRmrs instanceof List<?> l ? l : List.of(devRmrs)) {
                if (!(o instanceof Map<?, ?> m)) {
                    throw fail(EINVAL, "arm_smmuv3: %s: rmr must be a list of records {start, length, ...}, not %s", dev.name(), devRmrs);
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> rec = (Map<String, Object>) m;
                out.add(IortRmr.parse(rec, dev.name() + " IORT RMR " + i++).region());
            }
        }
        return out;
    }

    /**
     * arm_smmu_capable() and the dev->iommu facts: coherency from IDR0.COHACC, dirty tracking
     * when HTTU gives FEAT_HD on a coherent SMMU (arm_smmu_dbm_capable), ATS when IDR0.ATS and
     * the device (with its root complex) support it, max_pasids = min(2^pasid_bits,
     * 2^IDR1.SSIDSIZE), MSIs isolated by the GICv3 ITS, IOMMU_CAP_ENFORCE_CACHE_COHERENCY =
     * arm_smmu_master_canwbs().
     */
    @Override
    public DeviceCaps capabilities(DeviceInfo dev) {
        long pasidBits = dev.longProperty("pasid_bits", 0);
        int maxPasids = pasidBits <= 0 ? 0 : (int) Math.min(1L << Math.min(pasidBits, 30), 1L << f.ssidBits());
        boolean ats = f.ats() && dev.bdf() != null && dev.boolProperty("ats", false);
        return new DeviceCaps(f.coherent(), f.hd() && f.coherent(), ats, maxPasids, true, canwbs(dev));
    }

    /** arm_smmu_master_canwbs(): the IORT CANWBS flag of the device's root complex or named component. */
    static boolean canwbs(DeviceInfo dev) {
        return dev.boolProperty("canwbs", true);
    }

    /**
     * arm_smmu_domain_alloc_paging_flags() and arm_smmu_domain_finalise(): flags beyond
     * DIRTY_TRACKING|PASID|NEST_PARENT or any user data -> EOPNOTSUPP; flags 0 -> stage 1 when
     * the SMMU has it (else stage 2); NEST_PARENT -> stage 2, EOPNOTSUPP without FEAT_NESTING;
     * DIRTY_TRACKING and/or PASID -> stage 1, EOPNOTSUPP without it; other combinations ->
     * EOPNOTSUPP. Stage 1 input size = min(48, or 52 with VAX, VA_BITS); stage 2 = OAS; then
     * io-pgtable's granule choice caps it ({@link #restrictPgsizes}). Aperture [0, 2^ias - 1].
     */
    @Override
    public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
        int pagingFlags = Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING | Uapi.IOMMU_HWPT_ALLOC_PASID | Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
        if ((flags & ~pagingFlags) != 0) {
            throw fail(EOPNOTSUPP, "arm_smmuv3: paging flags 0x%x not supported", flags);
        }
        if (data.length != 0) {
            throw fail(EOPNOTSUPP, "arm_smmuv3: paging domains take no user data (data_type %d)", dataType);
        }
        Stage stage;
        switch (flags) {
            case 0 -> stage = f.transS1() ? Stage.S1 : Stage.S2;
            case Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT -> {
                if (!f.nesting()) {
                    throw fail(EOPNOTSUPP, "arm_smmuv3: %s has no ARM_SMMU_FEAT_NESTING (IDR0 S1P+S2P, no errata)", name);
                }
                stage = Stage.S2;
            }
            case Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING, Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING | Uapi.IOMMU_HWPT_ALLOC_PASID,
                 Uapi.IOMMU_HWPT_ALLOC_PASID -> {
                if (!f.transS1()) {
                    throw fail(EOPNOTSUPP, "arm_smmuv3: %s has no stage 1 for flags 0x%x", name, flags);
                }
                stage = Stage.S1;
            }
            default -> throw fail(EOPNOTSUPP, "arm_smmuv3: paging flags 0x%x not supported together", flags);
        }
        long ias = stage == Stage.S1 ? Math.min(f.vax() ? 52 : 48, vaBits) : f.oas();
        long[] restricted = restrictPgsizes(f.pgsizeBitmap(), f.oas(), hostPageSize);
        long pgsizes = restricted[0];
        ias = Math.min(ias, restricted[1]);
        if ((pgsizes & (SmmuRegs.SZ_4K | SmmuRegs.SZ_16K | SmmuRegs.SZ_64K)) == 0) {
            throw fail(ENOMEM, "arm_smmuv3: alloc_io_pgtable_ops failed: no usable granule in IDR5 0x%x", regs.idr()[5]);
        }
        int vmid = 0;
        if (stage == Stage.S2) {
            if (nextVmid >= 1 << f.vmidBits()) {
                throw fail(ENOSPC, "arm_smmuv3: %s has no free VMID (%d bits)", name, f.vmidBits());
            }
            vmid = nextVmid++;
        }
        // arm_smmu_domain_finalise(): dirty_ops only for stage 1 (stage 2 refuses DIRTY_TRACKING)
        boolean dirty = (flags & Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING) != 0 && stage == Stage.S1;
        IoPageTable ptes = dirty ? new IoPageTable(IoPageTable.Format.ioPgtableArm(Long.numberOfTrailingZeros(pgsizes))) : null;
        return new PagingDomain(0, (1L << ias) - 1, pgsizes, dirty,
                new ArmDomain(this, stage, vmid, flags == Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, ptes, new Coherency()));
    }

    /**
     * arm_lpae_restrict_pgsizes() (io-pgtable-arm.c): the granule is PAGE_SIZE when the SMMU
     * has it, else the largest smaller one, else the smallest larger one; the domain gets that
     * granule's block sizes (64K: plus 4 TiB blocks when OAS > 48) and addresses up to 48 bits
     * (52 with the 64K granule).
     *
     * @return {pgsize_bitmap, max_addr_bits}
     */
    static long[] restrictPgsizes(long smmuPgsizes, int oas, long pageSize) {
        long pageMask = ~(pageSize - 1);
        long granule = 0;
        if ((smmuPgsizes & pageSize) != 0) {
            granule = pageSize;
        } else if ((smmuPgsizes & ~pageMask) != 0) {
            granule = Long.highestOneBit(smmuPgsizes & ~pageMask);
        } else if ((smmuPgsizes & pageMask) != 0) {
            granule = Long.lowestOneBit(smmuPgsizes & pageMask);
        }
        long maxAddrBits = 48;
        long sizes;
        if (granule == SmmuRegs.SZ_4K) {
            sizes = SmmuRegs.SZ_4K | (2L << 20) | (1L << 30);
        } else if (granule == SmmuRegs.SZ_16K) {
            sizes = SmmuRegs.SZ_16K | (32L << 20);
        } else if (granule == SmmuRegs.SZ_64K) {
            maxAddrBits = 52;
            sizes = SmmuRegs.SZ_64K | (512L << 20) | (oas > 48 ? 1L << 42 : 0);
        } else {
            sizes = 0;
        }
        return new long[] {smmuPgsizes & sizes, maxAddrBits};
    }

    /**
     * arm_smmu_attach_dev() for a paging domain, in its order: a domain of another SMMU
     * instance -> EINVAL; a stage-2 domain while the master has substreams in use (PASIDs
     * attached: arm_smmu_ssids_in_use()) -> EBUSY, since an S2 STE has no CD table for them;
     * then arm_smmu_attach_prepare(): a domain that enforces cache coherency and a device
     * without CANWBS -> EINVAL. Through iommufd the EBUSY is not reached: a stage-2 domain is
     * never allocated with IOMMU_HWPT_ALLOC_PASID, so iommufd_hwpt_pasid_compat() refuses it
     * first (EINVAL) while PASIDs are attached.
     */
    @Override
    public void attachDev(PagingDomain domain, DeviceInfo dev) {
        if (!(domain.driverState() instanceof ArmDomain d) || d.smmu() != this) {
            throw fail(EINVAL, "arm_smmuv3: the domain belongs to another SMMU than %s's (%s)", dev.name(), name);
        }
        if (d.stage() == Stage.S2) {
            checkNoSsidsInUse(dev, "a stage-2 domain");
        }
        d.checkCoherentMaster(dev);
    }

    /** arm_smmu_ssids_in_use() -> EBUSY: the RID's STE must keep the CD table while PASIDs use it. */
    void checkNoSsidsInUse(DeviceInfo dev, String what) {
        List<Integer> ssids = ssidsInUse(dev);
        if (!ssids.isEmpty()) {
            throw fail(EBUSY, "arm_smmuv3: %s cannot take %s on its RID: PASIDs %s use its CD table (substreams in use)", dev.name(),
                    what, ssids);
        }
    }

    // ---- PASID attach: arm_smmu_s1_set_dev_pasid, arm_smmu_set_pasid, arm_smmu_blocking_set_dev_pasid ----

    /**
     * set_dev_pasid of this driver's domains, in the kernel's order. A nested domain has none
     * (arm_smmu_nested_ops) -> EOPNOTSUPP; iommufd never gets here with one, since
     * arm_vsmmu_alloc_domain_nested() refuses IOMMU_HWPT_ALLOC_PASID (EOPNOTSUPP) and without it
     * iommufd_hwpt_pasid_compat() refuses (EINVAL). A paging domain goes through
     * arm_smmu_s1_set_dev_pasid(): a domain of another SMMU -> EINVAL; not stage 1 -> EINVAL
     * (stage-2 domains share the op but a PASID needs a CD); then arm_smmu_set_pasid():
     * arm_smmu_attach_prepare(): a domain that enforces cache coherency and a master without
     * CANWBS -> EINVAL; then the CD at SSID pasid is written (a replace rewrites it).
     *
     * <p>Not modelled, being unreachable through iommufd: arm_smmu_set_pasid()'s EINVAL when
     * the STE is not in CD-table mode and the RID's domain is neither identity nor blocked (a
     * stage-2 or nested RID domain, which iommufd_hwpt_pasid_compat() refuses first, with the
     * same EINVAL), and arm_smmu_alloc_cd_ptr()'s ENOMEM (an allocation failure). A PASID at or
     * above 2^CTXDESC_LINEAR_CDMAX (1024) on an SMMU without IDR0.CD2L passes the core's
     * max_pasids check (min(2^pasid_bits, 2^IDR1.SSIDSIZE), blind to the linear CD table's
     * cap in arm_smmu_probe_device()) and the kernel accepts it too, so it is accepted here.
     */
    @Override
    public void setDevPasid(IommuDomain domain, DeviceInfo dev, int pasid, IommuDomain old) {
        if (!(domain instanceof PagingDomain paging)) {
            throw fail(EOPNOTSUPP, "arm_smmuv3: a nested domain has no set_dev_pasid; pasid %d of %s needs a stage-1 paging domain",
                    Integer.toUnsignedLong(pasid), dev.name());
        }
        if (!(paging.driverState() instanceof ArmDomain d) || d.smmu() != this) {
            throw fail(EINVAL, "arm_smmuv3: the domain belongs to another SMMU than %s's (%s)", dev.name(), name);
        }
        if (d.stage() != Stage.S1) {
            throw fail(EINVAL, "arm_smmuv3: pasid %d of %s needs a stage-1 domain (a CD); this one is stage 2",
                    Integer.toUnsignedLong(pasid), dev.name());
        }
        d.checkCoherentMaster(dev);
        cdTables.put(dev, pasid, d);
    }

    /**
     * arm_smmu_blocking_set_dev_pasid(): clears the CD at SSID pasid (cannot fail). When the
     * last substream goes, the kernel downgrades an identity or blocked RID's STE from CD-table
     * mode, which changes nothing iommufd can see.
     */
    @Override
    public void removeDevPasid(DeviceInfo dev, int pasid, IommuDomain old) {
        cdTables.remove(dev, pasid);
    }

    /** The PASIDs with a valid CD in the master's table (SSID 0 excluded), for tests and inspection. */
    List<Integer> ssidsInUse(DeviceInfo dev) {
        return List.copyOf(cdTables.entries(dev).keySet());
    }

    /**
     * arm_smmu_enforce_cache_coherency(): true unless a master attached to the domain lacks
     * CANWBS, and remembered. iommufd asks only for a domain it has just allocated, before any
     * attach, so the loop over smmu_domain->devices finds none: the answer is true, and from
     * then on {@link #attachDev} refuses masters without CANWBS.
     */
    @Override
    public boolean enforceCacheCoherency(PagingDomain domain) {
        if (!(domain.driverState() instanceof ArmDomain d)) {
            return false;
        }
        d.coherency().enforced = true;
        return true;
    }

    // ---- dirty tracking: arm_smmu_dirty_ops over io-pgtable-arm.c (IO_PGTABLE_QUIRK_ARM_HD) ----

    /**
     * The io-pgtable leaves of a domain with dirty_ops, which the spi's default map_pages /
     * unmap_pages write as arm_lpae_map_pages() / arm_lpae_unmap_pages() do: writable leaves
     * get DBM without AP_RDONLY (arm_lpae_prot_to_pte), so they are writable-dirty from the
     * map until a read clears them (iopt_clear_dirty_data does before tracking is enabled);
     * read-only leaves have AP_RDONLY, no DBM, and never get dirty. Null for other domains.
     */
    @Override
    public IoPageTable ioPageTable(PagingDomain domain) {
        return domain.driverState() instanceof ArmDomain d ? d.ptes() : null;
    }

    /**
     * arm_smmu_set_dirty_tracking(): nothing to do, always succeeds. HTTU dirty-state update
     * (CD.HA/HD) is always on for a domain with dirty_ops, and iommufd has cleared the dirty
     * bits before enabling (iopt_clear_dirty_data), so disabling just stops reading them.
     */
    @Override
    public void setDirtyTracking(PagingDomain domain, boolean enable) {
    }

    /**
     * arm_smmu_read_and_clear_dirty() -> arm_lpae_read_and_clear_dirty(): EINVAL for a size
     * of 0, a range past the input size or a domain that is not stage 1; then the walk
     * (visit_dirty) records each writable-dirty leaf (DBM set, AP_RDONLY clear) with its whole
     * block size at the walk address, which starts at iova and each leaf advances by its size
     * (so a leaf entered in its middle is reported from there, and the next leaf is the one
     * holding the advanced address), and, unless NO_CLEAR, makes it writable-clean again
     * (iopte_set_writeable_clean); an unmapped entry ends the walk with EINVAL.
     */
    @Override
    public void readAndClearDirty(PagingDomain domain, long iova, long size, long flags, DirtyBitmap dirty) {
        IoPageTable ptes = ioPageTable(domain);
        if (ptes == null) {
            // arm_lpae_read_and_clear_dirty(): "data->iop.fmt != ARM_64_LPAE_S1" -> EINVAL
            throw fail(EINVAL, "arm_smmuv3: not a stage-1 domain with IO_PGTABLE_QUIRK_ARM_HD");
        }
        if (size == 0 || Long.compareUnsigned(iova + size - 1, domain.apertureEnd()) > 0) {
            throw fail(EINVAL, "arm_smmuv3: read_and_clear_dirty of 0x%x + 0x%x outside the %d-bit input range", iova, size,
                    64 - Long.numberOfLeadingZeros(domain.apertureEnd()));
        }
        ptes.readAndClearDirty(iova, size, flags, dirty);
    }

    /**
     * A device write: with HTTU (CD.HD, set for every domain with dirty_ops by
     * arm_smmu_make_s1_cd) the SMMU clears AP_RDONLY of each writable-clean leaf it writes
     * through, i.e. marks it dirty, whether or not iommufd has "enabled" tracking. Other
     * domains (no DBM, or stage 2, which never has dirty_ops) record nothing.
     */
    @Override
    public void dmaWrite(DeviceInfo dev, PagingDomain domain, long iova, long length) {
        IoPageTable ptes = ioPageTable(domain);
        if (ptes != null) {
            ptes.writeDirty(iova, length);
        }
    }

    /** arm_smmu_enable_iopf() ({@link SmmuStall}). */
    @Override
    public void enableIopf(DeviceInfo dev) {
        SmmuStall.enableIopf(regs, dev);
    }

    /** Stall events of a stalling master become page requests ({@link SmmuStall}). */
    @Override
    public List<dev.iommufdsim.kernel.spi.PageRequest> pageRequests(DeviceInfo dev, dev.iommufdsim.kernel.spi.DeviceAccess access) {
        return SmmuStall.pageRequests(regs, dev, access);
    }

    /**
     * A non-stall fault under a vSMMU nested domain, through arm_smmu_handle_event()
     * ({@link SmmuEvent}): the parent's stage 2 refusing the IPA, or a substream the vSTE
     * cannot take (none when the emulator has no event for it).
     */
    @Override
    public DmaFaultEvent nestedDmaFault(DeviceInfo dev, NestedDomain domain, DmaFault fault, VdevLookup vdevs) {
        if (!(domain instanceof ArmNestedDomain nested)) {
            return null;
        }
        long sid = sids(dev).get(0);
        long[] evt = fault.kind() == DmaFault.Kind.SUBSTREAM
                ? SmmuEvent.badSubstream((ArmNestedDomain.VSte) nested.state(), sid, fault.pasid())
                : SmmuEvent.stage2Fault(sid, fault);
        return evt == null ? null : SmmuEvent.handle(dev, evt, vdevs);
    }

    /** arm_smmu_hw_info(): IOMMU_HW_INFO_TYPE_ARM_SMMUV3 with the raw ID registers; other types -> EOPNOTSUPP (no impl_ops). */
    @Override
    public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
        if (requestedType != Uapi.IOMMU_HW_INFO_TYPE_DEFAULT && requestedType != Uapi.IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
            throw fail(EOPNOTSUPP, "arm_smmuv3: hw_info type %d not supported", requestedType);
        }
        return new HwInfo(Uapi.IOMMU_HW_INFO_TYPE_ARM_SMMUV3, regs.hwInfoBytes());
    }

    /**
     * arm_smmu_get_viommu_size(), in its order: no FEAT_NESTING, the CMDQ_FORCE_SYNC erratum
     * option, a device neither CANWBS nor behind an S2FWB SMMU, or a type other than
     * IOMMU_VIOMMU_TYPE_ARM_SMMUV3 (no Tegra241 CMDQV implementation here) -> unsupported
     * (the core answers EOPNOTSUPP).
     */
    @Override
    public boolean viommuSupported(DeviceInfo dev, int viommuType) {
        if (!f.nesting() || f.forceSync()) {
            return false;
        }
        if (!canwbs(dev) && !f.s2fwb()) {
            return false;
        }
        return viommuType == IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
    }

    /** arm_vsmmu_init(): a stage-2 parent of another SMMU -> EINVAL; the vSMMU takes the parent's VMID. */
    @Override
    public Viommu viommuInit(int viommuType, PagingDomain parent, DeviceInfo dev, byte[] data) {
        if (!(parent.driverState() instanceof ArmDomain s2) || s2.smmu() != this) {
            throw fail(EINVAL, "arm_smmuv3: the nesting parent belongs to another SMMU than %s", name);
        }
        return new ArmVsmmu(this, s2);
    }

    /** GITS_TRANSLATER of the first ITS of the device's ITS group: its_base + 0x10040. */
    @Override
    public long msiDoorbell(DeviceInfo dev) {
        return itsBases.get(0) + ArmSmmuV3Driver.GITS_TRANSLATER_OFFSET;
    }

    @Override
    public String toString() {
        return "arm_smmuv3 " + name;
    }
}
