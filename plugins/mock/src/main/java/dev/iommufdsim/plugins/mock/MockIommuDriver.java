package dev.iommufdsim.plugins.mock;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.List;
import java.util.Map;
import org.pf4j.Extension;

/**
 * The selftest mock IOMMU (drivers/iommu/iommufd/selftest.c, iommufd_test.h of Linux 7.2):
 * aperture 0x1000000-0x7fffffff, 2 KiB pages, no reserved regions, selftest hw_info.
 * Devices are the selftest's mock devices, whose "dev_flags" are MOCK_FLAGS_DEVICE_*.
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
    /** IOMMU_HWPT_DATA_SELFTEST and struct iommu_hwpt_selftest {u32 iotlb; u32 pagetable_type}. */
    public static final int IOMMU_HWPT_DATA_SELFTEST = 0xdead;
    public static final int MOCK_IOMMUPT_DEFAULT = 0;
    public static final int MOCK_IOMMUPT_HUGE = 1;
    /** IOMMU_HW_INFO_TYPE_SELFTEST and IOMMU_HW_INFO_SELFTEST_REGVAL. */
    public static final int IOMMU_HW_INFO_TYPE_SELFTEST = 0xfeedbeef;
    public static final int IOMMU_HW_INFO_SELFTEST_REGVAL = 0xdeadbeef;
    /** The AMDv1 generic page table the 7.2 mock uses, with its 2 KiB granule: 2K .. 1G. */
    private static final long AMDV1_MOCK_PGSIZES = ((1L << 31) - 1) & ~(MOCK_PAGE_SIZE - 1);
    /** cfg.common.hw_max_vasz_lg2 = 56: the format's aperture, kept for MOCK_IOMMUPT_HUGE. */
    private static final long AMDV1_APERTURE_END = (1L << 56) - 1;

    @Override
    public String name() {
        return "mock";
    }

    @Override
    public String description() {
        return "the kernel selftest mock IOMMU (CONFIG_IOMMUFD_TEST)";
    }

    @Override
    public IommuInstance probe(String instanceName, Map<String, Object> properties) {
        return new Instance(this);
    }

    static long devFlags(DeviceInfo dev) {
        return dev.longProperty("dev_flags", 0);
    }

    private static final class Instance implements IommuInstance {
        private final IommuDriver driver;

        Instance(IommuDriver driver) {
            this.driver = driver;
        }

        @Override
        public IommuDriver driver() {
            return driver;
        }

        /** The mock's iommu_ops has no get_resv_regions. */
        @Override
        public List<ResvRegion> getResvRegions(DeviceInfo dev) {
            return List.of();
        }

        /** mock_domain_capable(); max_pasids from the "pasid-num-bits" property of mock_dev_create(). */
        @Override
        public DeviceCaps capabilities(DeviceInfo dev) {
            long flags = devFlags(dev);
            boolean pasid = (flags & MOCK_FLAGS_DEVICE_PASID) != 0;
            return new DeviceCaps(true, (flags & MOCK_FLAGS_DEVICE_NO_DIRTY) == 0, false, pasid ? 1 << MOCK_PASID_WIDTH : 0, true);
        }

        /** mock_domain_alloc_paging_flags() and mock_domain_alloc_pgtable(). */
        @Override
        public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
            int pagingFlags = Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING | Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT | Uapi.IOMMU_HWPT_ALLOC_PASID;
            boolean dirty = (flags & Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING) != 0;
            if ((flags & ~pagingFlags) != 0 || (dirty && (devFlags(dev) & MOCK_FLAGS_DEVICE_NO_DIRTY) != 0)) {
                throw fail(EOPNOTSUPP, "mock: paging flags 0x%x not supported for this device", flags);
            }
            boolean hasData = data.length != 0;
            if (hasData && dataType != IOMMU_HWPT_DATA_SELFTEST && dataType != Uapi.IOMMU_HWPT_DATA_NONE) {
                throw fail(EOPNOTSUPP, "mock: paging data type 0x%x not supported", dataType);
            }
            int pagetableType = MOCK_IOMMUPT_DEFAULT;
            if (hasData) {
                pagetableType = UserStruct.copyFromUser(dataType, data, IOMMU_HWPT_DATA_SELFTEST, 4, 8).u32(4);
            }
            switch (pagetableType) {
                case MOCK_IOMMUPT_DEFAULT:
                    return new PagingDomain(MOCK_APERTURE_START, MOCK_APERTURE_LAST, AMDV1_MOCK_PGSIZES, dirty, null);
                case MOCK_IOMMUPT_HUGE:
                    return new PagingDomain(0, AMDV1_APERTURE_END, MOCK_HUGE_PAGE_SIZE | Uapi.PAGE_SIZE, dirty, null);
                default:
                    throw fail(EOPNOTSUPP, "mock: pagetable_type %d not supported", pagetableType);
            }
        }

        /** mock_domain_nop_attach(): a dirty-tracking domain refuses a NO_DIRTY device. */
        @Override
        public void attachDev(PagingDomain domain, DeviceInfo dev) {
            if (domain.dirtyTracking() && (devFlags(dev) & MOCK_FLAGS_DEVICE_NO_DIRTY) != 0) {
                throw fail(EINVAL, "mock: a dirty-tracking domain cannot take the NO_DIRTY device %s", dev.name());
            }
        }

        /** mock_domain_hw_info(): struct iommu_test_hw_info {u32 flags; u32 test_reg}. */
        @Override
        public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
            if (requestedType != Uapi.IOMMU_HW_INFO_TYPE_DEFAULT && requestedType != IOMMU_HW_INFO_TYPE_SELFTEST) {
                throw fail(EOPNOTSUPP, "mock: hw_info type 0x%x not supported", requestedType);
            }
            return new HwInfo(IOMMU_HW_INFO_TYPE_SELFTEST, UserStruct.allocate(8).putU32(4, IOMMU_HW_INFO_SELFTEST_REGVAL).bytes());
        }
    }
}
