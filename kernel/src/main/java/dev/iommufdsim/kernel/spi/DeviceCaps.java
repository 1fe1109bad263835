package dev.iommufdsim.kernel.spi;

/**
 * What the IOMMU driver says about one device: iommu_ops.capable() and the per-device
 * facts iommufd_device_bind and IOMMU_GET_HW_INFO read.
 *
 * @param cacheCoherency         IOMMU_CAP_CACHE_COHERENCY (bind refuses a device without it: EINVAL)
 * @param dirtyTracking          IOMMU_CAP_DIRTY_TRACKING (HWPT_ALLOC DIRTY_TRACKING needs it)
 * @param atsSupported           false sets IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED in out_capabilities
 * @param maxPasids              dev->iommu->max_pasids (0: no PASID support)
 * @param msiIsolated            the platform isolates MSI (else bind needs allow_unsafe_interrupts)
 * @param enforceCacheCoherency  IOMMU_CAP_ENFORCE_CACHE_COHERENCY: the IOMMU can make this device's
 *                               DMA snoop whatever the device asks (idev->enforce_cache_coherency;
 *                               every paging HWPT allocated for the device then enforces it, see
 *                               {@link IommuInstance#enforceCacheCoherency})
 */
public record DeviceCaps(boolean cacheCoherency, boolean dirtyTracking, boolean atsSupported,
                         int maxPasids, boolean msiIsolated, boolean enforceCacheCoherency) {
    /** The capabilities without IOMMU_CAP_ENFORCE_CACHE_COHERENCY (the form before it existed). */
    public DeviceCaps(boolean cacheCoherency, boolean dirtyTracking, boolean atsSupported, int maxPasids, boolean msiIsolated) {
        this(cacheCoherency, dirtyTracking, atsSupported, maxPasids, msiIsolated, false);
    }
}
