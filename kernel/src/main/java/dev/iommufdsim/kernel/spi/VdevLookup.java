package dev.iommufdsim.kernel.spi;

/**
 * The virtual devices of one vIOMMU (viommu->vdevs), as drivers query them:
 * iommufd_viommu_get_vdev_id() and iommufd_viommu_find_dev().
 */
public interface VdevLookup {
    /** The virtual ID of this device in the vIOMMU, or null when it has no vDEVICE there. */
    Long virtIdOf(DeviceInfo dev);

    /** The device with this virtual ID, or null. */
    DeviceInfo deviceOf(long virtId);
}
