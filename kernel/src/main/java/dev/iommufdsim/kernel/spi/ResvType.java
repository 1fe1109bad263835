package dev.iommufdsim.kernel.spi;

/**
 * enum iommu_resv_type (include/linux/iommu.h), in the kernel's order: the value is the
 * ordinal, which iommu_insert_resv_region uses to sort regions of equal start.
 */
public enum ResvType {
    /** Must be identity-mapped 1:1 at all times (Intel RMRR, ARM IORT RMR). */
    DIRECT("direct"),
    /** Advertised 1:1 but relaxable for device assignment (USB and graphics RMRRs). */
    DIRECT_RELAXABLE("direct-relaxable"),
    /** Never map, never give to a device (AMD HyperTransport hole). */
    RESERVED("reserved"),
    /** Hardware MSI window, untranslated (x86 0xfee00000-0xfeefffff). */
    MSI("msi"),
    /** Software-managed MSI translation window (ARM SMMU 0x8000000 + 1 MiB). */
    SW_MSI("msi");

    private final String sysfsName;

    ResvType(String sysfsName) {
        this.sysfsName = sysfsName;
    }

    /** The string /sys/kernel/iommu_groups/N/reserved_regions prints (MSI and SW_MSI both "msi"). */
    public String sysfsName() {
        return sysfsName;
    }
}
