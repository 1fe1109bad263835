package dev.iommufdsim.plugins.mock;

import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_TEST_INVALIDATE_FLAG_ALL;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_VIOMMU_TYPE_SELFTEST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_DEV_CACHE_ID_MAX;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.UserDataArray;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.spi.HwQueue;
import dev.iommufdsim.kernel.spi.HwQueueContext;
import dev.iommufdsim.kernel.spi.Viommu;
import dev.iommufdsim.kernel.spi.ViommuContext;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.Arrays;
import java.util.List;

/**
 * struct mock_viommu with mock_viommu_ops (selftest.c): nested domains through the vIOMMU and
 * invalidation of the mock devices' caches by virtual device ID, and its mmap page (two pages
 * whose first u32 is in_data, for the loopback test). HW queues of
 * IOMMU_HW_QUEUE_TYPE_SELFTEST, each after the one below it.
 */
final class MockViommu implements Viommu {
    /** sizeof(struct iommu_viommu_selftest) and offsetofend(..., out_data). */
    static final int VIOMMU_SELFTEST_SIZE = 24;
    static final int VIOMMU_SELFTEST_MIN = 8;
    /** sizeof(struct iommu_viommu_invalidate_selftest): 3 * u32. */
    static final int INVALIDATE_SIZE = 12;
    /** out_mmap_length: the two zeroed pages mock_viommu_init() allocates. */
    static final long MMAP_LENGTH = 2 * Uapi.PAGE_SIZE;

    /** IOMMU_TEST_HW_QUEUE_MAX. */
    static final int HW_QUEUE_MAX = 2;

    private final MockInstance iommu;
    private final byte[] outData;
    /** mock_viommu->hw_queue[] (guarded by queue_mutex in the kernel; calls are serialized here). */
    private final MockHwQueue[] hwQueues = new MockHwQueue[HW_QUEUE_MAX];

    /** struct mock_hw_queue: its index and the queue it depends on. */
    private final class MockHwQueue implements HwQueue {
        final int index;
        final MockHwQueue prev;
        final HwQueueContext core;

        MockHwQueue(int index, MockHwQueue prev, HwQueueContext core) {
            this.index = index;
            this.prev = prev;
            this.core = core;
        }

        /** mock_hw_queue_destroy(): frees its slot and drops the dependency on prev. */
        @Override
        public void destroy() {
            hwQueues[index] = null;
            if (prev != null) {
                core.undepend(prev);
            }
        }
    }

    private MockViommu(MockInstance iommu, byte[] outData) {
        this.iommu = iommu;
        this.outData = outData;
    }

    /**
     * mock_viommu_init(): with user data (data_len != 0), iommu_copy_struct_from_user(...,
     * IOMMU_VIOMMU_TYPE_SELFTEST, out_data) (type other than SELFTEST, length below 8 or above
     * 24 -> EINVAL); two pages with in_data in the first u32 become an mmap region
     * (iommufd_viommu_alloc_mmap); out_data := in_data, out_mmap_length := 2 pages,
     * out_mmap_offset := the region's offset; iommu_copy_struct_to_user() writes back data_len bytes.
     */
    static MockViommu init(MockInstance iommu, int viommuType, byte[] data, ViommuContext ctx) {
        byte[] out = null;
        if (data.length != 0) {
            UserStruct in = UserStruct.copyFromUser(viommuType, data, IOMMU_VIOMMU_TYPE_SELFTEST, VIOMMU_SELFTEST_MIN, VIOMMU_SELFTEST_SIZE);
            byte[] page = Arrays.copyOf(in.bytes(), 4); // *mock_viommu->page = data.in_data
            long offset = ctx.allocMmap(page, MMAP_LENGTH);
            UserStruct reply = UserStruct.wrap(in.bytes())
                    .putU32(4, in.u32(0))
                    .putU64(8, offset)
                    .putU64(16, MMAP_LENGTH);
            out = Arrays.copyOf(reply.bytes(), data.length);
        }
        return new MockViommu(iommu, out);
    }

    @Override
    public boolean hasAllocDomainNested() {
        return true;
    }

    /** mock_viommu_alloc_domain_nested(): flags beyond PASID -> EOPNOTSUPP, then __mock_domain_alloc_nested(). */
    @Override
    public NestedDomain allocDomainNested(int flags, int dataType, byte[] data, VdevLookup vdevs) {
        if ((flags & ~Uapi.IOMMU_HWPT_ALLOC_PASID) != 0) {
            throw fail(EOPNOTSUPP, "mock: nested flags 0x%x beyond IOMMU_HWPT_ALLOC_PASID", flags);
        }
        return MockNestedDomain.alloc(dataType, data, this);
    }

    @Override
    public boolean hasCacheInvalidate() {
        return true;
    }

    /**
     * mock_viommu_cache_invalidate(): entry_num 0 with the SELFTEST type validates the type
     * only; otherwise iommu_copy_struct_from_full_user_array() (wrong type or no entries ->
     * EINVAL, a non-zero tail beyond 12 bytes -> E2BIG, nothing done); then per entry: flags
     * beyond FLAG_ALL -> EOPNOTSUPP, cache_id > 3 -> EINVAL, vdev_id without a vDEVICE ->
     * EINVAL; FLAG_ALL clears the device's four cache entries, else cache[cache_id]. done =
     * the entries handled before the first bad one.
     */
    @Override
    public void cacheInvalidate(UserDataArray array, VdevLookup vdevs) {
        if (array.entryNum() == 0 && array.type() == IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) {
            array.setDone(0);
            return;
        }
        int done = 0;
        try {
            List<UserStruct> cmds = array.copyFull(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, INVALIDATE_SIZE);
            for (UserStruct cur : cmds) {
                int flags = cur.u32(0);
                long vdevId = Integer.toUnsignedLong(cur.u32(4));
                int cacheId = cur.u32(8);
                if ((flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) != 0) {
                    throw fail(EOPNOTSUPP, "mock: entry %d flags 0x%x beyond IOMMU_TEST_INVALIDATE_FLAG_ALL", done, flags);
                }
                if (Integer.compareUnsigned(cacheId, MOCK_DEV_CACHE_ID_MAX) > 0) {
                    throw fail(EINVAL, "mock: entry %d cache_id %d > MOCK_DEV_CACHE_ID_MAX", done, Integer.toUnsignedLong(cacheId));
                }
                DeviceInfo dev = vdevs == null ? null : vdevs.deviceOf(vdevId);
                if (dev == null) {
                    throw fail(EINVAL, "mock: entry %d vdev_id 0x%x has no vDEVICE in this vIOMMU", done, vdevId);
                }
                int[] cache = iommu.devCache(dev.name());
                if ((flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) != 0) {
                    Arrays.fill(cache, 0);
                } else {
                    cache[cacheId] = 0;
                }
                done++;
            }
        } finally {
            array.setDone(done);
        }
    }

    /** The bytes iommu_copy_struct_to_user() wrote back (data_len of them), or null without data. */
    @Override
    public byte[] outData() {
        return outData == null ? null : outData.clone();
    }

    /** mock_viommu_get_hw_queue_size(): only IOMMU_HW_QUEUE_TYPE_SELFTEST. */
    @Override
    public boolean hwQueueSupported(int queueType) {
        return queueType == Uapi.IOMMU_HW_QUEUE_TYPE_SELFTEST;
    }

    /**
     * mock_hw_queue_init_phys(): index >= IOMMU_TEST_HW_QUEUE_MAX -> EINVAL; a taken index ->
     * EEXIST; index > 0 without a queue at index - 1 -> EIO; base_pa other than
     * iommu_iova_to_phys(s2 parent, base_addr) -> EFAULT (a core conversion bug); then the
     * queue depends on the one below it (iommufd_hw_queue_depend).
     */
    @Override
    public HwQueue hwQueueInitPhys(HwQueueContext queue, int index, long basePa) {
        if (Integer.compareUnsigned(index, HW_QUEUE_MAX) >= 0) {
            throw fail(EINVAL, "mock: HW queue index %d >= IOMMU_TEST_HW_QUEUE_MAX", Integer.toUnsignedLong(index));
        }
        if (hwQueues[index] != null) {
            throw fail(EEXIST, "mock: HW queue index %d is taken", index);
        }
        MockHwQueue prev = null;
        if (index != 0) {
            prev = hwQueues[index - 1];
            if (prev == null) {
                throw fail(EIO, "mock: HW queue index %d needs index %d first", index, index - 1);
            }
        }
        if (basePa != queue.iovaToPhys(queue.baseAddr())) {
            throw fail(EFAULT, "mock: base_pa 0x%x is not iova_to_phys(0x%x) = 0x%x", basePa, queue.baseAddr(),
                    queue.iovaToPhys(queue.baseAddr()));
        }
        MockHwQueue q = new MockHwQueue(index, prev, queue);
        if (prev != null) {
            queue.depend(prev);
        }
        hwQueues[index] = q;
        return q;
    }
}
