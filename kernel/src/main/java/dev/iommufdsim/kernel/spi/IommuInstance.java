package dev.iommufdsim.kernel.spi;

import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import java.util.List;

/**
 * One IOMMU hardware instance: the operations of struct iommu_ops and struct
 * iommu_domain_ops that iommufd reaches, for the devices behind this instance. Every method
 * may throw {@link dev.iommufdsim.kernel.uapi.IommufdException} with the errno the driver
 * returns; anything else it throws is contained by the kernel and reported with the
 * plugin's name.
 */
public interface IommuInstance {
    /** The driver this instance belongs to; two instances of one driver share it. */
    IommuDriver driver();

    /** Models iommu_ops.get_resv_regions: the device's reserved regions, in any order. */
    List<ResvRegion> getResvRegions(DeviceInfo dev);

    /** Models iommu_ops.capable and the dev->iommu fields iommufd reads. */
    DeviceCaps capabilities(DeviceInfo dev);

    /**
     * Models iommu_ops.domain_alloc_paging_flags: a paging domain for this device.
     *
     * @param flags    IOMMU_HWPT_ALLOC_* flags already checked by the core (NEST_PARENT,
     *                 DIRTY_TRACKING, PASID)
     * @param dataType the user data type (IOMMU_HWPT_DATA_NONE = 0 for none)
     * @param data     the user data bytes (empty for none)
     */
    PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data);

    /** Models iommu_domain_ops.attach_dev: the driver's own refusal of an attach (errno). */
    default void attachDev(PagingDomain domain, DeviceInfo dev) {
    }

    // ---- Refusals of mappings and of cache coherency (SPI-PROPOSALS 3 and 7) --------------------

    /**
     * Models iommu_domain_ops.enforce_cache_coherency: make the domain's DMA snoop CPU caches
     * whatever the device asks (VT-d's snoop control, SMMUv3's CANWBS) and keep it so. iommufd
     * calls it on every paging domain it allocates for a device whose
     * {@link DeviceCaps#enforceCacheCoherency} is true, right after the allocation, before any
     * device is attached or anything mapped (iommufd_hwpt_paging_alloc()); false then fails the
     * HWPT_ALLOC EINVAL. A driver that answers true refuses later, in {@link #attachDev} (and a
     * nested domain's attach), a device that cannot keep the promise (EINVAL), as the kernel
     * drivers do. Default: a domain without the op (false); a driver whose devices report the
     * capability must implement it.
     */
    default boolean enforceCacheCoherency(PagingDomain domain) {
        return false;
    }

    /**
     * Models iommu_domain_ops.map_pages' refusal of a mapping before any page is mapped (the
     * generic page table's pt_iommu_set_prot(), for example): called for every area iopt maps
     * into the domain, when IOAS_MAP/IOAS_COPY add an area to an IOAS holding the domain and
     * when the domain joins an IOAS holding areas (iopt_table_add_domain). An errno fails the
     * call and the kernel undoes everything it did for it. Called on the instance that
     * allocated the domain, for every paging domain. Default: accepted.
     *
     * @param prot IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE of the area (conv_iommu_prot())
     */
    default void checkMap(PagingDomain domain, long iova, long length, int prot) {
    }

    /**
     * Models iommu_domain_ops.set_dev_pasid of a paging or nested domain
     * (iommu_attach_device_pasid, iommu_replace_device_pasid): from now on dev's pasid
     * translates through domain instead of old (null on a first attach). The core calls it
     * only for devices with max_pasids > 0, after its own checks. A domain without the op
     * throws EOPNOTSUPP (the kernel checks that first, before max_pasids); any errno fails
     * the attach and the core puts old back. Default: accepted.
     */
    default void setDevPasid(IommuDomain domain, DeviceInfo dev, int pasid, IommuDomain old) {
    }

    /**
     * Models set_dev_pasid of the driver's blocked domain (iommu_remove_dev_pasid, a PASID
     * detach): dev's pasid no longer translates through old. It cannot fail.
     */
    default void removeDevPasid(DeviceInfo dev, int pasid, IommuDomain old) {
    }

    /**
     * Models iommu_ops.hw_info.
     *
     * @param requestedType IOMMU_HW_INFO_TYPE_DEFAULT (0) or a type the user asked for
     * @return null when the driver has no hw_info op (the kernel then reports type NONE)
     */
    HwInfo hwInfo(DeviceInfo dev, int requestedType);

    /** Whether iommu_ops.domain_alloc_nested exists (else nested HWPT_ALLOC is EOPNOTSUPP). */
    default boolean hasDomainAllocNested() {
        return false;
    }

    /**
     * Models iommu_ops.domain_alloc_nested: validate the user's stage-1 data and make a
     * nested domain on the parent (a paging domain of this driver allocated NEST_PARENT).
     *
     * @param flags IOMMU_HWPT_ALLOC_PASID at most (the core strips FAULT_ID_VALID)
     */
    default NestedDomain domainAllocNested(DeviceInfo dev, PagingDomain parent, int flags, int dataType, byte[] data) {
        throw fail(EOPNOTSUPP,
                "no domain_alloc_nested");
    }

    /**
     * Models iommu_ops.get_viommu_size: whether this device's IOMMU can host a vIOMMU of
     * this type (the core turns false into EOPNOTSUPP).
     */
    default boolean viommuSupported(DeviceInfo dev, int viommuType) {
        return false;
    }

    /**
     * Models iommu_ops.viommu_init: a vIOMMU on the nesting parent's domain.
     *
     * @param data the user's driver data (empty for none)
     */
    default Viommu viommuInit(int viommuType, PagingDomain parent, DeviceInfo dev, byte[] data) {
        throw fail(EOPNOTSUPP, "no viommu_init");
    }

    /**
     * viommu_init with the core's vIOMMU helpers (mmap regions); by default the overload
     * without them.
     */
    default Viommu viommuInit(int viommuType, PagingDomain parent, DeviceInfo dev, byte[] data, ViommuContext ctx) {
        return viommuInit(viommuType, parent, dev, data);
    }

    /**
     * The MSI doorbell the IRQ layer programs for this device (the physical address of the
     * interrupt controller's doorbell: the GICv3 ITS GITS_TRANSLATER on ARM). With a SW_MSI
     * region, iommufd maps the page holding it into the domain (iommufd_sw_msi); with a
     * hardware MSI window it is used as is.
     */
    default long msiDoorbell(DeviceInfo dev) {
        return 0xfee00000L;
    }

    // ---- IOPTEs and dirty tracking -------------------------------------------------------------
    //
    // The emulator keeps IOPTEs only where something reads them back: in paging domains with
    // dirty tracking (PagingDomain.dirtyTracking(), i.e. allocated with
    // IOMMU_HWPT_ALLOC_DIRTY_TRACKING, which gives the kernel's domain its dirty_ops). Only for
    // those does the kernel call mapPages / unmapPages, so other domains cost nothing.

    /**
     * The {@link IoPageTable} that keeps this domain's IOPTEs, or null (the default) for a
     * driver that keeps none or keeps them its own way. With one, the default
     * {@link #mapPages} and {@link #unmapPages} write it, so a driver need only create one per
     * domain with dirty tracking (in its driverState) and return it here.
     */
    default IoPageTable ioPageTable(PagingDomain domain) {
        return null;
    }

    /**
     * Models iommu_domain_ops.map_pages, as iommu_map() calls it when iommufd fills the domain:
     * pgcount pages of pgsize at iova, backed by physical memory at paddr. pgsize is one of
     * the domain's page sizes and iova, paddr are aligned to it (iommu_pgsize() chose it).
     * The emulator's physical address is the user address of the memory; only its alignment
     * and contiguity mean anything. Called only for domains with dirty tracking. Cannot fail:
     * the kernel's only failure here is ENOMEM, so anything thrown is ignored, as for destroy.
     * Default: into {@link #ioPageTable}, if any.
     *
     * @param prot IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE
     */
    default void mapPages(PagingDomain domain, long iova, long paddr, long pgsize, long pgcount, int prot) {
        IoPageTable ptes = ioPageTable(domain);
        if (ptes != null) {
            ptes.map(iova, pgsize, pgcount, prot);
        }
    }

    /**
     * Models iommu_domain_ops.unmap_pages when iommufd unfills an area: every IOPTE inside
     * [iova, iova + size) goes, dirty bits with it. Called only for domains with dirty
     * tracking; cannot fail (anything thrown is ignored). Default: out of {@link #ioPageTable},
     * if any.
     */
    default void unmapPages(PagingDomain domain, long iova, long size) {
        IoPageTable ptes = ioPageTable(domain);
        if (ptes != null) {
            ptes.unmap(iova, size);
        }
    }

    /**
     * Models iommu_dirty_ops.set_dirty_tracking: start or stop recording DMA writes. Before
     * enabling, the kernel has already cleared the dirty bits of every mapped area (through
     * {@link #readAndClearDirty} with a bitmap that records nothing). Called only for domains
     * with dirty tracking.
     */
    default void setDirtyTracking(PagingDomain domain, boolean enable) {
        throw fail(EOPNOTSUPP, "no dirty_ops");
    }

    /**
     * Models iommu_dirty_ops.read_and_clear_dirty: report every dirty IOPTE in [iova, iova +
     * size) through {@link DirtyBitmap#record} and, unless flags has
     * {@link DirtyBitmap#IOMMU_DIRTY_NO_CLEAR}, clear it. The range lies inside one run of
     * mapped areas. An errno thrown while answering IOMMU_HWPT_GET_DIRTY_BITMAP is dropped
     * by the kernel (iommu_read_and_clear_dirty ignores it); while enabling tracking it fails
     * the call.
     */
    default void readAndClearDirty(PagingDomain domain, long iova, long size, long flags, DirtyBitmap dirty) {
        throw fail(EOPNOTSUPP, "no read_and_clear_dirty");
    }

    /**
     * A device's DMA write of [iova, iova + length) through this paging domain, as the
     * hardware performs it (the emulator's stand-in for the device; the kernel has no such
     * call): mark dirty the IOPTEs written when the hardware would record it (SMMUv3 HTTU:
     * always, in a domain with dirty tracking; VT-d: while SSADE is set in the device's PASID
     * entry). The core has already checked that the write translates (every byte in an area of
     * the domain's IOAS mapped with IOMMU_WRITE, else EFAULT or, through a HWPT with a fault
     * object, the page requests of {@link #pageRequests}) and calls this on the instance
     * the device is behind. For a device attached to a nested domain, domain is the nesting
     * parent and iova a stage-2 input address (the emulator keeps no stage-1 tables). A DMA
     * fault the driver finds is EFAULT; a failed call must change nothing.
     * Default: EOPNOTSUPP, the driver cannot emulate DMA.
     */
    default void dmaWrite(DeviceInfo dev, PagingDomain domain, long iova, long length) {
        throw fail(EOPNOTSUPP, "driver cannot emulate DMA");
    }

    /**
     * Models the IOPF enabling a driver does when a domain with an iopf_handler (a HWPT
     * allocated with a fault object) is attached to dev, for the RID or a PASID, after its own
     * attach checks: intel iopf_for_domain_set() -> intel_iommu_enable_iopf() (ENODEV without
     * PRI enabled), arm_smmu_enable_iopf() (EOPNOTSUPP for a stalling master with several
     * stream IDs; a master that does not stall is accepted and simply reports nothing). An
     * errno fails the attach and changes nothing. Which devices then report page requests is
     * {@link #pageRequests}. Default: accepted.
     */
    default void enableIopf(DeviceInfo dev) {
    }

    /**
     * The driver's fault path for a device DMA that does not translate through a domain with
     * an iopf_handler (a HWPT allocated with a fault object): the page requests it reports
     * through iommu_report_device_fault(), in order, each group closed by one with
     * {@link PageRequest#LAST_PAGE}. The kernel drivers report them only for devices whose IOPF
     * they enabled when the domain was attached (VT-d: PRI, intel_iommu_enable_iopf(); SMMUv3:
     * a stalling master, arm_smmu_enable_iopf(); the mock: always, its TRIGGER_IOPF path), and
     * hand every other translation fault to their own fault log ({@link #enableIopf} may refuse
     * the attach instead). Default: no page requests
     * (empty), so the access is a plain DMA fault (EFAULT to dma_write / dma_read).
     */
    default List<PageRequest> pageRequests(DeviceInfo dev, DeviceAccess access) {
        return List.of();
    }

    /**
     * Models the driver's event handler for a DMA fault of a device attached to a nested domain
     * (RID or PASID) that raised no page request ({@link #pageRequests} gave none): SMMUv3's
     * arm_smmu_handle_event() hands a non-stall event of a master with a vmaster to
     * arm_vmaster_report_event() unless it is a stage-2 fault, and logs every other. Return the
     * event, reported with its vEVENT or kept; the core queues a reported one on the nested
     * domain's vIOMMU's vEVENTQ of its type (iommufd_viommu_report_event(), which fails
     * EOPNOTSUPP without one, and the driver then logs it). The DMA fails EFAULT either way.
     * Default: null, the driver reports nothing to a guest (the mock: only TRIGGER_VEVENT does).
     *
     * @param vdevs the vIOMMU's vDEVICEs (the device's virtual ID), null for a nested domain
     *              made without a vIOMMU
     */
    default DmaFaultEvent nestedDmaFault(DeviceInfo dev, NestedDomain domain, DmaFault fault, VdevLookup vdevs) {
        return null;
    }

    /**
     * For IOMMU_TEST_OP_DIRTY (the mock driver only): whether the selftest may mark IOPTEs of
     * this domain dirty (selftest.c: the mock's MOCK_DIRTY_TRACK is set and its page table
     * has a set_dirty op). False: the op fails EINVAL.
     */
    default boolean selftestCanSetDirty(PagingDomain domain) {
        return false;
    }

    /**
     * For IOMMU_TEST_OP_DIRTY (the mock driver only): mark the IOPTE that maps iova dirty, as a
     * device's DMA write would (pt_iommu_ops.set_dirty). An unmapped iova is the driver's
     * ENOENT, which the selftest ignores.
     */
    default void selftestSetDirty(PagingDomain domain, long iova) {
        throw fail(EOPNOTSUPP, "no set_dirty");
    }

    /**
     * Driver-specific selftest checks (IOMMU_TEST_OP_MD_CHECK_IOTLB, DEV_CHECK_CACHE ...):
     * the mock plugin answers them; other drivers need not.
     *
     * @param op     the op's name ("md_check_iotlb")
     * @param target the nested domain's state or the device, as the op defines
     * @throws dev.iommufdsim.kernel.uapi.IommufdException the op's errno (EINVAL on mismatch)
     */
    default void selftestCheck(String op, Object target, long index, long value) {
        throw fail(EOPNOTSUPP,
                "driver has no selftest op " + op);
    }
}
