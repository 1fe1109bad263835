package dev.iommufdsim.kernel.uapi;

/**
 * Constants of include/uapi/linux/vfio.h that the VFIO type1 compat ioctls on an iommufd use
 * (drivers/iommu/iommufd/vfio_compat.c), and enum iommufd_vfio_ioas_op of iommufd.h, under
 * their kernel names.
 */
public final class Vfio {
    private Vfio() {
    }

    /** VFIO_API_VERSION: what VFIO_GET_API_VERSION returns. */
    public static final int VFIO_API_VERSION = 0;

    // enum iommufd_vfio_ioas_op (iommufd.h)
    public static final int IOMMU_VFIO_IOAS_GET = 0;
    public static final int IOMMU_VFIO_IOAS_SET = 1;
    public static final int IOMMU_VFIO_IOAS_CLEAR = 2;

    // extensions (VFIO_CHECK_EXTENSION arguments) and IOMMU types (VFIO_SET_IOMMU arguments)
    public static final long VFIO_TYPE1_IOMMU = 1;
    public static final long VFIO_SPAPR_TCE_IOMMU = 2;
    public static final long VFIO_TYPE1v2_IOMMU = 3;
    public static final long VFIO_DMA_CC_IOMMU = 4;
    public static final long VFIO_EEH = 5;
    public static final long __VFIO_RESERVED_TYPE1_NESTING_IOMMU = 6;
    public static final long VFIO_SPAPR_TCE_v2_IOMMU = 7;
    public static final long VFIO_NOIOMMU_IOMMU = 8;
    public static final long VFIO_UNMAP_ALL = 9;
    public static final long VFIO_UPDATE_VADDR = 10;

    // ioctl numbers: _IO(VFIO_TYPE = ';', VFIO_BASE + n), VFIO_BASE = 100
    public static final int VFIO_TYPE = ';';
    public static final int VFIO_BASE = 100;
    public static final int VFIO_GET_API_VERSION = VFIO_TYPE << 8 | VFIO_BASE;
    public static final int VFIO_CHECK_EXTENSION = VFIO_TYPE << 8 | (VFIO_BASE + 1);
    public static final int VFIO_SET_IOMMU = VFIO_TYPE << 8 | (VFIO_BASE + 2);
    public static final int VFIO_IOMMU_GET_INFO = VFIO_TYPE << 8 | (VFIO_BASE + 12);
    public static final int VFIO_IOMMU_MAP_DMA = VFIO_TYPE << 8 | (VFIO_BASE + 13);
    public static final int VFIO_IOMMU_UNMAP_DMA = VFIO_TYPE << 8 | (VFIO_BASE + 14);
    public static final int VFIO_IOMMU_DIRTY_PAGES = VFIO_TYPE << 8 | (VFIO_BASE + 17);

    // struct vfio_iommu_type1_info
    public static final int VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
    public static final int VFIO_IOMMU_INFO_CAPS = 1 << 1;
    public static final int VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1;
    public static final int VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION = 2;
    public static final int VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL = 3;

    // struct vfio_iommu_type1_dma_map / dma_unmap flags
    public static final int VFIO_DMA_MAP_FLAG_READ = 1 << 0;
    public static final int VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
    public static final int VFIO_DMA_MAP_FLAG_VADDR = 1 << 2;
    public static final int VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;
    public static final int VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
    public static final int VFIO_DMA_UNMAP_FLAG_VADDR = 1 << 2;
}
