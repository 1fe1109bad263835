package dev.iommufdsim.plugins.armsmmuv3;

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
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pf4j.Extension;

/**
 * ARM SMMUv3 (drivers/iommu/arm/arm-smmu-v3/). Instance options: {@code msi_base} and
 * {@code msi_length} (the SW_MSI window, default MSI_IOVA_BASE 0x8000000 + MSI_IOVA_LENGTH
 * 1 MiB), {@code granule} (4K, 16K or 64K), {@code ias} (input address bits, default 48).
 * Device properties: {@code rmr}, a list of records {start, length, remap_permitted} (IORT
 * RMR descriptors).
 */
@Extension
public class ArmSmmuV3Driver implements IommuDriver {
    public static final long MSI_IOVA_BASE = 0x08000000L;
    public static final long MSI_IOVA_LENGTH = 0x100000L;

    @Override
    public String name() {
        return "arm_smmuv3";
    }

    @Override
    public String description() {
        return "ARM SMMUv3 (SW_MSI window, IORT RMRs, stage-2 nesting parents)";
    }

    @Override
    public IommuInstance probe(String instanceName, Map<String, Object> properties) {
        long msiBase = number(properties, "msi_base", MSI_IOVA_BASE);
        long msiLength = number(properties, "msi_length", MSI_IOVA_LENGTH);
        long granule = number(properties, "granule", 4096);
        long ias = number(properties, "ias", 48);
        long pgsizes;
        if (granule == 4096) {
            pgsizes = 4096 | (2L << 20) | (1L << 30);
        } else if (granule == 16384) {
            pgsizes = 16384 | (32L << 20);
        } else if (granule == 65536) {
            pgsizes = 65536 | (512L << 20);
        } else {
            throw fail(EINVAL, "arm_smmuv3: granule must be 4K, 16K or 64K, not 0x%x", granule);
        }
        if (ias < 32 || ias > 52) {
            throw fail(EINVAL, "arm_smmuv3: ias must be 32..52 bits, not %d", ias);
        }
        return new Instance(this, msiBase, msiLength, pgsizes, ias);
    }

    static long number(Map<String, Object> props, String key, long dflt) {
        Object v = props.get(key);
        return v instanceof Number n ? n.longValue() : dflt;
    }

    private record Instance(IommuDriver driver, long msiBase, long msiLength, long pgsizes, long ias) implements IommuInstance {
        /** arm_smmu_get_resv_regions(): the SW_MSI window, then the device's IORT RMRs. */
        @Override
        @SuppressWarnings("unchecked")
        public List<ResvRegion> getResvRegions(DeviceInfo dev) {
            List<ResvRegion> out = new ArrayList<>();
            out.add(new ResvRegion(msiBase, msiLength, ResvRegion.IOMMU_WRITE | ResvRegion.IOMMU_NOEXEC | ResvRegion.IOMMU_MMIO,
                    ResvType.SW_MSI, "SW_MSI window"));
            Object rmrs = dev.properties().get("rmr");
            if (rmrs instanceof List<?> list) {
                int i = 0;
                for (Object o : list) {
                    Map<String, Object> r = (Map<String, Object>) o;
                    boolean relaxable = Boolean.TRUE.equals(r.get("remap_permitted"));
                    out.add(new ResvRegion(number(r, "start", 0), number(r, "length", 0), ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE,
                            relaxable ? ResvType.DIRECT_RELAXABLE : ResvType.DIRECT, "IORT RMR " + i++));
                }
            }
            return out;
        }

        @Override
        public DeviceCaps capabilities(DeviceInfo dev) {
            return new DeviceCaps(true, false, dev.boolProperty("ats", false), (int) dev.longProperty("pasids", 0), true);
        }

        /** arm_smmu_domain_alloc_paging_flags(): one granule's page sizes, aperture [0, 2^ias - 1]. */
        @Override
        public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
            int valid = Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT | Uapi.IOMMU_HWPT_ALLOC_PASID;
            if ((flags & ~valid) != 0 || data.length != 0) {
                throw fail(EOPNOTSUPP, "arm_smmuv3: paging flags 0x%x or user data not supported", flags);
            }
            return new PagingDomain(0, (1L << ias) - 1, pgsizes, false, null);
        }

        /** arm_smmu_hw_info(): struct iommu_hw_info_arm_smmuv3 {flags, __reserved, idr[6], iidr, aidr}. */
        @Override
        public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
            if (requestedType != Uapi.IOMMU_HW_INFO_TYPE_DEFAULT && requestedType != Uapi.IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
                throw fail(EOPNOTSUPP, "arm_smmuv3: hw_info type %d not supported", requestedType);
            }
            UserStruct s = UserStruct.allocate(40);
            return new HwInfo(Uapi.IOMMU_HW_INFO_TYPE_ARM_SMMUV3, s.bytes());
        }
    }
}
