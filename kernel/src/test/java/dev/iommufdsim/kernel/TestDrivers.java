package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceAccess;
import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.DirtyBitmap;
import dev.iommufdsim.kernel.spi.DmaFault;
import dev.iommufdsim.kernel.spi.DmaFaultEvent;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.HwQueue;
import dev.iommufdsim.kernel.spi.HwQueueContext;
import dev.iommufdsim.kernel.spi.IommuDomain;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PageRequest;
import dev.iommufdsim.kernel.spi.UserDataArray;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.spi.Viommu;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Drivers for the kernel's own unit tests, which run before the plugin jars exist: a
 * "mock" with the selftest mock's geometry (aperture 0x1000000-0x7fffffff, 2 KiB pages) and a
 * "regions" driver whose devices report the reserved regions given in their properties.
 * The shipped plugins are tested against the real kernel values in the repl module.
 */
final class TestDrivers {
    private TestDrivers() {
    }

    static final long MOCK_APERTURE_START = 1L << 24;
    static final long MOCK_APERTURE_LAST = (1L << 31) - 1;
    static final long MOCK_PAGE_SIZE = 2048;

    static Machine machine() {
        return machine(KernelProfile.MAINLINE);
    }

    static Machine machine(KernelProfile profile) {
        Machine m = new Machine(profile);
        m.registerDriver("test", new Mock());
        m.registerDriver("test", new Regions());
        return m;
    }

    /** The selftest mock's paging behaviour (drivers/iommu/iommufd/selftest.c). */
    static final class Mock implements IommuDriver {
        /** mock_dev->pasid_1024_fake_error, by device name. */
        private final java.util.Set<String> pasid1024FakeError = new java.util.HashSet<>();

        @Override
        public String name() {
            return Machine.MOCK_DRIVER;
        }

        @Override
        public String description() {
            return "test mock";
        }

        @Override
        public IommuInstance probe(String instanceName, Map<String, Object> properties) {
            IommuDriver self = this;
            return new IommuInstance() {
                @Override
                public IommuDriver driver() {
                    return self;
                }

                @Override
                public List<ResvRegion> getResvRegions(DeviceInfo dev) {
                    return List.of();
                }

                @Override
                public DeviceCaps capabilities(DeviceInfo dev) {
                    long flags = dev.longProperty("dev_flags", 0);
                    boolean pasid = (flags & Selftest.MOCK_FLAGS_DEVICE_PASID) != 0;
                    return new DeviceCaps(true, (flags & Selftest.MOCK_FLAGS_DEVICE_NO_DIRTY) == 0, false, pasid ? 1 << 20 : 1, true);
                }

                @Override
                public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
                    if ((flags & ~(Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT | Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING | Uapi.IOMMU_HWPT_ALLOC_PASID)) != 0) {
                        throw fail(EOPNOTSUPP, "mock: unsupported flags");
                    }
                    boolean dirty = (flags & Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING) != 0;
                    return new PagingDomain(MOCK_APERTURE_START, MOCK_APERTURE_LAST, MOCK_PAGE_SIZE | (1L << 20),
                            dirty, dirty ? new Ioptes() : null);
                }

                @Override
                public void mapPages(PagingDomain domain, long iova, long paddr, long pgsize, long pgcount, int prot) {
                    for (long i = 0; i < pgcount; i++) {
                        ((Ioptes) domain.driverState()).leaves.put(iova + i * pgsize, new long[] {pgsize, 0});
                    }
                }

                @Override
                public void unmapPages(PagingDomain domain, long iova, long size) {
                    ((Ioptes) domain.driverState()).leaves.subMap(iova, iova + size).clear();
                }

                @Override
                public void setDirtyTracking(PagingDomain domain, boolean enable) {
                    ((Ioptes) domain.driverState()).tracking = enable;
                }

                @Override
                public void readAndClearDirty(PagingDomain domain, long iova, long size, long flags, DirtyBitmap bitmap) {
                    Ioptes t = (Ioptes) domain.driverState();
                    t.reads.add(new long[] {iova, size});
                    Long from = t.leaves.floorKey(iova);
                    for (Map.Entry<Long, long[]> e : t.leaves.subMap(from == null ? iova : from, iova + size).entrySet()) {
                        if (e.getValue()[1] != 0) {
                            bitmap.record(e.getKey(), e.getValue()[0]);
                            if ((flags & DirtyBitmap.IOMMU_DIRTY_NO_CLEAR) == 0) {
                                e.getValue()[1] = 0;
                            }
                        }
                    }
                }

                @Override
                public boolean selftestCanSetDirty(PagingDomain domain) {
                    return domain.driverState() instanceof Ioptes t && t.tracking;
                }

                @Override
                public void selftestSetDirty(PagingDomain domain, long iova) {
                    Map.Entry<Long, long[]> e = ((Ioptes) domain.driverState()).leaves.floorEntry(iova);
                    if (e == null || iova >= e.getKey() + e.getValue()[0]) {
                        throw fail(ENOENT, "not mapped");
                    }
                    e.getValue()[1] = 1;
                }

                /** A device with {@code iopf_refused} cannot take a domain with an iopf_handler (as VT-d without PRI). */
                @Override
                public void enableIopf(DeviceInfo dev) {
                    if (dev.boolProperty("iopf_refused", false)) {
                        throw fail(ENODEV, "mock: no PRI");
                    }
                }

                /** The device's DMA: the test mock keeps no IOPTEs to mark. */
                @Override
                public void dmaWrite(DeviceInfo dev, PagingDomain domain, long iova, long length) {
                }

                /**
                 * Page requests: none for a device with {@code no_iopf}; one PRI-style group (partial
                 * requests, the last with LAST_PAGE) for one with {@code pri}; else the real mock's
                 * one last-page group per page.
                 */
                @Override
                public List<PageRequest> pageRequests(DeviceInfo dev,
                        DeviceAccess access) {
                    if (dev.boolProperty("no_iopf", false)) {
                        return List.of();
                    }
                    if (!dev.boolProperty("pri", false)) {
                        return access.groupPerPage(-1);
                    }
                    List<PageRequest> out = new java.util.ArrayList<>();
                    for (int i = 0; i < access.addrs().size(); i++) {
                        int last = i == access.addrs().size() - 1 ? PageRequest.LAST_PAGE : 0;
                        out.add(new PageRequest(last, 0, access.tag(), access.perm(), access.addrs().get(i)));
                    }
                    return out;
                }

                /** The generic page table's map_pages: neither READ nor WRITE is EINVAL. */
                @Override
                public void checkMap(PagingDomain domain, long iova, long length, int prot) {
                    if ((prot & (ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE)) == 0) {
                        throw fail(EINVAL, "mock: neither readable nor writable");
                    }
                }

                @Override
                public void attachDev(PagingDomain domain, DeviceInfo dev) {
                    if (domain.dirtyTracking() && (dev.longProperty("dev_flags", 0) & Selftest.MOCK_FLAGS_DEVICE_NO_DIRTY) != 0) {
                        throw fail(EINVAL, "mock: dirty tracking domain on a NO_DIRTY device");
                    }
                }

                @Override
                public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
                    return new HwInfo(0xfeedbeef, new byte[8]);
                }

                /** mock_domain_set_dev_pasid_nop(): every second set_dev_pasid of pasid 1024 fails ENOMEM. */
                @Override
                public void setDevPasid(IommuDomain domain, DeviceInfo dev, int pasid, IommuDomain old) {
                    if (pasid == 1024 && !pasid1024FakeError.add(dev.name())) {
                        pasid1024FakeError.remove(dev.name());
                        throw fail(ENOMEM, "mock: faked set_dev_pasid failure on pasid 1024");
                    }
                }

                @Override
                public void removeDevPasid(DeviceInfo dev, int pasid, IommuDomain old) {
                    if (pasid == 1024) {
                        pasid1024FakeError.remove(dev.name());
                    }
                }
            };
        }
    }

    /**
     * The test mock's IOPTEs: leaves {size, dirty} by IOVA, each reported whole when dirty
     * (the real mock's generic page table is tested in the plugin), and every read's range.
     */
    static final class Ioptes {
        final java.util.TreeMap<Long, long[]> leaves = new java.util.TreeMap<>();
        final List<long[]> reads = new ArrayList<>();
        boolean tracking;
    }

    /** Devices report the regions of their "resv" property: a list of {start, length, type}. */
    static final class Regions implements IommuDriver {
        @Override
        public String name() {
            return "regions";
        }

        @Override
        public String description() {
            return "test driver with declared reserved regions";
        }

        @Override
        public IommuInstance probe(String instanceName, Map<String, Object> properties) {
            IommuDriver self = this;
            return new IommuInstance() {
                @Override
                public IommuDriver driver() {
                    return self;
                }

                @Override
                @SuppressWarnings("unchecked")
                public List<ResvRegion> getResvRegions(DeviceInfo dev) {
                    List<ResvRegion> out = new ArrayList<>();
                    for (Map<String, Object> r : (List<Map<String, Object>>) dev.properties().getOrDefault("resv", List.of())) {
                        out.add(new ResvRegion((Long) r.get("start"), (Long) r.get("length"), 3,
                                ResvType.valueOf((String) r.get("type")), (String) r.get("source")));
                    }
                    return out;
                }

                @Override
                public DeviceCaps capabilities(DeviceInfo dev) {
                    return new DeviceCaps(true, false, true, 0, true, dev.boolProperty("enforce_cc", false));
                }

                /** Like arm_smmu_enforce_cache_coherency() on a new domain; instance option broken_cc refuses (a driver bug). */
                @Override
                public boolean enforceCacheCoherency(PagingDomain domain) {
                    ((RegionsDomain) domain.driverState()).enforceCc = true;
                    return !Boolean.TRUE.equals(properties.get("broken_cc"));
                }

                /** Like arm_smmu_attach_prepare(): a coherency-enforcing domain refuses a device that cannot snoop. */
                @Override
                public void attachDev(PagingDomain domain, DeviceInfo dev) {
                    if (((RegionsDomain) domain.driverState()).enforceCc && !dev.boolProperty("enforce_cc", false)) {
                        throw fail(EINVAL, "regions: %s cannot enforce cache coherency", dev.name());
                    }
                }

                @Override
                public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
                    return new PagingDomain(0, (1L << 48) - 1, 0x1000 | 0x200000 | 0x40000000, false,
                            new RegionsDomain((flags & Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT) != 0));
                }

                /** Like the VT-d nesting parent's PT_FEAT_VTDSS_FORCE_WRITEABLE: no read-only maps. */
                @Override
                public void checkMap(PagingDomain domain, long iova, long length, int prot) {
                    RegionsDomain d = (RegionsDomain) domain.driverState();
                    d.checkMapCalls++;
                    if (d.nestParent && (prot & ResvRegion.IOMMU_WRITE) == 0) {
                        throw fail(EINVAL, "regions: read-only mapping 0x%x+0x%x in a nesting parent", iova, length);
                    }
                }

                @Override
                public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
                    return null;
                }

                @Override
                public boolean hasDomainAllocNested() {
                    return true;
                }

                @Override
                public NestedDomain domainAllocNested(DeviceInfo dev, PagingDomain parent, int flags, int dataType, byte[] data) {
                    return nested(dataType, data, this);
                }

                @Override
                public boolean viommuSupported(DeviceInfo dev, int type) {
                    return type == VIOMMU_TYPE;
                }

                /**
                 * A read fault of a device with a vDEVICE is reported as a selftest vEVENT (its
                 * virt_id, as TRIGGER_VEVENT's); a write fault, or no vDEVICE, is kept.
                 */
                @Override
                public DmaFaultEvent nestedDmaFault(DeviceInfo dev, NestedDomain domain, DmaFault fault, VdevLookup vdevs) {
                    Long virtId = vdevs == null ? null : vdevs.virtIdOf(dev);
                    String event = String.format("regions fault at 0x%x", fault.addr());
                    if (fault.write() || virtId == null) {
                        return DmaFaultEvent.kept(event, virtId == null ? "no vDEVICE" : "write faults stay in the host");
                    }
                    byte[] data = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(virtId.intValue()).array();
                    return DmaFaultEvent.reported(event, Uapi.IOMMU_VEVENTQ_TYPE_SELFTEST, data);
                }

                @Override
                public Viommu viommuInit(int type, PagingDomain parent, DeviceInfo dev, byte[] data) {
                    IommuInstance instance = this;
                    return new Viommu() {
                        /** Queue slots: index i > 0 needs i - 1 and depends on it. */
                        final HwQueue[] queues = new HwQueue[2];

                        @Override
                        public boolean hasAllocDomainNested() {
                            return true;
                        }

                        @Override
                        public boolean hwQueueSupported(int queueType) {
                            return queueType == HW_QUEUE_TYPE;
                        }

                        @Override
                        public HwQueue hwQueueInitPhys(HwQueueContext q, int index, long basePa) {
                            if (index >= queues.length) {
                                throw fail(EINVAL, "regions: queue index %d", index);
                            }
                            if (basePa != q.iovaToPhys(q.baseAddr())) {
                                throw fail(EFAULT, "regions: base_pa 0x%x", basePa);
                            }
                            HwQueue prev = index == 0 ? null : queues[index - 1];
                            if (index != 0 && prev == null) {
                                throw fail(EIO, "regions: queue %d before %d", index, index - 1);
                            }
                            HwQueue mine = new HwQueue() {
                                @Override
                                public void destroy() {
                                    queues[index] = null;
                                    if (prev != null) {
                                        q.undepend(prev);
                                    }
                                }
                            };
                            if (prev != null) {
                                q.depend(prev);
                            }
                            queues[index] = mine;
                            return mine;
                        }

                        @Override
                        public NestedDomain allocDomainNested(int flags, int dataType, byte[] d, VdevLookup vdevs) {
                            return nested(dataType, d, instance);
                        }
                    };
                }

                @Override
                public long msiDoorbell(DeviceInfo dev) {
                    return ITS_DOORBELL;
                }
            };
        }

        /**
         * Data type 0x1234 of at least 4 bytes ({@link #ABORT} in byte 1: DMA aborts); invalidation entries must not start with 0xff;
         * attach refuses a device behind another instance than {@code owner} (EINVAL, as
         * arm_smmu_attach_dev_nested) and, through a vIOMMU, a device without a vDEVICE (ENOENT).
         */
        static NestedDomain nested(int dataType, byte[] data, IommuInstance owner) {
            if (dataType != DATA_TYPE) {
                throw fail(EOPNOTSUPP, "regions: data type 0x%x", dataType);
            }
            if (data.length < 4) {
                throw fail(EINVAL, "regions: data too short");
            }
            boolean aborts = data[1] == ABORT;
            return new NestedDomain() {
                @Override
                public boolean hasCacheInvalidateUser() {
                    return true;
                }

                @Override
                public String abortsDma() {
                    return aborts ? "regions: an aborting nested domain" : null;
                }

                @Override
                public void cacheInvalidateUser(UserDataArray array) {
                    for (int i = 0; i < array.entryNum(); i++) {
                        if (array.copyEntry(i, DATA_TYPE, 4, 8).u32(0) == 0xff) {
                            throw fail(EINVAL, "regions: bad entry %d", i);
                        }
                        array.setDone(i + 1);
                    }
                }

                @Override
                public void attachDev(DeviceInfo dev, IommuInstance devIommu, VdevLookup vdevs) {
                    if (devIommu != owner) {
                        throw fail(EINVAL, "regions: %s is behind another instance", dev.name());
                    }
                    if (vdevs != null && vdevs.virtIdOf(dev) == null) {
                        throw fail(ENOENT, "regions: no vDEVICE for %s", dev.name());
                    }
                }
            };
        }
    }

    /** driverState of a "regions" paging domain. */
    static final class RegionsDomain {
        final boolean nestParent;
        /** How many areas checkMap was asked about. */
        int checkMapCalls;
        /** enforce_cache_coherency was called. */
        boolean enforceCc;

        RegionsDomain(boolean nestParent) {
            this.nestParent = nestParent;
        }
    }

    static final int DATA_TYPE = 0x1234;
    /** data[1] of a nested domain that aborts every DMA (NestedDomain.abortsDma). */
    static final byte ABORT = 0x0a;
    static final int VIOMMU_TYPE = 0x77;
    static final int HW_QUEUE_TYPE = 0x55;
    /** A GICv3 ITS GITS_TRANSLATER: the doorbell page 0x8090000, offset 0x40. */
    static final long ITS_DOORBELL = 0x8090040L;

    static Map<String, Object> region(long start, long length, ResvType type) {
        return Map.of("start", start, "length", length, "type", type.name(), "source", type.name().toLowerCase() + " test");
    }
}
