package dev.iommufdsim.kernel;

/** enum iommufd_object_type (include/linux/iommufd.h), in the kernel's order. */
public enum ObjType {
    ANY,
    DEVICE,
    HWPT_PAGING,
    HWPT_NESTED,
    IOAS,
    ACCESS,
    FAULT,
    VIOMMU,
    VDEVICE,
    VEVENTQ,
    HW_QUEUE,
    SELFTEST
}
