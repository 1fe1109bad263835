package dev.iommufdsim.plugins.mock;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import java.util.Map;
import org.pf4j.Extension;

/**
 * The selftest mock IOMMU (drivers/iommu/iommufd/selftest.c, iommufd_test.h of Linux 7.2):
 * aperture 0x1000000-0x7fffffff, 2 KiB pages, no reserved regions, selftest hw_info, nested
 * domains holding four mock IOTLB entries, and the selftest vIOMMU whose invalidations clear
 * the mock devices' four cache entries. Devices are the selftest's mock devices, whose
 * "dev_flags" are MOCK_FLAGS_DEVICE_*. The constants below carry the header's names.
 */
@Extension
public class MockIommuDriver implements IommuDriver {
    /** MOCK_APERTURE_START / MOCK_APERTURE_LAST. */
    public static final long MOCK_APERTURE_START = 1L << 24;
    public static final long MOCK_APERTURE_LAST = (1L << 31) - 1;
    /** MOCK_PAGE_SIZE and MOCK_HUGE_PAGE_SIZE (512 * MOCK_PAGE_SIZE). */
    public static final long MOCK_PAGE_SIZE = 2048;
    public static final long MOCK_HUGE_PAGE_SIZE = 512 * MOCK_PAGE_SIZE;
    /** MOCK_FLAGS_DEVICE_NO_DIRTY, MOCK_FLAGS_DEVICE_PASID. */
    public static final long MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0;
    public static final long MOCK_FLAGS_DEVICE_PASID = 1 << 2;
    /** MOCK_PASID_WIDTH. */
    public static final int MOCK_PASID_WIDTH = 20;
    /** IOMMU_TEST_PASID_RESERVED: the PASID whose every second set_dev_pasid the mock fails. */
    public static final int IOMMU_TEST_PASID_RESERVED = 1024;
    /** IOMMU_HWPT_DATA_SELFTEST and struct iommu_hwpt_selftest {u32 iotlb; u32 pagetable_type}. */
    public static final int IOMMU_HWPT_DATA_SELFTEST = 0xdead;
    public static final int MOCK_IOMMUPT_DEFAULT = 0;
    public static final int MOCK_IOMMUPT_HUGE = 1;
    /** IOMMU_HW_INFO_TYPE_SELFTEST and IOMMU_HW_INFO_SELFTEST_REGVAL. */
    public static final int IOMMU_HW_INFO_TYPE_SELFTEST = 0xfeedbeef;
    public static final int IOMMU_HW_INFO_SELFTEST_REGVAL = 0xdeadbeef;
    /** MOCK_NESTED_DOMAIN_IOTLB_ID_MAX / _NUM and MOCK_DEV_CACHE_ID_MAX / _NUM. */
    public static final int MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3;
    public static final int MOCK_NESTED_DOMAIN_IOTLB_NUM = 4;
    public static final int MOCK_DEV_CACHE_ID_MAX = 3;
    public static final int MOCK_DEV_CACHE_NUM = 4;
    /** IOMMU_TEST_IOTLB_DEFAULT and IOMMU_TEST_DEV_CACHE_DEFAULT. */
    public static final int IOMMU_TEST_IOTLB_DEFAULT = 0xbadbeef;
    public static final int IOMMU_TEST_DEV_CACHE_DEFAULT = 0xbaddad;
    /** IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, entries struct iommu_hwpt_invalidate_selftest {u32 flags; u32 iotlb_id}. */
    public static final int IOMMU_HWPT_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;
    /** IOMMU_TEST_INVALIDATE_FLAG_ALL, for both invalidation entry kinds. */
    public static final int IOMMU_TEST_INVALIDATE_FLAG_ALL = 1 << 0;
    /** IOMMU_VIOMMU_TYPE_SELFTEST, with struct iommu_viommu_selftest {u32 in_data; u32 out_data; u64 out_mmap_offset; u64 out_mmap_length}. */
    public static final int IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef;
    /** IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, entries struct iommu_viommu_invalidate_selftest {u32 flags; u32 vdev_id; u32 cache_id}. */
    public static final int IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;
    /** The selftest ops this driver answers through IommuInstance.selftestCheck. */
    public static final String OP_MD_CHECK_IOTLB = "md_check_iotlb";
    public static final String OP_DEV_CHECK_CACHE = "dev_check_cache";

    @Override
    public String name() {
        return "mock";
    }

    @Override
    public String description() {
        return "the kernel selftest mock IOMMU (CONFIG_IOMMUFD_TEST)";
    }

    /** The mock takes no instance options (mock_iommu_device is a fixed object in the kernel). */
    @Override
    public IommuInstance probe(String instanceName, Map<String, Object> properties) {
        return new MockInstance(this);
    }

    static long devFlags(DeviceInfo dev) {
        return dev.longProperty("dev_flags", 0);
    }
}
