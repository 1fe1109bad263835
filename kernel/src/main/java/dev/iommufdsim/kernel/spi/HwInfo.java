package dev.iommufdsim.kernel.spi;

/**
 * What iommu_ops.hw_info returns: the type (enum iommu_hw_info_type) and the raw bytes of
 * the type's struct, which IOMMU_GET_HW_INFO copies to user space.
 */
public record HwInfo(int type, byte[] data) {
    public HwInfo {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
