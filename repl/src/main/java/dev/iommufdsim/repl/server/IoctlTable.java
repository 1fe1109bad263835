package dev.iommufdsim.repl.server;

/**
 * iommufd_ioctl_ops[] of drivers/iommu/iommufd/main.c (Linux 7.2, CONFIG_IOMMUFD_TEST): per
 * ioctl number its struct's size and min_size = offsetofend(struct, last mandatory field).
 * Sizes are those of x86-64 (checked against include/uapi/linux/iommufd.h with offsetof).
 */
final class IoctlTable {
    private IoctlTable() {
    }

    /** IOMMUFD_TYPE, the ioctl type byte ';'. */
    static final int IOMMUFD_TYPE = 0x3b;
    /** IOMMUFD_CMD_BASE. */
    static final int CMD_BASE = 0x80;

    static final int DESTROY = 0x80;
    static final int IOAS_ALLOC = 0x81;
    static final int IOAS_ALLOW_IOVAS = 0x82;
    static final int IOAS_COPY = 0x83;
    static final int IOAS_IOVA_RANGES = 0x84;
    static final int IOAS_MAP = 0x85;
    static final int IOAS_UNMAP = 0x86;
    static final int OPTION = 0x87;
    static final int VFIO_IOAS = 0x88;
    static final int HWPT_ALLOC = 0x89;
    static final int GET_HW_INFO = 0x8a;
    static final int HWPT_SET_DIRTY_TRACKING = 0x8b;
    static final int HWPT_GET_DIRTY_BITMAP = 0x8c;
    static final int HWPT_INVALIDATE = 0x8d;
    static final int FAULT_QUEUE_ALLOC = 0x8e;
    static final int IOAS_MAP_FILE = 0x8f;
    static final int VIOMMU_ALLOC = 0x90;
    static final int VDEVICE_ALLOC = 0x91;
    static final int IOAS_CHANGE_PROCESS = 0x92;
    static final int VEVENTQ_ALLOC = 0x93;
    static final int HW_QUEUE_ALLOC = 0x94;
    /** IOMMU_TEST_CMD = IOMMUFD_CMD_BASE + 32. */
    static final int TEST_CMD = 0xa0;

    /** One IOCTL_OP() entry. */
    record Op(int nr, String name, int size, int minSize) {
        /** _IO(IOMMUFD_TYPE, nr): op->ioctl_num. */
        int ioctlNum() {
            return IOMMUFD_TYPE << 8 | nr;
        }
    }

    /** Indexed by nr - CMD_BASE; null where the kernel's array has a hole. */
    private static final Op[] OPS = new Op[TEST_CMD - CMD_BASE + 1];

    private static void op(int nr, String name, int size, int minSize) {
        OPS[nr - CMD_BASE] = new Op(nr, name, size, minSize);
    }

    static {
        op(DESTROY, "IOMMU_DESTROY", 8, 8);
        op(IOAS_ALLOC, "IOMMU_IOAS_ALLOC", 12, 12);
        op(IOAS_ALLOW_IOVAS, "IOMMU_IOAS_ALLOW_IOVAS", 24, 24);
        op(IOAS_COPY, "IOMMU_IOAS_COPY", 40, 40);
        op(IOAS_IOVA_RANGES, "IOMMU_IOAS_IOVA_RANGES", 32, 32);
        op(IOAS_MAP, "IOMMU_IOAS_MAP", 40, 40);
        op(IOAS_UNMAP, "IOMMU_IOAS_UNMAP", 24, 24);
        op(OPTION, "IOMMU_OPTION", 24, 24);
        op(VFIO_IOAS, "IOMMU_VFIO_IOAS", 12, 12);
        op(HWPT_ALLOC, "IOMMU_HWPT_ALLOC", 48, 24);
        op(GET_HW_INFO, "IOMMU_GET_HW_INFO", 40, 32);
        op(HWPT_SET_DIRTY_TRACKING, "IOMMU_HWPT_SET_DIRTY_TRACKING", 16, 16);
        op(HWPT_GET_DIRTY_BITMAP, "IOMMU_HWPT_GET_DIRTY_BITMAP", 48, 48);
        op(HWPT_INVALIDATE, "IOMMU_HWPT_INVALIDATE", 32, 32);
        op(FAULT_QUEUE_ALLOC, "IOMMU_FAULT_QUEUE_ALLOC", 16, 16);
        op(IOAS_MAP_FILE, "IOMMU_IOAS_MAP_FILE", 40, 40);
        op(VIOMMU_ALLOC, "IOMMU_VIOMMU_ALLOC", 40, 24);
        op(VDEVICE_ALLOC, "IOMMU_VDEVICE_ALLOC", 24, 24);
        op(IOAS_CHANGE_PROCESS, "IOMMU_IOAS_CHANGE_PROCESS", 8, 8);
        op(VEVENTQ_ALLOC, "IOMMU_VEVENTQ_ALLOC", 32, 28);
        op(HW_QUEUE_ALLOC, "IOMMU_HW_QUEUE_ALLOC", 40, 40);
        op(TEST_CMD, "IOMMU_TEST_CMD", 72, 68);
    }

    /** Whether _IOC_NR(nr) falls in the table (else the VFIO compat handler gets the call). */
    static boolean inTable(int nr) {
        return nr >= CMD_BASE && nr - CMD_BASE < OPS.length;
    }

    /** The entry for nr (inTable), or null for a hole. */
    static Op op(int nr) {
        return OPS[nr - CMD_BASE];
    }

    /** The IOMMU_TEST_OP_* names (iommufd_test.h), index = op. */
    static final String[] TEST_OPS = {null, "ADD_RESERVED", "MOCK_DOMAIN", "MD_CHECK_MAP", "MD_CHECK_REFS", "CREATE_ACCESS",
        "DESTROY_ACCESS_PAGES", "ACCESS_PAGES", "ACCESS_RW", "SET_TEMP_MEMORY_LIMIT", "MOCK_DOMAIN_REPLACE",
        "ACCESS_REPLACE_IOAS", "MOCK_DOMAIN_FLAGS", "DIRTY", "MD_CHECK_IOTLB", "TRIGGER_IOPF", "DEV_CHECK_CACHE",
        "TRIGGER_VEVENT", "PASID_ATTACH", "PASID_REPLACE", "PASID_DETACH", "PASID_CHECK_HWPT", "DMABUF_GET",
        "DMABUF_REVOKE"};

    /** A name for a request word, for traces. */
    static String name(int cmd) {
        int nr = cmd & 0xff;
        if ((cmd >>> 8 & 0xff) == IOMMUFD_TYPE && inTable(nr) && op(nr) != null && op(nr).ioctlNum() == cmd) {
            return op(nr).name();
        }
        String vfio = VfioCompatIoctls.name(cmd);
        return vfio != null ? vfio : String.format("ioctl 0x%x", cmd);
    }
}
