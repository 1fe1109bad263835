package dev.iommufdsim.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * struct iommufd_ioas (drivers/iommu/iommufd/ioas.c): an IOVA address space and the paging
 * HWPTs built on it. Mappings hold no reference on the IOAS; each HWPT_PAGING holds one.
 */
public final class Ioas extends IommufdObject {
    private final IoPagetable iopt;
    /** ioas->hwpt_list: auto and manual paging HWPTs, in creation order. */
    final List<HwptPaging> hwptList = new ArrayList<>();

    Ioas(UserPagePins pins) {
        super(ObjType.IOAS);
        this.iopt = new IoPagetable(pins);
    }

    public IoPagetable iopt() {
        return iopt;
    }

    public List<HwptPaging> hwpts() {
        return List.copyOf(hwptList);
    }

    /** iommufd_ioas_destroy(): unmaps every area; the selftest's reservations go too. */
    @Override
    void destroy() {
        iopt.unmapAll();
        iopt.removeReservedIova(ResvOwner.SELFTEST);
    }
}
