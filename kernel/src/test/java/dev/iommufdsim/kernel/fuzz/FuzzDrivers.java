package dev.iommufdsim.kernel.fuzz;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.Selftest;
import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.spi.UserDataArray;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.spi.Viommu;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Drivers for the kernel-only robustness tests (the plugin jars are not built yet when the
 * kernel's tests run): "mock", the selftest mock's geometry (aperture 0x1000000-0x7fffffff,
 * 2 KiB pages) with nested domains; and "regions", whose devices report the reserved regions of
 * their "resv" property, with an ARM-like SW_MSI doorbell, nesting parents, nested domains
 * directly and through a vIOMMU that needs a vDEVICE per attached device.
 */
public final class FuzzDrivers {
    private FuzzDrivers() {
    }

    public static final int DATA_TYPE = 0x1234;
    public static final int VIOMMU_TYPE = 0x77;
    public static final int MOCK_DATA_TYPE = 0xdead;
    public static final long ITS_DOORBELL = 0x8090040L;
    public static final long SW_MSI = 0x8000000L;

    public static Machine machine(KernelProfile profile) {
        Machine m = new Machine(profile);
        m.registerDriver("fuzz-test", new Mock());
        m.registerDriver("fuzz-test", new Regions());
        return m;
    }

    public static Map<String, Object> region(long start, long length, ResvType type) {
        return Map.of("start", start, "length", length, "type", type.name());
    }

    static final class Mock implements IommuDriver {
        @Override
        public String name() {
            return Machine.MOCK_DRIVER;
        }

        @Override
        public String description() {
            return "fuzz mock";
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
                    return new DeviceCaps(true, (flags & Selftest.MOCK_FLAGS_DEVICE_NO_DIRTY) == 0, false,
                            (flags & Selftest.MOCK_FLAGS_DEVICE_PASID) != 0 ? 1 << 20 : 0, true);
                }

                @Override
                public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
                    return new PagingDomain(1L << 24, (1L << 31) - 1, 2048 | (1L << 20),
                            (flags & Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING) != 0, null);
                }

                @Override
                public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
                    return new HwInfo(0xfeedbeef, new byte[8]);
                }

                @Override
                public boolean hasDomainAllocNested() {
                    return true;
                }

                @Override
                public NestedDomain domainAllocNested(DeviceInfo dev, PagingDomain parent, int flags, int dataType, byte[] data) {
                    if (dataType != MOCK_DATA_TYPE) {
                        throw fail(EOPNOTSUPP, "mock: data type 0x%x", dataType);
                    }
                    if (data.length < 4) {
                        throw fail(EINVAL, "mock: data too short");
                    }
                    return new NestedDomain() {
                    };
                }
            };
        }
    }

    static final class Regions implements IommuDriver {
        @Override
        public String name() {
            return "regions";
        }

        @Override
        public String description() {
            return "fuzz regions";
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
                        out.add(new ResvRegion((Long) r.get("start"), (Long) r.get("length"), 3, ResvType.valueOf((String) r.get("type")),
                                null));
                    }
                    return out;
                }

                @Override
                public DeviceCaps capabilities(DeviceInfo dev) {
                    return new DeviceCaps(true, true, true, (int) dev.longProperty("max_pasids", 0), true);
                }

                @Override
                public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
                    long last = properties.containsKey("aperture_last") ? (Long) properties.get("aperture_last") : (1L << 48) - 1;
                    return new PagingDomain(0, last, 0x1000 | 0x200000, (flags & Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING) != 0, null);
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
                    return nested(dataType, data, null);
                }

                @Override
                public boolean viommuSupported(DeviceInfo dev, int type) {
                    return type == VIOMMU_TYPE;
                }

                @Override
                public Viommu viommuInit(int type, PagingDomain parent, DeviceInfo dev, byte[] data) {
                    boolean badOutData = Boolean.TRUE.equals(properties.get("bad_out_data"));
                    return new Viommu() {
                        @Override
                        public byte[] outData() {
                            if (badOutData) {
                                throw new IllegalStateException("regions: a plugin bug in outData");
                            }
                            return null;
                        }

                        @Override
                        public boolean hasAllocDomainNested() {
                            return true;
                        }

                        @Override
                        public NestedDomain allocDomainNested(int flags, int dataType, byte[] d, VdevLookup vdevs) {
                            return nested(dataType, d, vdevs);
                        }
                    };
                }

                @Override
                public long msiDoorbell(DeviceInfo dev) {
                    return ITS_DOORBELL;
                }
            };
        }

        static NestedDomain nested(int dataType, byte[] data, VdevLookup viommu) {
            if (dataType != DATA_TYPE) {
                throw fail(EOPNOTSUPP, "regions: data type 0x%x", dataType);
            }
            if (data.length < 4) {
                throw fail(EINVAL, "regions: data too short");
            }
            return new NestedDomain() {
                @Override
                public boolean hasCacheInvalidateUser() {
                    return true;
                }

                @Override
                public void cacheInvalidateUser(UserDataArray array) {
                    for (int i = 0; i < array.entryNum(); i++) {
                        array.copyEntry(i, DATA_TYPE, 4, 8);
                        array.setDone(i + 1);
                    }
                }

                @Override
                public void attachDev(DeviceInfo dev, VdevLookup vdevs) {
                    if (vdevs != null && vdevs.virtIdOf(dev) == null) {
                        throw fail(ENOENT, "regions: no vDEVICE for %s", dev.name());
                    }
                }
            };
        }
    }
}
