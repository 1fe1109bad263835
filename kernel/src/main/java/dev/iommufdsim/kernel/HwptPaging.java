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
    final boolean nestParent;
    /** Linked into ioas->hwpt_list (and so added to the io_pagetable as a domain). */
    boolean inIoasList;

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

    @Override
    HwptPaging findHwptPaging() {
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
        ioas.put();
    }

    @Override
    public String describeReserved(long start, long last) {
        return String.format("outside the aperture 0x%x-0x%x of hwpt %d", domain.apertureStart(), domain.apertureEnd(), id());
    }
}
