package dev.iommufdsim.kernel;

/**
 * struct iopf_group (io-pgfault.c) as iommufd sees it: one page request, reported with
 * IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE, for the attach handle (device, PASID) whose HWPT has a
 * fault object. The emulator's groups hold a single fault (the selftest reports no partial
 * groups), so iommu_hwpt_pgfault records and groups are one to one.
 */
final class IopfGroup {
    /** to_iommufd_handle(group->attach_handle)->idev and the PASID of that handle. */
    final IommufdDevice idev;
    final int handlePasid;
    /** struct iommu_fault_page_request: flags (IOMMU_PGFAULT_FLAGS_*), pasid, grpid, perm, addr. */
    final int flags;
    final int pasid;
    final int grpid;
    final int perm;
    final long addr;
    /** group->cookie: its index in fault->response while it waits for the answer, else 0. */
    int cookie;

    IopfGroup(IommufdDevice idev, int handlePasid, int flags, int pasid, int grpid, int perm, long addr) {
        this.idev = idev;
        this.handlePasid = handlePasid;
        this.flags = flags;
        this.pasid = pasid;
        this.grpid = grpid;
        this.perm = perm;
        this.addr = addr;
    }

    /** group->fault_count. */
    int faultCount() {
        return 1;
    }

    /** iommufd_compose_fault_message(): struct iommu_hwpt_pgfault, little-endian. */
    byte[] pgfault() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(dev.iommufdsim.kernel.uapi.Uapi.SIZEOF_HWPT_PGFAULT)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(flags).putInt(idev.id()).putInt(pasid).putInt(grpid).putInt(perm).putInt(0); // __reserved
        b.putLong(addr).putInt(0).putInt(cookie); // length: 0, no hint
        return b.array();
    }
}
