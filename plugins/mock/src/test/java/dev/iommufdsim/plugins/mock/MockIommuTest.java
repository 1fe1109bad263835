package dev.iommufdsim.plugins.mock;

import static dev.iommufdsim.kernel.uapi.Errno.E2BIG;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_HWPT_DATA_SELFTEST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
import static dev.iommufdsim.plugins.mock.MockIommuDriver.IOMMU_VIOMMU_TYPE_SELFTEST;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.UserDataArray;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.spi.Viommu;
import dev.iommufdsim.kernel.spi.ViommuContext;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The mock driver against drivers/iommu/iommufd/selftest.c of Linux 7.2 and the values
 * tools/testing/selftests/iommu/iommufd.c asserts (line numbers are selftest.c's / iommufd.c's).
 */
class MockIommuTest {
    private final MockInstance iommu = (MockInstance) new MockIommuDriver().probe("mock_iommu", Map.of());
    private final DeviceInfo dev = new DeviceInfo("mock0", null, Map.of("dev_flags", 0L));

    static Errno errno(Executable call) {
        return assertThrows(IommufdException.class, call).errno();
    }

    static byte[] u32s(int... words) {
        UserStruct s = UserStruct.allocate(words.length * 4);
        for (int i = 0; i < words.length; i++) {
            s.putU32(4 * i, words[i]);
        }
        return s.bytes();
    }

    /** The vDEVICEs of one vIOMMU: virt_id -> device. */
    static final class Vdevs implements VdevLookup {
        final Map<Long, DeviceInfo> byId = new HashMap<>();

        @Override
        public Long virtIdOf(DeviceInfo d) {
            return byId.entrySet().stream().filter(e -> e.getValue() == d).map(Map.Entry::getKey).findFirst().orElse(null);
        }

        @Override
        public DeviceInfo deviceOf(long virtId) {
            return byId.get(virtId);
        }
    }

    static UserDataArray array(int type, byte[]... entries) {
        return new UserDataArray(type, entries.length == 0 ? 0 : entries[0].length, List.of(entries));
    }

    private PagingDomain parent() {
        return iommu.domainAllocPagingFlags(dev, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, 0, new byte[0]);
    }

    private NestedDomain nested(int iotlb) {
        return iommu.domainAllocNested(dev, parent(), 0, IOMMU_HWPT_DATA_SELFTEST, u32s(iotlb));
    }

    private void checkIotlb(NestedDomain d, int... values) {
        for (int i = 0; i < values.length; i++) {
            iommu.selftestCheck("md_check_iotlb", d.state(), i, Integer.toUnsignedLong(values[i]));
        }
    }

    /** mock_domain_alloc_paging_flags() with MOCK_IOMMUPT_DEFAULT: MOCK_APERTURE_START..LAST, 2 KiB pages. */
    @Test
    void pagingDomainHasTheMockAperture() {
        PagingDomain d = iommu.domainAllocPagingFlags(dev, 0, 0, new byte[0]);
        assertEquals(0x1000000L, d.apertureStart());
        assertEquals(0x7fffffffL, d.apertureEnd());
        assertEquals(2048, d.minPageSize());
    }

    /** mock_domain_hw_info() (selftest.c:304): struct iommu_test_hw_info {flags 0, test_reg 0xdeadbeef}. */
    @Test
    void hwInfoBytes() {
        HwInfo info = iommu.hwInfo(dev, 0);
        assertEquals(0xfeedbeef, info.type());
        assertArrayEquals(new byte[] {0, 0, 0, 0, (byte) 0xef, (byte) 0xbe, (byte) 0xad, (byte) 0xde}, info.data());
        assertEquals(EOPNOTSUPP, errno(() -> iommu.hwInfo(dev, Uapi.IOMMU_HW_INFO_TYPE_INTEL_VTD)));
    }

    /** mock_domain_alloc_nested() (selftest.c:369): flags, then the parent, then the data type, then the copy. */
    @Test
    void nestedAllocChecksInTheKernelsOrder() {
        PagingDomain foreign = new PagingDomain(0, 0xffff, 4096, false, null);
        assertEquals(EOPNOTSUPP, errno(() -> iommu.domainAllocNested(dev, foreign, Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, 0xbad, new byte[1])));
        assertEquals(EINVAL, errno(() -> iommu.domainAllocNested(dev, foreign, Uapi.IOMMU_HWPT_ALLOC_PASID, 0xbad, new byte[1])));
        assertEquals(EOPNOTSUPP, errno(() -> iommu.domainAllocNested(dev, parent(), 0, IOMMU_HWPT_DATA_SELFTEST + 1, u32s(0))));
        // iommu_copy_struct_from_user(..., iotlb): below offsetofend(iotlb) = 4 or above sizeof = 8 -> EINVAL
        assertEquals(EINVAL, errno(() -> iommu.domainAllocNested(dev, parent(), 0, IOMMU_HWPT_DATA_SELFTEST, new byte[3])));
        assertEquals(EINVAL, errno(() -> iommu.domainAllocNested(dev, parent(), 0, IOMMU_HWPT_DATA_SELFTEST, new byte[12])));
        assertTrue(iommu.hasDomainAllocNested());
    }

    /** __mock_domain_alloc_nested(): all MOCK_NESTED_DOMAIN_IOTLB_NUM entries start as data.iotlb (iommufd.c hwpt_alloc_nested). */
    @Test
    void nestedDomainStartsWithTheUsersIotlbValue() {
        NestedDomain d = nested(0xbadbeef);
        checkIotlb(d, 0xbadbeef, 0xbadbeef, 0xbadbeef, 0xbadbeef);
        assertEquals(EINVAL, errno(() -> iommu.selftestCheck("md_check_iotlb", d.state(), 4, 0xbadbeef)));
        assertEquals(EINVAL, errno(() -> iommu.selftestCheck("md_check_iotlb", d.state(), 0, 0)));
        assertEquals(EINVAL, errno(() -> iommu.selftestCheck("md_check_iotlb", "not a domain", 0, 0)));
        assertEquals(EOPNOTSUPP, errno(() -> iommu.selftestCheck("md_check_refs", d.state(), 0, 0)));
        // an 8-byte struct with pagetable_type is accepted too: only iotlb is read
        checkIotlb(iommu.domainAllocNested(dev, parent(), 0, IOMMU_HWPT_DATA_SELFTEST, u32s(7, 99)), 7, 7, 7, 7);
    }

    /** mock_domain_cache_invalidate_user() (selftest.c:874), the cases of iommufd.c hwpt_invalidate. */
    @Test
    void nestedInvalidation() {
        NestedDomain d = nested(0xbadbeef);
        assertTrue(d.hasCacheInvalidateUser());
        UserDataArray badType = array(0xdadbeef, u32s(0, 0));
        assertEquals(EINVAL, errno(() -> d.cacheInvalidateUser(badType)));
        assertEquals(0, badType.done());
        UserDataArray none = array(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST);
        d.cacheInvalidateUser(none);
        assertEquals(0, none.done());
        UserDataArray badFlags = array(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, u32s(0xffffffff, 0));
        assertEquals(EOPNOTSUPP, errno(() -> d.cacheInvalidateUser(badFlags)));
        assertEquals(0, badFlags.done());
        UserDataArray longEntry = array(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, u32s(0, 0, 0));
        assertEquals(EINVAL, errno(() -> d.cacheInvalidateUser(longEntry)));
        UserDataArray partial = array(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, u32s(0, 1), u32s(0, 4), u32s(0, 2));
        assertEquals(EINVAL, errno(() -> d.cacheInvalidateUser(partial)));
        assertEquals(1, partial.done());
        checkIotlb(d, 0xbadbeef, 0, 0xbadbeef, 0xbadbeef);
        // the iotlb_id bound is checked before FLAG_ALL, which then ignores the id
        assertEquals(EINVAL, errno(() -> d.cacheInvalidateUser(array(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, u32s(1, 77)))));
        UserDataArray all = array(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, u32s(MockIommuDriver.IOMMU_TEST_INVALIDATE_FLAG_ALL, 3));
        d.cacheInvalidateUser(all);
        assertEquals(1, all.done());
        checkIotlb(d, 0, 0, 0, 0);
    }

    /** A context handing out mmap offsets from 0x10000 on, recording what it was given. */
    static final class Mmaps implements ViommuContext {
        final List<Long> offsets = new java.util.ArrayList<>();
        final List<Long> lengths = new java.util.ArrayList<>();
        final List<byte[]> contents = new java.util.ArrayList<>();

        @Override
        public long allocMmap(byte[] c, long length) {
            long off = 0x10000L + 0x10000L * offsets.size();
            offsets.add(off);
            lengths.add(length);
            contents.add(c);
            return off;
        }
    }

    private final Mmaps mmaps = new Mmaps();

    /** mock_get_viommu_size() and mock_viommu_init() (selftest.c:785, 793); iommufd.c viommu_alloc_with_data. */
    @Test
    void viommuInitLoopsInDataBack() {
        assertTrue(iommu.viommuSupported(dev, IOMMU_VIOMMU_TYPE_SELFTEST));
        assertFalse(iommu.viommuSupported(dev, 0xdead));
        assertFalse(iommu.viommuSupported(dev, 1));
        assertNull(iommu.viommuInit(IOMMU_VIOMMU_TYPE_SELFTEST, parent(), dev, new byte[0], mmaps).outData());
        byte[] out = iommu.viommuInit(IOMMU_VIOMMU_TYPE_SELFTEST, parent(), dev, u32s(0xbeef, 0), mmaps).outData();
        assertArrayEquals(u32s(0xbeef, 0xbeef), out);
        UserStruct full = UserStruct.wrap(iommu.viommuInit(IOMMU_VIOMMU_TYPE_SELFTEST, parent(), dev, new byte[24], mmaps).outData());
        assertEquals(2 * Uapi.PAGE_SIZE, full.u64(16), "out_mmap_length = PAGE_SIZE * 2");
        assertEquals((long) mmaps.offsets.get(1), full.u64(8), "out_mmap_offset is the region the context allocated");
        assertEquals(List.of(2 * Uapi.PAGE_SIZE, 2 * Uapi.PAGE_SIZE), mmaps.lengths);
        assertArrayEquals(u32s(0xbeef), mmaps.contents.get(0), "the page starts with in_data");
        assertEquals(EINVAL, errno(() -> iommu.viommuInit(IOMMU_VIOMMU_TYPE_SELFTEST, parent(), dev, new byte[4], mmaps)));
        assertEquals(EINVAL, errno(() -> iommu.viommuInit(IOMMU_VIOMMU_TYPE_SELFTEST, parent(), dev, new byte[32], mmaps)));
    }

    /** mock_viommu_alloc_domain_nested() and mock_domain_nop_attach() (selftest.c:617, 214); iommufd.c viommu_alloc_nested_iopf. */
    @Test
    void viommuNestedDomainNeedsAVdeviceToAttach() {
        Viommu v = iommu.viommuInit(IOMMU_VIOMMU_TYPE_SELFTEST, parent(), dev, new byte[0], mmaps);
        Vdevs vdevs = new Vdevs();
        assertTrue(v.hasAllocDomainNested());
        assertEquals(EOPNOTSUPP, errno(() -> v.allocDomainNested(Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_DATA_SELFTEST, u32s(0), vdevs)));
        NestedDomain d = v.allocDomainNested(Uapi.IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_SELFTEST, u32s(0x1234), vdevs);
        assertEquals(ENOENT, errno(() -> d.attachDev(dev, vdevs)));
        assertEquals(ENOENT, errno(() -> d.attachDev(dev, null)));
        vdevs.byId.put(0x99L, dev);
        d.attachDev(dev, vdevs);
        checkIotlb(d, 0x1234, 0x1234, 0x1234, 0x1234);
        // a nested domain made on the parent, not through a vIOMMU, attaches without a vDEVICE
        nested(1).attachDev(dev, null);
    }

    /** mock_viommu_cache_invalidate() (selftest.c:633), the cases of iommufd.c vdevice_cache (3072). */
    @Test
    void viommuInvalidationClearsDeviceCaches() {
        Viommu v = iommu.viommuInit(IOMMU_VIOMMU_TYPE_SELFTEST, parent(), dev, new byte[0], mmaps);
        Vdevs vdevs = new Vdevs();
        vdevs.byId.put(0x99L, dev);
        for (int i = 0; i < 4; i++) {
            iommu.selftestCheck("dev_check_cache", dev, i, 0xbaddad);
        }
        UserDataArray none = array(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST);
        v.cacheInvalidate(none, vdevs);
        assertEquals(0, none.done());
        assertEquals(EINVAL, errno(() -> v.cacheInvalidate(array(0xdadbeef), vdevs)), "entry_num 0 only validates the type");
        assertEquals(EINVAL, errno(() -> v.cacheInvalidate(array(0xdadbeef, u32s(0, 0x99, 0)), vdevs)));
        assertEquals(EOPNOTSUPP, errno(() -> v.cacheInvalidate(array(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, u32s(0xffffffff, 0x99, 0)), vdevs)));
        assertEquals(EINVAL, errno(() -> v.cacheInvalidate(array(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, u32s(0, 0x99, 4)), vdevs)));
        assertEquals(EINVAL, errno(() -> v.cacheInvalidate(array(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, u32s(0, 0x9, 0)), vdevs)));
        byte[] longEntry = new byte[16];
        longEntry[13] = 1;
        assertEquals(E2BIG, errno(() -> v.cacheInvalidate(array(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, longEntry), vdevs)));
        UserDataArray partial = array(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, u32s(0, 0x99, 0), u32s(0xffffffff, 0x99, 1));
        assertEquals(EOPNOTSUPP, errno(() -> v.cacheInvalidate(partial, vdevs)));
        assertEquals(1, partial.done());
        iommu.selftestCheck("dev_check_cache", dev, 0, 0);
        iommu.selftestCheck("dev_check_cache", "mock0", 1, 0xbaddad);
        assertEquals(EINVAL, errno(() -> iommu.selftestCheck("dev_check_cache", dev, 1, 0)));
        assertEquals(EINVAL, errno(() -> iommu.selftestCheck("dev_check_cache", dev, 4, 0)));
        UserDataArray all = array(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, u32s(1, 0x99, 0));
        v.cacheInvalidate(all, vdevs);
        assertEquals(1, all.done());
        for (int i = 0; i < 4; i++) {
            iommu.selftestCheck("dev_check_cache", dev, i, 0);
        }
        // another device keeps its own cache
        iommu.selftestCheck("dev_check_cache", new DeviceInfo("mock1", null, Map.of()), 3, 0xbaddad);
        List<byte[]> shortEntries = new ArrayList<>();
        shortEntries.add(new byte[] {0});
        assertEquals(EINVAL, errno(() -> v.cacheInvalidate(new UserDataArray(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 1, shortEntries), vdevs)),
                "a 1-byte entry is zero-extended: vdev_id 0 has no vDEVICE");
    }
}
