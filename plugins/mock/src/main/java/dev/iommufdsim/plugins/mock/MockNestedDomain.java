package dev.iommufdsim.plugins.mock;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_HWPT_DATA_SELFTEST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_TEST_INVALIDATE_FLAG_ALL;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_NESTED_DOMAIN_IOTLB_ID_MAX;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_NESTED_DOMAIN_IOTLB_NUM;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.UserDataArray;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.spi.VdevLookup;
import java.util.Arrays;

/**
 * struct mock_iommu_domain_nested (selftest.c): four mock IOTLB entries and, when made
 * through a vIOMMU, that vIOMMU. Its ops are domain_nested_ops: mock_domain_nop_attach and
 * mock_domain_cache_invalidate_user. {@link #state()} is the domain itself, which the
 * md_check_iotlb selftest check reads.
 */
final class MockNestedDomain implements NestedDomain {
    /** sizeof(struct iommu_hwpt_selftest) and offsetofend(..., iotlb). */
    static final int HWPT_SELFTEST_SIZE = 8;
    static final int HWPT_SELFTEST_MIN = 4;
    /** sizeof(struct iommu_hwpt_invalidate_selftest) and offsetofend(..., iotlb_id). */
    static final int INVALIDATE_SIZE = 8;

    private final int[] iotlb = new int[MOCK_NESTED_DOMAIN_IOTLB_NUM];
    private final MockViommu viommu;

    private MockNestedDomain(int value, MockViommu viommu) {
        Arrays.fill(iotlb, value);
        this.viommu = viommu;
    }

    /**
     * __mock_domain_alloc_nested(): data type other than IOMMU_HWPT_DATA_SELFTEST ->
     * EOPNOTSUPP; iommu_copy_struct_from_user(..., iotlb): length below 4 or above 8 ->
     * EINVAL; every IOTLB entry starts as data.iotlb.
     */
    static MockNestedDomain alloc(int dataType, byte[] data, MockViommu viommu) {
        if (dataType != IOMMU_HWPT_DATA_SELFTEST) {
            throw fail(EOPNOTSUPP, "mock: nested data type 0x%x is not IOMMU_HWPT_DATA_SELFTEST (0x%x)", dataType, IOMMU_HWPT_DATA_SELFTEST);
        }
        UserStruct cfg = UserStruct.copyFromUser(dataType, data, IOMMU_HWPT_DATA_SELFTEST, HWPT_SELFTEST_MIN, HWPT_SELFTEST_SIZE);
        return new MockNestedDomain(cfg.u32(0), viommu);
    }

    /** iotlb[i]. */
    int iotlb(int i) {
        return iotlb[i];
    }

    /** The vIOMMU this domain was made through, or null. */
    MockViommu viommu() {
        return viommu;
    }

    @Override
    public boolean hasCacheInvalidateUser() {
        return true;
    }

    /**
     * mock_domain_cache_invalidate_user(): type other than IOMMU_HWPT_INVALIDATE_DATA_SELFTEST
     * -> EINVAL with nothing done; then per entry: the copy (entry_len below 8 or above 8 ->
     * EINVAL), flags beyond FLAG_ALL -> EOPNOTSUPP, iotlb_id > 3 -> EINVAL; FLAG_ALL clears all
     * four entries (iotlb_id ignored), otherwise iotlb[iotlb_id]. Stops at the first bad entry
     * with done = the entries handled; entry_num 0 only validates the type.
     */
    @Override
    public void cacheInvalidateUser(UserDataArray array) {
        int processed = 0;
        try {
            if (array.type() != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
                throw fail(EINVAL, "mock: invalidation data type 0x%x is not IOMMU_HWPT_INVALIDATE_DATA_SELFTEST", array.type());
            }
            for (int i = 0; i < array.entryNum(); i++) {
                UserStruct inv = array.copyEntry(i, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, INVALIDATE_SIZE, INVALIDATE_SIZE);
                int flags = inv.u32(0);
                int iotlbId = inv.u32(4);
                if ((flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) != 0) {
                    throw fail(EOPNOTSUPP, "mock: entry %d flags 0x%x beyond IOMMU_TEST_INVALIDATE_FLAG_ALL", i, flags);
                }
                if (Integer.compareUnsigned(iotlbId, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) > 0) {
                    throw fail(EINVAL, "mock: entry %d iotlb_id %d > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX", i, Integer.toUnsignedLong(iotlbId));
                }
                if ((flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) != 0) {
                    Arrays.fill(iotlb, 0);
                } else {
                    iotlb[iotlbId] = 0;
                }
                processed++;
            }
        } finally {
            array.setDone(processed);
        }
    }

    /**
     * mock_domain_nop_attach() for a nested domain: one made through a vIOMMU needs the
     * device's vDEVICE there (iommufd_viommu_get_vdev_id() -> ENOENT).
     */
    @Override
    public void attachDev(DeviceInfo dev, VdevLookup vdevs) {
        if (viommu != null && (vdevs == null || vdevs.virtIdOf(dev) == null)) {
            throw fail(ENOENT, "mock: %s has no vDEVICE in the vIOMMU of this nested domain", dev.name());
        }
    }

    /** This domain: md_check_iotlb reads iotlb[] from it. */
    @Override
    public Object state() {
        return this;
    }

    @Override
    public String toString() {
        return "mock nested domain iotlb=" + Arrays.toString(Arrays.stream(iotlb).mapToObj(v -> "0x" + Integer.toHexString(v)).toArray())
                + (viommu != null ? " (through a vIOMMU)" : "");
    }
}
