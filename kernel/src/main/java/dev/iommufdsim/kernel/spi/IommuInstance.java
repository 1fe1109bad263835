package dev.iommufdsim.kernel.spi;

import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

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

    /** Whether iommu_ops.domain_alloc_nested exists (else nested HWPT_ALLOC is EOPNOTSUPP). */
    default boolean hasDomainAllocNested() {
        return false;
    }

    /**
     * Models iommu_ops.domain_alloc_nested: validate the user's stage-1 data and make a
     * nested domain on the parent (a paging domain of this driver allocated NEST_PARENT).
     *
     * @param flags IOMMU_HWPT_ALLOC_PASID at most (the core strips FAULT_ID_VALID)
     */
    default NestedDomain domainAllocNested(DeviceInfo dev, PagingDomain parent, int flags, int dataType, byte[] data) {
        throw fail(EOPNOTSUPP,
                "no domain_alloc_nested");
    }

    /**
     * Models iommu_ops.get_viommu_size: whether this device's IOMMU can host a vIOMMU of
     * this type (the core turns false into EOPNOTSUPP).
     */
    default boolean viommuSupported(DeviceInfo dev, int viommuType) {
        return false;
    }

    /**
     * Models iommu_ops.viommu_init: a vIOMMU on the nesting parent's domain.
     *
     * @param data the user's driver data (empty for none)
     */
    default Viommu viommuInit(int viommuType, PagingDomain parent, DeviceInfo dev, byte[] data) {
        throw fail(EOPNOTSUPP, "no viommu_init");
    }

    /**
     * viommu_init with the core's vIOMMU helpers (mmap regions); by default the overload
     * without them.
     */
    default Viommu viommuInit(int viommuType, PagingDomain parent, DeviceInfo dev, byte[] data, ViommuContext ctx) {
        return viommuInit(viommuType, parent, dev, data);
    }

    /**
     * The MSI doorbell the IRQ layer programs for this device (the physical address of the
     * interrupt controller's doorbell: the GICv3 ITS GITS_TRANSLATER on ARM). With a SW_MSI
     * region, iommufd maps the page holding it into the domain (iommufd_sw_msi); with a
     * hardware MSI window it is used as is.
     */
    default long msiDoorbell(DeviceInfo dev) {
        return 0xfee00000L;
    }

    /**
     * Driver-specific selftest checks (IOMMU_TEST_OP_MD_CHECK_IOTLB, DEV_CHECK_CACHE ...):
     * the mock plugin answers them; other drivers need not.
     *
     * @param op     the op's name ("md_check_iotlb")
     * @param target the nested domain's state or the device, as the op defines
     * @throws dev.iommufdsim.kernel.uapi.IommufdException the op's errno (EINVAL on mismatch)
     */
    default void selftestCheck(String op, Object target, long index, long value) {
        throw fail(EOPNOTSUPP,
                "driver has no selftest op " + op);
    }
}
