package dev.iommufdsim.plugins.intelvtd;

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
 * Intel VT-d (drivers/iommu/intel/). Instance option {@code gaw} (guest address width,
 * default 48). Device properties: {@code rmrr}, a list of records {start, length} (ACPI DMAR
 * RMRRs whose scope holds the device), {@code class}, the PCI class code (0x0c03xx USB and
 * 0x03xxxx display make RMRRs relaxable; 0x0601xx ISA bridge adds the floppy range).
 */
@Extension
public class IntelVtdDriver implements IommuDriver {
    /** IOAPIC_RANGE_START / IOAPIC_RANGE_END. */
    public static final long IOAPIC_RANGE_START = 0xfee00000L;
    public static final long IOAPIC_RANGE_END = 0xfeefffffL;

    @Override
    public String name() {
        return "intel_vtd";
    }

    @Override
    public String description() {
        return "Intel VT-d (RMRRs, hardware MSI window 0xfee00000-0xfeefffff)";
    }

    @Override
    public IommuInstance probe(String instanceName, Map<String, Object> properties) {
        Object gaw = properties.get("gaw");
        return new Instance(this, gaw instanceof Number n ? n.longValue() : 48);
    }

    private record Instance(IommuDriver driver, long gaw) implements IommuInstance {
        /** device_rmrr_is_relaxable(): USB controllers (0x0c03) and display devices (0x03). */
        private static boolean rmrrRelaxable(DeviceInfo dev) {
            long cls = dev.longProperty("class", 0);
            return (cls >> 8) == 0x0c03 || (cls >> 16) == 0x03;
        }

        /** intel_iommu_get_resv_regions(): RMRRs, the ISA floppy range, the interrupt window. */
        @Override
        @SuppressWarnings("unchecked")
        public List<ResvRegion> getResvRegions(DeviceInfo dev) {
            List<ResvRegion> out = new ArrayList<>();
            Object rmrrs = dev.properties().get("rmrr");
            if (rmrrs instanceof List<?> list) {
                int i = 0;
                for (Object o : list) {
                    Map<String, Object> r = (Map<String, Object>) o;
                    out.add(new ResvRegion(((Number) r.get("start")).longValue(), ((Number) r.get("length")).longValue(),
                            ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE,
                            rmrrRelaxable(dev) ? ResvType.DIRECT_RELAXABLE : ResvType.DIRECT, "RMRR " + i++));
                }
            }
            if ((dev.longProperty("class", 0) >> 8) == 0x0601) {
                out.add(new ResvRegion(0, 16L << 20, ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE, ResvType.DIRECT_RELAXABLE,
                        "ISA floppy workaround"));
            }
            out.add(new ResvRegion(IOAPIC_RANGE_START, IOAPIC_RANGE_END - IOAPIC_RANGE_START + 1, 0, ResvType.MSI, "interrupt window"));
            return out;
        }

        @Override
        public DeviceCaps capabilities(DeviceInfo dev) {
            return new DeviceCaps(true, dev.boolProperty("dirty", false), dev.boolProperty("ats", true), (int) dev.longProperty("pasids", 0), true);
        }

        /** paging_domain_alloc(): 4K with 2M and 1G superpages; second-stage aperture [0, 2^gaw - 1]. */
        @Override
        public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
            int valid = Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT | Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING | Uapi.IOMMU_HWPT_ALLOC_PASID;
            if ((flags & ~valid) != 0 || data.length != 0) {
                throw fail(EOPNOTSUPP, "intel_vtd: paging flags 0x%x or user data not supported", flags);
            }
            return new PagingDomain(0, (1L << gaw) - 1, 4096 | (2L << 20) | (1L << 30),
                    (flags & Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING) != 0, null);
        }

        /** intel_iommu_hw_info(): struct iommu_hw_info_vtd {flags, __reserved, cap_reg, ecap_reg}. */
        @Override
        public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
            if (requestedType != Uapi.IOMMU_HW_INFO_TYPE_DEFAULT && requestedType != Uapi.IOMMU_HW_INFO_TYPE_INTEL_VTD) {
                throw fail(EOPNOTSUPP, "intel_vtd: hw_info type %d not supported", requestedType);
            }
            return new HwInfo(Uapi.IOMMU_HW_INFO_TYPE_INTEL_VTD, UserStruct.allocate(24).bytes());
        }
    }
}
