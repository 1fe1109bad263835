package dev.iommufdsim.kernel.uapi;

/**
 * Constants of include/uapi/linux/iommufd.h (and the few of include/linux that the uAPI
 * exposes), under their kernel names. Flags are bit values; types are enum values.
 */
public final class Uapi {
    private Uapi() {
    }

    /** The emulated host's PAGE_SIZE (x86-64 and the oracle kernel: 4 KiB). */
    public static final long PAGE_SIZE = 4096;
    /** HPAGE_SIZE with CONFIG_TRANSPARENT_HUGEPAGE on x86-64: the cap of auto-IOVA alignment. */
    public static final long HPAGE_SIZE = 2L << 20;
    /** ULONG_MAX and U64_MAX on a 64-bit kernel. */
    public static final long ULONG_MAX = -1L;

    // ioctl numbers: _IO(IOMMUFD_TYPE = ';', nr); nr listed here for replay and the server.
    public static final int IOMMUFD_TYPE = ';';
    public static final int IOMMUFD_CMD_DESTROY = 0x80;
    public static final int IOMMUFD_CMD_IOAS_ALLOC = 0x81;
    public static final int IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82;
    public static final int IOMMUFD_CMD_IOAS_COPY = 0x83;
    public static final int IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84;
    public static final int IOMMUFD_CMD_IOAS_MAP = 0x85;
    public static final int IOMMUFD_CMD_IOAS_UNMAP = 0x86;
    public static final int IOMMUFD_CMD_OPTION = 0x87;
    public static final int IOMMUFD_CMD_VFIO_IOAS = 0x88;
    public static final int IOMMUFD_CMD_HWPT_ALLOC = 0x89;
    public static final int IOMMUFD_CMD_GET_HW_INFO = 0x8a;
    public static final int IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b;
    public static final int IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c;

    // struct iommu_ioas_map flags (enum iommufd_ioas_map_flags)
    public static final int IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0;
    public static final int IOMMU_IOAS_MAP_WRITEABLE = 1 << 1;
    public static final int IOMMU_IOAS_MAP_READABLE = 1 << 2;

    // enum iommufd_option and enum iommufd_option_ops
    public static final int IOMMU_OPTION_RLIMIT_MODE = 0;
    public static final int IOMMU_OPTION_HUGE_PAGES = 1;
    public static final int IOMMU_OPTION_OP_SET = 0;
    public static final int IOMMU_OPTION_OP_GET = 1;

    // enum iommufd_hwpt_alloc_flags
    public static final int IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0;
    public static final int IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1;
    public static final int IOMMU_HWPT_FAULT_ID_VALID = 1 << 2;
    public static final int IOMMU_HWPT_ALLOC_PASID = 1 << 3;

    // enum iommufd_hwpt_set_dirty_tracking_flags and enum iommufd_hwpt_get_dirty_bitmap_flags
    public static final int IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1 << 0;
    public static final int IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1 << 0;

    // enum iommu_hwpt_data_type
    public static final int IOMMU_HWPT_DATA_NONE = 0;
    public static final int IOMMU_HWPT_DATA_VTD_S1 = 1;
    public static final int IOMMU_HWPT_DATA_ARM_SMMUV3 = 2;
    public static final int IOMMU_HWPT_DATA_AMD_GUEST = 3;

    // enum iommu_hw_info_type, iommufd_hw_info_flags, iommufd_hw_capabilities
    public static final int IOMMU_HW_INFO_TYPE_NONE = 0;
    public static final int IOMMU_HW_INFO_TYPE_DEFAULT = 0;
    public static final int IOMMU_HW_INFO_TYPE_INTEL_VTD = 1;
    public static final int IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2;
    public static final int IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0;
    public static final long IOMMU_HW_CAP_DIRTY_TRACKING = 1L << 0;
    public static final long IOMMU_HW_CAP_PCI_PASID_EXEC = 1L << 1;
    public static final long IOMMU_HW_CAP_PCI_PASID_PRIV = 1L << 2;
    public static final long IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1L << 3;

    // VFIO cdev (include/uapi/linux/vfio.h)
    public static final int VFIO_DEVICE_BIND_FLAG_TOKEN = 1 << 0;
    public static final int VFIO_DEVICE_ATTACH_PASID = 1 << 0;
    public static final int VFIO_DEVICE_DETACH_PASID = 1 << 0;

    // enum iommu_viommu_type, iommu_veventq_type, invalidation data types
    public static final int IOMMU_VIOMMU_TYPE_DEFAULT = 0;
    /** enum iommu_hw_queue_type: IOMMU_HW_QUEUE_TYPE_DEFAULT is reserved (EOPNOTSUPP). */
    public static final int IOMMU_HW_QUEUE_TYPE_DEFAULT = 0;
    /** IOMMU_HW_QUEUE_TYPE_SELFTEST (the mock driver's, iommufd_test.h). */
    public static final int IOMMU_HW_QUEUE_TYPE_SELFTEST = 0xdeadbeef;
    public static final int IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1;
    public static final int IOMMU_VEVENTQ_TYPE_DEFAULT = 0;
    public static final int IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1;
    public static final int IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0;
    public static final int IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1;
    /** IOMMU_VEVENTQ_TYPE_SELFTEST (iommufd_test.h). */
    public static final int IOMMU_VEVENTQ_TYPE_SELFTEST = 0xbeefbeef;
    /** enum iommu_veventq_flag. */
    public static final int IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 1 << 0;
    /** enum iommu_hwpt_pgfault_flags and iommu_hwpt_pgfault_perm. */
    public static final int IOMMU_PGFAULT_FLAGS_PASID_VALID = 1 << 0;
    public static final int IOMMU_PGFAULT_FLAGS_LAST_PAGE = 1 << 1;
    public static final int IOMMU_PGFAULT_PERM_READ = 1 << 0;
    public static final int IOMMU_PGFAULT_PERM_WRITE = 1 << 1;
    /** enum iommufd_page_response_code. */
    public static final int IOMMUFD_PAGE_RESP_SUCCESS = 0;
    public static final int IOMMUFD_PAGE_RESP_INVALID = 1;
    /** sizeof(struct iommu_hwpt_pgfault), sizeof(struct iommu_hwpt_page_response), sizeof(struct iommufd_vevent_header). */
    public static final int SIZEOF_HWPT_PGFAULT = 40;
    public static final int SIZEOF_PAGE_RESPONSE = 8;
    public static final int SIZEOF_VEVENT_HEADER = 8;
    /** VEVENTQ_MAX_DEPTH and IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX. */
    public static final int VEVENTQ_MAX_DEPTH = 1 << 19;
    public static final int IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX = 1 << 19;

    /** IOMMU_NO_PASID: the RID attachment. */
    public static final int IOMMU_NO_PASID = 0;
}
