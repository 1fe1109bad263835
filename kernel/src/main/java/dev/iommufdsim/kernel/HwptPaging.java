package dev.iommufdsim.kernel;

import dev.iommufdsim.kernel.spi.PagingDomain;

/**
 * struct iommufd_hwpt_paging (drivers/iommu/iommufd/hw_pagetable.c): a kernel-managed paging
 * domain that mirrors its IOAS. Auto domains are created by attaching a device to an IOAS
 * and destroyed with their last attachment; manual ones come from IOMMU_HWPT_ALLOC.
 */
public final class HwptPaging extends HwPagetable implements ResvOwner {
    final Ioas ioas;
    private PagingDomain domain;
    boolean autoDomain;
    /** hwpt->fault, with FAULT_ID_VALID (nest parents cannot have one). */
    IommufdFault fault;
    final boolean nestParent;
    /** Linked into ioas->hwpt_list (and so added to the io_pagetable as a domain). */
    boolean inIoasList;
    /** hwpt_paging->present_sw_msi: the context's SW_MSI maps installed in this domain. */
    long presentSwMsi;
    /** The doorbell pages mapped in this domain, in mapping order. */
    final java.util.List<SwMsi.Page> msiPages = new java.util.ArrayList<>();
    /** The cookie model's MSI cookie base (iommu_get_msi_cookie), or NO_SW_MSI. */
    long msiCookieStart = IommufdGroup.NO_SW_MSI;
    /** hwpt_paging->enforce_cache_coherency: set once at allocation, never cleared. */
    boolean enforceCacheCoherency;

    HwptPaging(Ioas ioas, IommuInstanceHandle owner, boolean nestParent, boolean pasidCompat) {
        super(ObjType.HWPT_PAGING, owner, pasidCompat);
        this.ioas = ioas;
        this.nestParent = nestParent;
    }

    public Ioas ioas() {
        return ioas;
    }

    public PagingDomain domain() {
        return domain;
    }

    void setDomain(PagingDomain domain) {
        this.domain = domain;
    }

    public boolean isAutoDomain() {
        return autoDomain;
    }

    public boolean isNestParent() {
        return nestParent;
    }

    /** hwpt_paging->enforce_cache_coherency: the driver made the domain enforce cache coherency. */
    public boolean enforcesCacheCoherency() {
        return enforceCacheCoherency;
    }

    /** The FAULT object it holds (FAULT_ID_VALID), or null. */
    public IommufdFault fault() {
        return fault;
    }

    /** hwpt_paging->present_sw_msi: bit n set when the context's SW_MSI map n is installed here. */
    public long presentSwMsi() {
        return presentSwMsi;
    }

    /** Whether it is linked into its IOAS's hwpt_list (and so a domain of the io_pagetable). */
    public boolean inIoasList() {
        return inIoasList;
    }

    /** The cookie model's MSI cookie base, or -1. */
    public long msiCookieStart() {
        return msiCookieStart;
    }

    /** The SW_MSI doorbell pages mapped in this domain (IOVA and doorbell page). */
    public java.util.List<SwMsi.Page> msiPages() {
        return java.util.List.copyOf(msiPages);
    }

    @Override
    public HwptPaging findHwptPaging() {
        return this;
    }

    /** iommufd_hwpt_paging_destroy(): leaves the IOAS's domain list, drops the IOAS ref. */
    @Override
    void destroy() {
        if (inIoasList) {
            ioas.hwptList.remove(this);
            ioas.iopt().removeDomain(this);
            inIoasList = false;
        }
        if (fault != null) {
            fault.put();
        }
        ioas.put();
    }

    @Override
    public String describeReserved(long start, long last) {
        return String.format("outside the aperture 0x%x-0x%x of hwpt %d", domain.apertureStart(), domain.apertureEnd(), id());
    }
}
