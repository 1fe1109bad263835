package dev.iommufdsim.plugins.intelvtd;

import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.DirtyBitmap;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.IommuDomain;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.IoPageTable;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.PasidTable;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One VT-d unit (struct intel_iommu, a DRHD of the ACPI DMAR table) with intel_iommu_ops.
 *
 * <p>The binding rule for DIRECT regions is the kernel core's, not this driver's: an RMRR of a
 * device that is not a USB controller or display device comes out as IOMMU_RESV_DIRECT, so
 * the core marks the device "requires direct" and refuses to put it in a blocking domain;
 * claiming DMA ownership for VFIO/iommufd does exactly that, so VFIO_DEVICE_BIND_IOMMUFD fails
 * EINVAL (vendor policies 1.4). A relaxable RMRR (DIRECT_RELAXABLE) binds, and iommufd does
 * not reserve it in the IOAS. The interrupt window is reserved in every IOAS the device joins.
 */
final class IntelVtdInstance implements IommuInstance {
    /** IOAPIC_RANGE_START / IOAPIC_RANGE_END. */
    static final long IOAPIC_RANGE_START = 0xfee00000L;
    static final long IOAPIC_RANGE_END = 0xfeefffffL;
    /** IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, always set by intel_iommu_hw_info(). */
    static final int IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0;
    /** PCI_CLASS_SERIAL_USB, PCI_BASE_CLASS_DISPLAY, PCI_CLASS_BRIDGE_ISA. */
    static final long PCI_CLASS_SERIAL_USB = 0x0c03;
    static final long PCI_BASE_CLASS_DISPLAY = 0x03;
    static final long PCI_CLASS_BRIDGE_ISA = 0x0601;

    /** PASID_MAX: intel_pasid_max_id before the units lower it. */
    static final long PASID_MAX = 0x100000;
    /** PASID_PDE_SHIFT - 3 and PAGE_SHIFT of intel_pasid_alloc_table(). */
    private static final int PASID_TABLE_SIZE_SHIFT = 3;
    private static final int PAGE_SHIFT = 12;

    private final IommuDriver driver;
    private final String name;
    private final VtdRegs.Caps caps;
    /**
     * Each device's present PASID entries other than RID_PASID (its PASID table), by device
     * name: the domain each translates through (a {@link VtdDomain} or an
     * {@link IntelNestedDomain}).
     */
    private final PasidTable<Object> pasidTables = new PasidTable<>();

    IntelVtdInstance(IommuDriver driver, String name, VtdRegs.Caps caps) {
        this.driver = driver;
        this.name = name;
        this.caps = caps;
    }

    @Override
    public IommuDriver driver() {
        return driver;
    }

    VtdRegs.Caps caps() {
        return caps;
    }

    String name() {
        return name;
    }

    /** device_rmrr_is_relaxable(): PCI USB controllers (class 0x0c03) and display devices (base class 0x03). */
    static boolean rmrrRelaxable(DeviceInfo dev) {
        if (dev.bdf() == null) {
            return false;
        }
        long cls = dev.longProperty("class", 0);
        return (cls >> 8) == PCI_CLASS_SERIAL_USB || (cls >> 16) == PCI_BASE_CLASS_DISPLAY;
    }

    /**
     * intel_iommu_get_resv_regions(), in its order: each RMRR whose scope holds the device
     * (device property {@code rmrr}: records {start, length} or ranges start..end), prot
     * READ|WRITE, DIRECT_RELAXABLE when {@link #rmrrRelaxable} else DIRECT; a PCI ISA bridge
     * (class 0x0601) adds [0, 16 MiB) DIRECT_RELAXABLE (CONFIG_INTEL_IOMMU_FLOPPY_WA); always
     * the interrupt window 0xfee00000-0xfeefffff as MSI with prot 0.
     */
    @Override
    public List<ResvRegion> getResvRegions(DeviceInfo dev) {
        int prot = ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE;
        List<ResvRegion> out = new ArrayList<>();
        Object rmrrs = dev.properties().get("rmrr");
        if (rmrrs != null) {
            int i = 0;
            for (Object o : rmrrs instanceof List<?> l ? l : List.of(rmrrs)) {
                if (!(o instanceof Map<?, ?> r) || !(r.get("start") instanceof Number start) || !(r.get("length") instanceof Number length)) {
                    throw fail(EINVAL, "intel_vtd: %s: rmrr must be a list of {start, length} records or ranges, not %s", dev.name(), rmrrs);
                }
                out.add(new ResvRegion(start.longValue(), length.longValue(), prot,
                        rmrrRelaxable(dev) ? ResvType.DIRECT_RELAXABLE : ResvType.DIRECT, "RMRR " + i++));
            }
        }
        if (dev.bdf() != null && (dev.longProperty("class", 0) >> 8) == PCI_CLASS_BRIDGE_ISA) {
            out.add(new ResvRegion(0, 1L << 24, prot, ResvType.DIRECT_RELAXABLE, "ISA floppy workaround"));
        }
        out.add(new ResvRegion(IOAPIC_RANGE_START, IOAPIC_RANGE_END - IOAPIC_RANGE_START + 1, 0, ResvType.MSI, "interrupt window"));
        return out;
    }

    /**
     * intel_iommu_capable() and intel_iommu_probe_device(): always cache coherent; dirty
     * tracking = ssads_supported(); ATS when ECAP.DT and the PCI device has ATS (property
     * {@code ats}, default true; dmar_ats_supported() is assumed); max_pasids = min(2^pasid_bits,
     * 2 << ECAP.PSS) with PASID support; MSIs isolated by interrupt remapping (ECAP.IR);
     * IOMMU_CAP_ENFORCE_CACHE_COHERENCY = ecap_sc_support() (snoop control, ECAP.SC).
     */
    @Override
    public DeviceCaps capabilities(DeviceInfo dev) {
        boolean ats = caps.has(VtdRegs.ECAP_DT) && dev.bdf() != null && dev.boolProperty("ats", true);
        long pasidBits = dev.longProperty("pasid_bits", 0);
        long maxPasids = pasidBits <= 0 ? 0 : Math.min(1L << Math.min(pasidBits, 30), caps.maxPasids());
        return new DeviceCaps(true, caps.ssads(), ats, (int) maxPasids, caps.has(VtdRegs.ECAP_IR), caps.has(VtdRegs.ECAP_SC));
    }

    /**
     * intel_iommu_domain_alloc_paging_flags(): user data -> EOPNOTSUPP; the first stage when
     * it can be had ({@link VtdDomain#firstStage}), else the second stage
     * ({@link VtdDomain#secondStage}) with its errno. A nesting parent is always second stage.
     */
    @Override
    public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
        if (data.length != 0) {
            throw fail(EOPNOTSUPP, "intel_vtd: paging domains take no user data (data_type %d)", dataType);
        }
        VtdDomain d;
        try {
            d = VtdDomain.firstStage(caps, flags);
        } catch (IommufdException e) {
            d = VtdDomain.secondStage(caps, flags);
        }
        return new PagingDomain(0, d.apertureEnd(), d.pgsizeBitmap(), d.dirty(), d);
    }

    /**
     * intel_iommu_attach_device(): paging_domain_compatible() against this unit (the device's)
     * -> EINVAL ({@link VtdDomain#checkCompatible}); a domain of another driver -> EINVAL.
     */
    @Override
    public void attachDev(PagingDomain domain, DeviceInfo dev) {
        if (!(domain.driverState() instanceof VtdDomain d)) {
            throw fail(EINVAL, "intel_vtd: not a VT-d domain");
        }
        d.checkCompatible(caps, name);
    }

    // ---- PASID attach: intel_iommu_set_dev_pasid, intel_nested_set_dev_pasid, blocking_domain_set_dev_pasid ----

    /**
     * set_dev_pasid of a paging domain (intel_iommu_set_dev_pasid) or a nested one
     * (intel_nested_set_dev_pasid), in their order: no pasid_supported() on the unit (scalable
     * mode with ECAP.PASID) -> EOPNOTSUPP; paging_domain_compatible() of the domain (of the
     * nesting parent, for a nested domain) with the device's unit -> EINVAL, the same checks as
     * a RID attach ({@link VtdDomain#checkCompatible}: first/second stage, ECAP.SC for a domain
     * enforcing coherency, ...); then domain_setup_first_level / _second_level / _nested: on a
     * replace (old != null) intel_pasid_tear_down_entry() first, then
     * intel_pasid_setup_first_level / _second_level / _nested: for a nested domain its stage-1
     * checks ({@link IntelNestedDomain#checkSetupNested}, EINVAL); a PASID beyond the device's
     * PASID table -> ENODEV ({@link #pasidTableSize}); an entry already present -> EBUSY.
     *
     * <p>A nested replace that fails its stage-1 checks has already torn the old entry down,
     * and nothing puts it back (the core restores old only on the other devices of the group),
     * so the PASID is left without a present entry; iommufd still shows it attached to the old
     * HWPT. Not modelled: context_copied() (EBUSY, a kdump kernel), domain_attach_iommu()'s
     * ENOSPC (domain IDs run out), iopf_for_domain_replace() (a fault-capable HWPT needs PRI).
     * The first/second-level setup's own FLTS, FL5LP and SLTS checks repeat
     * paging_domain_compatible()'s, so they never fire.
     */
    @Override
    public void setDevPasid(IommuDomain domain, DeviceInfo dev, int pasid, IommuDomain old) {
        long p = Integer.toUnsignedLong(pasid);
        if (!caps.pasidSupported()) {
            throw fail(EOPNOTSUPP, "intel_vtd: %s has no PASID support (scalable mode with ECAP.PASID) for pasid %d of %s", name, p,
                    dev.name());
        }
        IntelNestedDomain nested = domain instanceof IntelNestedDomain n ? n : null;
        VtdDomain paging = nested != null ? nested.s2()
                : domain instanceof PagingDomain pd && pd.driverState() instanceof VtdDomain d ? d : null;
        if (paging == null) {
            throw fail(EINVAL, "intel_vtd: pasid %d of %s: not a VT-d domain", p, dev.name());
        }
        paging.checkCompatible(caps, name);
        if (old != null) {
            pasidTables.remove(dev, pasid); // intel_pasid_tear_down_entry(), before the new entry's checks
        }
        try {
            if (nested != null) {
                nested.checkSetupNested(this);
            }
            long size = pasidTableSize(dev);
            if (p >= size) {
                throw fail(ENODEV, "intel_vtd: pasid %d of %s is beyond its PASID table (%d entries)", p, dev.name(), size);
            }
            if (pasidTables.get(dev, pasid) != null) {
                throw fail(EBUSY, "intel_vtd: the PASID entry %d of %s is already present", p, dev.name());
            }
        } catch (IommufdException e) {
            // old keeps its dev_pasid (only the new domain's is removed), over a cleared entry
            VtdDomain.DirtyState st = old == null ? null : dirtyStateOf(old);
            if (st != null) {
                st.clearedEntries.add(entryKey(dev, pasid));
            }
            throw e;
        }
        pasidTables.put(dev, pasid, nested != null ? nested : paging);
        VtdDomain.DirtyState st = old == null ? null : dirtyStateOf(old);
        if (st != null) {
            st.clearedEntries.remove(entryKey(dev, pasid)); // domain_remove_dev_pasid(old, ...)
        }
    }

    /**
     * blocking_domain_set_dev_pasid(): intel_pasid_tear_down_entry() and
     * domain_remove_dev_pasid(); cannot fail.
     */
    @Override
    public void removeDevPasid(DeviceInfo dev, int pasid, IommuDomain old) {
        pasidTables.remove(dev, pasid);
        VtdDomain.DirtyState st = old == null ? null : dirtyStateOf(old);
        if (st != null) {
            st.clearedEntries.remove(entryKey(dev, pasid));
        }
    }

    /**
     * The second-stage domain with dirty_ops whose set_dirty_tracking walks the PASID entries of
     * domain: domain itself, or the nesting parent of a nested domain
     * (parent_domain_set_dirty_tracking); null for others.
     */
    private static VtdDomain.DirtyState dirtyStateOf(IommuDomain domain) {
        VtdDomain d = domain instanceof IntelNestedDomain n ? n.s2()
                : domain instanceof PagingDomain pd && pd.driverState() instanceof VtdDomain v ? v : null;
        return d == null ? null : d.sspt();
    }

    private static String entryKey(DeviceInfo dev, int pasid) {
        return dev.name() + "/" + Integer.toUnsignedLong(pasid);
    }

    /**
     * pasid_table->max_pasid of intel_pasid_alloc_table(): max_pasid = min(pci_max_pasids,
     * intel_pasid_max_id) for a device with PASID support, else 0; the table takes
     * get_order(max_pasid >> 3) pages and holds 1 << (order + PAGE_SHIFT + 3) entries, so at
     * least 32768. intel_pasid_max_id is PASID_MAX lowered to 2 << ECAP.PSS by every unit with
     * PASID support; the plugin sees only this unit, so it uses this unit's PSS (with one unit,
     * or units of one PSS, the same). The table is then never smaller than the device's
     * max_pasids and the ENODEV it guards is only reached by a machine of mixed PSS.
     */
    long pasidTableSize(DeviceInfo dev) {
        long pasidBits = dev.longProperty("pasid_bits", 0);
        long maxPasid = pasidBits <= 0 || !caps.pasidSupported() ? 0 : Math.min(1L << Math.min(pasidBits, 30), Math.min(PASID_MAX, caps.maxPasids()));
        long bytes = maxPasid >> PASID_TABLE_SIZE_SHIFT;
        int order = bytes <= 1L << PAGE_SHIFT ? 0 : 64 - Long.numberOfLeadingZeros((bytes - 1) >> PAGE_SHIFT);
        return 1L << (order + PAGE_SHIFT + PASID_TABLE_SIZE_SHIFT);
    }

    /** The device's present PASID entries other than RID_PASID and the domain of each, for tests and inspection. */
    Map<Integer, Object> pasidEntries(DeviceInfo dev) {
        return pasidTables.entries(dev);
    }

    /** intel_iommu_enforce_cache_coherency_fs/_ss: see {@link VtdDomain#enforceCacheCoherency}. */
    @Override
    public boolean enforceCacheCoherency(PagingDomain domain) {
        return domain.driverState() instanceof VtdDomain d && d.enforceCacheCoherency();
    }

    /**
     * The generic page table's map_pages (iommu_pt.h), before mapping anything: a mapping
     * neither readable nor writable -> EINVAL (its WARN_ON; only VFIO_IOMMU_MAP_DMA without READ
     * and WRITE makes one), for first- and second-stage tables alike; then
     * vtdss_pt_iommu_set_prot() (generic_pt/fmt/vtdss.h): a nesting parent has
     * PT_FEAT_VTDSS_FORCE_WRITEABLE and refuses a mapping without IOMMU_WRITE (EINVAL). Linux
     * 7.2's intel_iommu_domain_alloc_second_stage() sets the feature for every NEST_PARENT
     * domain, whatever the unit (the ERRATA_772415_SPR17 workaround; intel_iommu_hw_info()
     * reports the erratum unconditionally as well), so it is no option of the instance.
     */
    @Override
    public void checkMap(PagingDomain domain, long iova, long length, int prot) {
        if ((prot & (ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE)) == 0) {
            throw fail(EINVAL, "intel_vtd: the page table cannot map 0x%x-0x%x neither readable nor writable", iova, iova + length - 1);
        }
        if (domain.driverState() instanceof VtdDomain d && d.nestedParent() && (prot & ResvRegion.IOMMU_WRITE) == 0) {
            throw fail(EINVAL, "intel_vtd: read-only mapping 0x%x-0x%x refused: a nesting parent allows only writeable mappings"
                    + " (PT_FEAT_VTDSS_FORCE_WRITEABLE, ERRATA_772415_SPR17)", iova, iova + length - 1);
        }
    }

    // ---- dirty tracking: intel_second_stage_dirty_ops = IOMMU_PT_DIRTY_OPS(vtdss) + set_dirty_tracking ----

    /** The dirty state of a second-stage domain with dirty_ops; EINVAL for any other domain. */
    private static VtdDomain.DirtyState sspt(PagingDomain domain) {
        if (!(domain.driverState() instanceof VtdDomain d) || d.sspt() == null) {
            throw fail(EINVAL, "intel_vtd: not a second-stage domain with dirty_ops");
        }
        return d.sspt();
    }

    /**
     * The vtdss leaves of a second-stage domain with dirty_ops, which the spi's default
     * map_pages / unmap_pages write as IOMMU_PT_DOMAIN_OPS(vtdss) does (writable when prot has
     * IOMMU_WRITE: VTDSS_FMT_W; VTDSS_FMT_D goes with an unmapped leaf). Null for other domains.
     */
    @Override
    public IoPageTable ioPageTable(PagingDomain domain) {
        return domain.driverState() instanceof VtdDomain d && d.sspt() != null ? d.sspt().ptes : null;
    }

    /**
     * intel_iommu_set_dirty_tracking(): nothing to do when dirty_tracking already equals
     * enable; else domain_set_dirty_tracking() sets or clears SSADE in the PASID entry of
     * every attached device and PASID (intel_pasid_setup_dirty_tracking), and for a nesting
     * parent parent_domain_set_dirty_tracking() does the same for the devices of every nested
     * domain on it (s1_domains), then dirty_tracking = enable. A domain with dirty_ops is
     * second stage in scalable mode, so every present entry of its devices is SL_ONLY or
     * NESTED; but a PASID whose replace failed after intel_pasid_tear_down_entry() (a nested
     * domain's stage-1 checks, see {@link #setDevPasid}) stays on the old domain's dev_pasids
     * over a cleared entry, whose PGTT 0 intel_pasid_setup_dirty_tracking() refuses: EOPNOTSUPP,
     * after which the unwind leaves every entry and dirty_tracking as they were. (ENODEV, no
     * PASID entry at all, cannot happen.) Since every entry follows dirty_tracking, SSADE is
     * modelled by it.
     */
    @Override
    public void setDirtyTracking(PagingDomain domain, boolean enable) {
        VtdDomain.DirtyState st = sspt(domain);
        if (st.dirtyTracking == enable) {
            return;
        }
        if (!st.clearedEntries.isEmpty()) {
            throw fail(EOPNOTSUPP, "intel_vtd: dirty tracking not supported on translation type 0: the PASID entry of %s was"
                    + " torn down by a failed replace and the domain still lists it", st.clearedEntries.iterator().next());
        }
        st.dirtyTracking = enable;
    }

    /**
     * IOMMU_PT_DIRTY_OPS(vtdss): generic_pt's read_and_clear_dirty() (iommu_pt.h): length 0
     * -> EINVAL (make_range), then each leaf with VTDSS_FMT_D is recorded with its whole size
     * (vtdss has no contiguous entries) and cleared unless NO_CLEAR. Tracking being off does
     * not matter: unlike intel_iommu_read_and_clear_dirty() before the move to generic_pt,
     * which refused a bitmap with tracking off (EINVAL), 7.2 reads the bits regardless; the
     * hardware just has not set any while SSADE was clear.
     */
    @Override
    public void readAndClearDirty(PagingDomain domain, long iova, long size, long flags, DirtyBitmap dirty) {
        VtdDomain.DirtyState st = sspt(domain);
        if (size == 0) {
            throw fail(EINVAL, "intel_vtd: read_and_clear_dirty of length 0");
        }
        st.ptes.readAndClearDirty(iova, size, flags, dirty);
    }

    /**
     * A device write through a second-stage domain (or, nested, through its nesting parent):
     * the hardware sets VTDSS_FMT_D in each leaf it writes only while SSADE is set in the
     * device's PASID entry, i.e. while the second-stage domain's dirty_tracking is on
     * (pasid_pte_config_second_level / pasid_pte_config_nested copy it at attach,
     * intel_iommu_set_dirty_tracking updates it).
     * A first-stage domain or one without dirty_ops records nothing.
     */
    @Override
    public void dmaWrite(DeviceInfo dev, PagingDomain domain, long iova, long length) {
        if (domain.driverState() instanceof VtdDomain d && d.sspt() != null && d.sspt().dirtyTracking) {
            d.sspt().ptes.writeDirty(iova, length);
        }
    }

    /** intel_iommu_enable_iopf(): ENODEV without PRI enabled ({@link VtdPri}). */
    @Override
    public void enableIopf(DeviceInfo dev) {
        VtdPri.enableIopf(caps, capabilities(dev).atsSupported(), dev);
    }

    /** Page requests of a device with PRI enabled ({@link VtdPri}). */
    @Override
    public List<dev.iommufdsim.kernel.spi.PageRequest> pageRequests(DeviceInfo dev, dev.iommufdsim.kernel.spi.DeviceAccess access) {
        return VtdPri.pageRequests(caps, capabilities(dev).atsSupported(), dev, access);
    }

    /** intel_iommu_hw_info(): struct iommu_hw_info_vtd {flags = ERRATA_772415_SPR17, __reserved, cap_reg, ecap_reg}. */
    @Override
    public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
        if (requestedType != Uapi.IOMMU_HW_INFO_TYPE_DEFAULT && requestedType != Uapi.IOMMU_HW_INFO_TYPE_INTEL_VTD) {
            throw fail(EOPNOTSUPP, "intel_vtd: hw_info type %d not supported", requestedType);
        }
        byte[] b = UserStruct.allocate(24).putU32(0, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17)
                .putU64(8, caps.cap()).putU64(16, caps.ecap()).bytes();
        return new HwInfo(Uapi.IOMMU_HW_INFO_TYPE_INTEL_VTD, b);
    }

    @Override
    public boolean hasDomainAllocNested() {
        return true;
    }

    /** intel_iommu_domain_alloc_nested(): see {@link IntelNestedDomain#alloc}. */
    @Override
    public NestedDomain domainAllocNested(DeviceInfo dev, PagingDomain parent, int flags, int dataType, byte[] data) {
        return IntelNestedDomain.alloc(this, parent, flags, dataType, data);
    }

    /** VT-d has no get_viommu_size: no vIOMMU (the default answers unsupported). Hardware MSI: 0xfee00000. */
    @Override
    public long msiDoorbell(DeviceInfo dev) {
        return IOAPIC_RANGE_START;
    }

    @Override
    public String toString() {
        return "intel_vtd " + name;
    }
}
