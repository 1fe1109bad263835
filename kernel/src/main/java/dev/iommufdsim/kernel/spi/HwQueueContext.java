package dev.iommufdsim.kernel.spi;

/**
 * What the iommufd core offers a driver while it initializes a HW queue (struct
 * iommufd_hw_queue's core fields and the helpers of include/linux/iommufd.h).
 */
public interface HwQueueContext {
    /** hw_queue->type. */
    int queueType();

    /** hw_queue->base_addr: the queue's guest physical address (nesting_parent_iova). */
    long baseAddr();

    /** hw_queue->length. */
    long length();

    /**
     * iommu_iova_to_phys() on the vIOMMU's nesting parent domain: the physical address
     * behind an IOVA, or 0 when nothing is mapped there. The emulator's physical address is
     * the user address of the memory (as in {@link IommuInstance#mapPages}).
     */
    long iovaToPhys(long iova);

    /**
     * iommufd_hw_queue_depend(): this queue depends on an earlier one of the same vIOMMU, which
     * can then not be destroyed before it (IOMMU_DESTROY: EBUSY). EINVAL for itself.
     */
    void depend(HwQueue dependedOn);

    /** iommufd_hw_queue_undepend(): undoes {@link #depend}, from the driver's destroy. */
    void undepend(HwQueue dependedOn);
}
