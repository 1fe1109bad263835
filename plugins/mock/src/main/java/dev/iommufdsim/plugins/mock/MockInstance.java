package dev.iommufdsim.plugins.mock;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_HWPT_DATA_SELFTEST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_TEST_DEV_CACHE_DEFAULT;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_TEST_PASID_RESERVED;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_VIOMMU_TYPE_SELFTEST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_APERTURE_LAST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_APERTURE_START;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_DEV_CACHE_ID_MAX;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_DEV_CACHE_NUM;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_FLAGS_DEVICE_NO_DIRTY;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_FLAGS_DEVICE_PASID;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_HUGE_PAGE_SIZE;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_IOMMUPT_DEFAULT;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_IOMMUPT_HUGE;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_NESTED_DOMAIN_IOTLB_ID_MAX;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_PAGE_SIZE;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.MOCK_PASID_WIDTH;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.OP_DEV_CHECK_CACHE;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.OP_MD_CHECK_IOTLB;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.devFlags;

import dev.iommufdsim.kernel.spi.DeviceAccess;
import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.DirtyBitmap;
import dev.iommufdsim.kernel.spi.IoPageTable;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.IommuDomain;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PageRequest;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.spi.Viommu;
import dev.iommufdsim.kernel.spi.ViommuContext;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * mock_iommu_device with mock_ops (selftest.c). The per-device state of struct mock_dev that
 * the vIOMMU changes (cache[MOCK_DEV_CACHE_NUM]) lives here, keyed by device name, because a
 * plugin never touches the kernel's device objects.
 */
final class MockInstance implements IommuInstance {
    /**
     * The AMDv1 generic page table the 7.2 mock uses, with its 2 KiB granule: 2K .. 64G (the 7.2
     * oracle's VFIO_IOMMU_GET_INFO answers iova_pgsizes 0x1ffffffff000, the 2K bit folded into 4K).
     */
    private static final long AMDV1_MOCK_PGSIZES = ((1L << 37) - 1) & ~(MOCK_PAGE_SIZE - 1);
    /**
     * The aperture MOCK_IOMMUPT_HUGE keeps: hw_max_vasz_lg2 is 56, but with starting_level 2
     * and no dynamic top level (generic_pt/fmt/iommu_mock.c) amdv1pt_iommu_fmt_init() limits
     * it to 11 + 9 * 3 = 38 bits (confirmed on the 7.2 oracle: ranges 0x0-0x3fffffffff).
     */
    private static final long AMDV1_APERTURE_END = (1L << 38) - 1;

    /**
     * The mock's page table format: generic_pt's AMD IOMMU v1 format with the selftest's 2 KiB
     * granule (generic_pt/fmt/amdv1.h built as iommu_mock.c), 512 items per table. Level L
     * holds items of 2^(11 + 9 L) bytes (2K, 1M, 512M, ...); a 4 KiB page is a contiguous entry
     * of two 2 KiB items with a dirty bit each (AMDV1PT_FMT_D), so it reports its first 2 KiB.
     */
    static final IoPageTable.Format MOCK_PT_FORMAT = IoPageTable.Format.genericPt(11, 9);

    /** driverState of the mock's paging domains (struct mock_iommu_domain): to_mock_domain() works on these. */
    static final class MockPaging {
        final MockInstance iommu;
        final int pagetableType;
        /** MOCK_DIRTY_TRACK in mock->flags. */
        boolean dirtyTrack;
        /** The IOPTEs; the kernel fills them only in domains with dirty_ops. */
        final IoPageTable table = new IoPageTable(MOCK_PT_FORMAT);

        MockPaging(MockInstance iommu, int pagetableType) {
            this.iommu = iommu;
            this.pagetableType = pagetableType;
        }
    }

    private static MockPaging toMockDomain(PagingDomain domain) {
        return (MockPaging) domain.driverState();
    }

    private final IommuDriver driver;
    /** struct mock_dev.cache[], by device name; created with IOMMU_TEST_DEV_CACHE_DEFAULT (mock_dev_create). */
    private final Map<String, int[]> devCache = new HashMap<>();
    /** The devices whose mock_dev->pasid_1024_fake_error is set, by name. */
    private final Set<String> pasid1024FakeError = new HashSet<>();

    MockInstance(IommuDriver driver) {
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

    /**
     * mock_domain_capable(); max_pasids is 1 << the "pasid-num-bits" property of
     * mock_dev_create() (dev_iommu_get_max_pasids): MOCK_PASID_WIDTH with
     * MOCK_FLAGS_DEVICE_PASID, else 0 bits, so 1 (PASID 0 only: any PASID attach is EINVAL,
     * as the 7.2 oracle answers), and out_max_pasid_log2 0 either way without the flag.
     */
    @Override
    public DeviceCaps capabilities(DeviceInfo dev) {
        long flags = devFlags(dev);
        boolean pasid = (flags & MOCK_FLAGS_DEVICE_PASID) != 0;
        return new DeviceCaps(true, (flags & MOCK_FLAGS_DEVICE_NO_DIRTY) == 0, false, 1 << (pasid ? MOCK_PASID_WIDTH : 0), true);
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
                return new PagingDomain(MOCK_APERTURE_START, MOCK_APERTURE_LAST, AMDV1_MOCK_PGSIZES, dirty, new MockPaging(this, pagetableType));
            case MOCK_IOMMUPT_HUGE:
                return new PagingDomain(0, AMDV1_APERTURE_END, MOCK_HUGE_PAGE_SIZE | Uapi.PAGE_SIZE, dirty, new MockPaging(this, pagetableType));
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

    /**
     * The generic page table's map_pages (iommu_pt.h), the mock domains' amdv1_mock ops: a
     * mapping neither readable nor writable -> EINVAL (its WARN_ON), before anything is mapped.
     * Only VFIO_IOMMU_MAP_DMA without READ and WRITE makes such an area.
     */
    @Override
    public void checkMap(PagingDomain domain, long iova, long length, int prot) {
        if ((prot & (ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE)) == 0) {
            throw fail(EINVAL, "mock: the page table cannot map 0x%x-0x%x neither readable nor writable", iova, iova + length - 1);
        }
    }

    /**
     * mock_domain_set_dev_pasid_nop(), the op of every mock domain: accepted, except that
     * pasid 1024 fails every second time with ENOMEM (the first attach sets
     * mock_dev->pasid_1024_fake_error, the next set_dev_pasid clears it and fails), so the
     * selftest sees the core keep the old domain when a replace fails.
     */
    @Override
    public void setDevPasid(IommuDomain domain, DeviceInfo dev, int pasid, IommuDomain old) {
        if (pasid == IOMMU_TEST_PASID_RESERVED) {
            if (pasid1024FakeError.remove(dev.name())) {
                throw fail(ENOMEM, "mock: the faked failure of the second set_dev_pasid on pasid %d of %s", pasid, dev.name());
            }
            pasid1024FakeError.add(dev.name());
        }
    }

    /** The blocked domain's set_dev_pasid (mock_blocking_ops): a detach of pasid 1024 clears its fake error. */
    @Override
    public void removeDevPasid(DeviceInfo dev, int pasid, IommuDomain old) {
        if (pasid == IOMMU_TEST_PASID_RESERVED) {
            pasid1024FakeError.remove(dev.name());
        }
    }

    /** The mock's page table, which the spi's default map_pages / unmap_pages (IOMMU_PT_DOMAIN_OPS) write. */
    @Override
    public IoPageTable ioPageTable(PagingDomain domain) {
        return toMockDomain(domain).table;
    }

    /** mock_domain_set_dirty_tracking(): sets or clears MOCK_DIRTY_TRACK. */
    @Override
    public void setDirtyTracking(PagingDomain domain, boolean enable) {
        if (enable && !domain.dirtyTracking()) {
            throw fail(EINVAL, "mock: the domain has no dirty_ops");
        }
        toMockDomain(domain).dirtyTrack = enable;
    }

    /** The generic page table's read_and_clear_dirty (IOMMU_PT_DIRTY_OPS) in the mock's format: see {@link IoPageTable}. */
    @Override
    public void readAndClearDirty(PagingDomain domain, long iova, long size, long flags, DirtyBitmap dirty) {
        toMockDomain(domain).table.readAndClearDirty(iova, size, flags, dirty);
    }

    /**
     * A device write: the mock has no hardware, so it takes IOMMU_TEST_OP_DIRTY's path, set_dirty
     * on every 2 KiB item written, and only while MOCK_DIRTY_TRACK is set (iommufd_test_dirty
     * refuses otherwise); a domain without dirty_ops keeps no IOPTEs and records nothing.
     */
    @Override
    public void dmaWrite(DeviceInfo dev, PagingDomain domain, long iova, long length) {
        MockPaging m = toMockDomain(domain);
        if (domain.dirtyTracking() && m.dirtyTrack) {
            m.table.writeDirty(iova, length);
        }
    }

    /**
     * A mock device's DMA fault through a domain with an iopf_handler: the mock has no
     * hardware, so it reports what IOMMU_TEST_OP_TRIGGER_IOPF reports (iommufd_test_trigger_iopf:
     * a last-page request, PASID_VALID with a PASID), one per faulting page, grpid counting up.
     */
    @Override
    public List<PageRequest> pageRequests(DeviceInfo dev, DeviceAccess access) {
        return access.groupPerPage(-1);
    }

    /** iommufd_test_dirty(): MOCK_DIRTY_TRACK is set (the AMDv1 mock table always has set_dirty). */
    @Override
    public boolean selftestCanSetDirty(PagingDomain domain) {
        return domain.driverState() instanceof MockPaging m && m.dirtyTrack;
    }

    /** mock->iommu.ops->set_dirty(): the item mapping iova becomes dirty (ENOENT when unmapped). */
    @Override
    public void selftestSetDirty(PagingDomain domain, long iova) {
        toMockDomain(domain).table.setDirty(iova);
    }

    /** mock_domain_hw_info(): struct iommu_test_hw_info {u32 flags; u32 test_reg}. */
    @Override
    public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
        if (requestedType != Uapi.IOMMU_HW_INFO_TYPE_DEFAULT && requestedType != MockIommuDriver.IOMMU_HW_INFO_TYPE_SELFTEST) {
            throw fail(EOPNOTSUPP, "mock: hw_info type 0x%x not supported", requestedType);
        }
        return new HwInfo(MockIommuDriver.IOMMU_HW_INFO_TYPE_SELFTEST,
                UserStruct.allocate(8).putU32(4, MockIommuDriver.IOMMU_HW_INFO_SELFTEST_REGVAL).bytes());
    }

    @Override
    public boolean hasDomainAllocNested() {
        return true;
    }

    /**
     * mock_domain_alloc_nested(): flags beyond PASID -> EOPNOTSUPP; a parent that is not a
     * mock paging domain -> EINVAL; then __mock_domain_alloc_nested() (data type, copy).
     */
    @Override
    public NestedDomain domainAllocNested(DeviceInfo dev, PagingDomain parent, int flags, int dataType, byte[] data) {
        if ((flags & ~Uapi.IOMMU_HWPT_ALLOC_PASID) != 0) {
            throw fail(EOPNOTSUPP, "mock: nested flags 0x%x beyond IOMMU_HWPT_ALLOC_PASID", flags);
        }
        if (parent == null || !(parent.driverState() instanceof MockPaging)) {
            throw fail(EINVAL, "mock: the parent is not a mock paging domain");
        }
        return MockNestedDomain.alloc(dataType, data, null);
    }

    /** mock_get_viommu_size(): only IOMMU_VIOMMU_TYPE_SELFTEST. */
    @Override
    public boolean viommuSupported(DeviceInfo dev, int viommuType) {
        return viommuType == IOMMU_VIOMMU_TYPE_SELFTEST;
    }

    /** mock_viommu_init(): see {@link MockViommu#init}. */
    @Override
    public Viommu viommuInit(int viommuType, PagingDomain parent, DeviceInfo dev, byte[] data, ViommuContext ctx) {
        return MockViommu.init(this, viommuType, data, ctx);
    }

    /**
     * The mock's selftest checks. {@value MockIommuDriver#OP_MD_CHECK_IOTLB}
     * (iommufd_test_md_check_iotlb): target is the nested domain or its {@link NestedDomain#state()}
     * (the same object); EINVAL when it is not a mock nested domain, when index (iotlb_id) > 3 or
     * when iotlb[index] differs from value. {@value MockIommuDriver#OP_DEV_CHECK_CACHE}
     * (iommufd_test_dev_check_cache): target is the device's {@link DeviceInfo} (or its name as a
     * String); EINVAL when index (cache_id) > 3 or cache[index] differs. Values compare as u32.
     * Any other op: EOPNOTSUPP.
     */
    @Override
    public void selftestCheck(String op, Object target, long index, long value) {
        if (OP_MD_CHECK_IOTLB.equals(op)) {
            if (!(target instanceof MockNestedDomain nested)) {
                throw fail(EINVAL, "mock: md_check_iotlb needs a mock nested domain, not %s", target);
            }
            if (Long.compareUnsigned(index, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) > 0) {
                throw fail(EINVAL, "mock: iotlb_id %d > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX %d", index, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX);
            }
            int actual = nested.iotlb((int) index);
            if (actual != (int) value) {
                throw fail(EINVAL, "mock: iotlb[%d] is 0x%x, not 0x%x", index, actual, value & 0xffffffffL);
            }
        } else if (OP_DEV_CHECK_CACHE.equals(op)) {
            String name = target instanceof DeviceInfo d ? d.name() : target instanceof String s ? s : null;
            if (name == null) {
                throw fail(EINVAL, "mock: dev_check_cache needs a device, not %s", target);
            }
            if (Long.compareUnsigned(index, MOCK_DEV_CACHE_ID_MAX) > 0) {
                throw fail(EINVAL, "mock: cache_id %d > MOCK_DEV_CACHE_ID_MAX %d", index, MOCK_DEV_CACHE_ID_MAX);
            }
            int actual = devCache(name)[(int) index];
            if (actual != (int) value) {
                throw fail(EINVAL, "mock: %s cache[%d] is 0x%x, not 0x%x", name, index, actual, value & 0xffffffffL);
            }
        } else {
            throw fail(EOPNOTSUPP, "mock: no selftest op %s", op);
        }
    }

    /** struct mock_dev.cache[] of a device, created on first use as mock_dev_create() does. */
    int[] devCache(String deviceName) {
        return devCache.computeIfAbsent(deviceName, k -> {
            int[] c = new int[MOCK_DEV_CACHE_NUM];
            Arrays.fill(c, IOMMU_TEST_DEV_CACHE_DEFAULT);
            return c;
        });
    }
}
