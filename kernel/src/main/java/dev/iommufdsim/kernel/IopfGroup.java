package dev.iommufdsim.kernel;

import dev.iommufdsim.kernel.spi.PageRequest;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * struct iopf_group (io-pgfault.c) as iommufd sees it: the page requests of one group (the
 * partial ones reported before it with the same grpid, then the one with
 * IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE) for the attach handle (device, PASID) whose HWPT has a
 * fault object. read() gives one struct iommu_hwpt_pgfault per request, all with the group's
 * cookie; one response answers the whole group.
 */
final class IopfGroup {
    /** to_iommufd_handle(group->attach_handle)->idev and the PASID of that handle. */
    final IommufdDevice idev;
    final int handlePasid;
    /** group->faults: struct iommu_fault_page_request of each, the last one closing the group. */
    final List<PageRequest> faults;
    /** group->cookie: its index in fault->response while it waits for the answer, else 0. */
    int cookie;

    IopfGroup(IommufdDevice idev, int handlePasid, List<PageRequest> faults) {
        this.idev = idev;
        this.handlePasid = handlePasid;
        this.faults = List.copyOf(faults);
    }

    /** group->fault_count. */
    int faultCount() {
        return faults.size();
    }

    /** The request that closed the group (group->last_fault). */
    PageRequest last() {
        return faults.get(faults.size() - 1);
    }

    /** Whether the group requests a 4 KiB page that [iova, last] touches. */
    boolean requestsPageIn(long iova, long last) {
        for (PageRequest f : faults) {
            long page = f.addr() & ~0xfffL;
            if (Long.compareUnsigned(page, last) <= 0 && Long.compareUnsigned(page + 0xfff, iova) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** iommufd_compose_fault_message() of fault i: struct iommu_hwpt_pgfault, little-endian. */
    byte[] pgfault(int i) {
        PageRequest f = faults.get(i);
        ByteBuffer b = ByteBuffer.allocate(Uapi.SIZEOF_HWPT_PGFAULT).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(f.flags()).putInt(idev.id()).putInt(f.pasid()).putInt(f.grpid()).putInt(f.perm()).putInt(0); // __reserved
        b.putLong(f.addr()).putInt(0).putInt(cookie); // length: 0, no hint
        return b.array();
    }
}
