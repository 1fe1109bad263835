package dev.iommufdsim.plugins.armsmmuv3;

import dev.iommufdsim.kernel.spi.DriverOptions;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One ACPI IORT RMR descriptor and the reserved region iort_get_rmrs() (drivers/acpi/arm64/iort.c)
 * makes of it: DIRECT_RELAXABLE when the node's flags have ACPI_IORT_RMR_REMAP_PERMITTED,
 * else DIRECT; prot READ|WRITE, plus PRIV with ACPI_IORT_RMR_ACCESS_PRIVILEGE, plus MMIO for
 * access attributes 0x00-0x03 (device memory) or CACHE for 0x05 (normal inner/outer
 * write-back). A descriptor whose base or length is not 64 KiB aligned is a firmware bug the
 * kernel logs and widens to page alignment.
 *
 * <p>Declared as a record {@code {start, length, remap_permitted: bool, access_privilege: bool,
 * attributes: 0..0xff (default 0, device-nGnRnE), sids: [stream IDs]}}; {@code sids} is only
 * read for the instance-level list (an RMR node's ID mappings), a device-level RMR applies to
 * that device.
 */
record IortRmr(long base, long length, boolean remapPermitted, boolean accessPrivilege, int attributes, List<Long> sids, String source) {
    /** include/linux/iommu.h prot bits the spi does not name. */
    static final int IOMMU_CACHE = 1 << 2;
    static final int IOMMU_PRIV = 1 << 5;
    /** ACPI_IORT_RMR_ATTR_DEVICE_GRE and ACPI_IORT_RMR_ATTR_NORMAL_IWB_OWB. */
    static final int ATTR_DEVICE_GRE = 0x03;
    static final int ATTR_NORMAL_IWB_OWB = 0x05;
    private static final long SZ_64K = 0x10000;
    private static final Set<String> FIELDS = Set.of("start", "length", "remap_permitted", "access_privilege", "attributes", "sids");

    static IortRmr parse(Map<String, Object> rec, String source) {
        DriverOptions o = new DriverOptions(source, rec, FIELDS);
        if (!o.has("start") || !o.has("length")) {
            throw fail(EINVAL, "%s: an RMR descriptor needs start and length", source);
        }
        long attrs = o.number("attributes", 0);
        if (attrs < 0 || attrs > 0xff) {
            throw fail(EINVAL, "%s: attributes 0x%x is not an 8-bit field (flags bits 9:2)", source, attrs);
        }
        return new IortRmr(o.number("start", 0), o.number("length", 0), o.bool("remap_permitted", false),
                o.bool("access_privilege", false), (int) attrs, o.numbers("sids", List.of()), source);
    }

    /**
     * The region of this descriptor. A zero-length descriptor is refused with EINVAL at
     * declaration: the kernel logs "RMR descriptor ... with zero length, continue anyway" and
     * would hand iommufd an empty region, which the emulated core refuses as malformed.
     */
    ResvRegion region() {
        if (length == 0) {
            throw fail(EINVAL, "%s: RMR descriptor at 0x%x has zero length (a firmware bug)", source, base);
        }
        long addr = base;
        long size = length;
        if (addr % SZ_64K != 0 || size % SZ_64K != 0) {
            // FW_BUG "RMR descriptor[...] not aligned to 64K, continue with [...]"
            addr = base & ~(Uapi.PAGE_SIZE - 1);
            size = pageAlign(size + (base & (Uapi.PAGE_SIZE - 1)));
        }
        int prot = ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE;
        if (accessPrivilege) {
            prot |= IOMMU_PRIV;
        }
        if (attributes <= ATTR_DEVICE_GRE) {
            prot |= ResvRegion.IOMMU_MMIO;
        } else if (attributes == ATTR_NORMAL_IWB_OWB) {
            prot |= IOMMU_CACHE;
        }
        return new ResvRegion(addr, size, prot, remapPermitted ? ResvType.DIRECT_RELAXABLE : ResvType.DIRECT, source);
    }

    private static long pageAlign(long v) {
        return (v + Uapi.PAGE_SIZE - 1) & ~(Uapi.PAGE_SIZE - 1);
    }
}
