package dev.iommufdsim.kernel.spi;

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

    /**
     * Models iommu_ops.hw_info.
     *
     * @param requestedType IOMMU_HW_INFO_TYPE_DEFAULT (0) or a type the user asked for
     * @return null when the driver has no hw_info op (the kernel then reports type NONE)
     */
    HwInfo hwInfo(DeviceInfo dev, int requestedType);
}
