package dev.iommufdsim.kernel.spi;

/**
 * A driver's HW queue (the driver part of struct iommufd_hw_queue, include/linux/iommufd.h):
 * what {@link Viommu#hwQueueInitPhys} made. The core destroys it when the HW queue object goes.
 */
public interface HwQueue {
    /** Models hw_queue->destroy, set by the driver in hw_queue_init_phys. */
    default void destroy() {
    }
}
