package dev.iommufdsim.kernel.spi;

import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

/**
 * A driver's vIOMMU (struct iommufd_viommu with its iommufd_viommu_ops): the per-VM slice
 * of a physical IOMMU instance that owns nested domains, virtual device IDs and
 * invalidation queues.
 */
public interface Viommu {
    /** Whether the vIOMMU has alloc_domain_nested (else HWPT_ALLOC through it is EOPNOTSUPP). */
    default boolean hasAllocDomainNested() {
        return false;
    }

    /**
     * Models iommufd_viommu_ops.alloc_domain_nested: validate the user data and make a
     * nested domain. flags are IOMMU_HWPT_ALLOC_PASID at most (FAULT_ID_VALID is the core's).
     */
    default NestedDomain allocDomainNested(int flags, int dataType, byte[] data, VdevLookup vdevs) {
        throw fail(EOPNOTSUPP, "this vIOMMU cannot allocate nested domains");
    }

    /** Whether the vIOMMU has cache_invalidate (else HWPT_INVALIDATE on it is EOPNOTSUPP). */
    default boolean hasCacheInvalidate() {
        return false;
    }

    /** Models iommufd_viommu_ops.cache_invalidate; same contract as NestedDomain's. */
    default void cacheInvalidate(UserDataArray array, VdevLookup vdevs) {
        throw fail(EOPNOTSUPP, "this vIOMMU has no cache_invalidate");
    }

    /** Models iommufd_viommu_ops.vdevice_init: the driver may refuse a virtual ID (errno). */
    default void vdeviceInit(long virtId, DeviceInfo dev) {
    }

    /** Models iommufd_viommu_ops.destroy. */
    default void destroy() {
    }

    /** Bytes the driver writes back into the user's data buffer (selftest: out_data), or null. */
    default byte[] outData() {
        return null;
    }

    /**
     * Models viommu_ops->get_hw_queue_size != 0 for this queue type (with hw_queue_init_phys
     * present): false makes IOMMU_HW_QUEUE_ALLOC EOPNOTSUPP.
     */
    default boolean hwQueueSupported(int queueType) {
        return false;
    }

    /**
     * Models viommu_ops->hw_queue_init_phys: initialize the queue at index whose memory the
     * core has pinned, starting at physical address basePa; throws the driver's errno.
     *
     * @return the driver's queue (its destroy op)
     */
    default HwQueue hwQueueInitPhys(HwQueueContext queue, int index, long basePa) {
        throw fail(EOPNOTSUPP, "this vIOMMU has no hw_queue_init_phys");
    }
}
