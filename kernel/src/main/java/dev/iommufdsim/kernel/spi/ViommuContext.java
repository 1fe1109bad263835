package dev.iommufdsim.kernel.spi;

/**
 * What the iommufd core offers a driver while it creates a vIOMMU (the struct iommufd_viommu
 * helpers of include/linux/iommufd.h). Regions allocated here go with the vIOMMU.
 */
public interface ViommuContext {
    /**
     * iommufd_viommu_alloc_mmap(): a window of the context's mmap space (the first free range
     * from PAGE_SIZE) that user space can mmap() on the iommufd at the returned offset.
     *
     * @param contents what the region shows at mmap() time (the emulator has no physical
     *        pages behind mmio_addr); shorter than length means zeros after it
     * @param length a non-zero multiple of PAGE_SIZE (else EINVAL)
     * @return out_mmap_offset
     */
    long allocMmap(byte[] contents, long length);
}
