package dev.iommufdsim.plugins.template;

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
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.List;

/**
 * One ACME IOMMU unit: the struct iommu_ops and iommu_domain_ops of a real driver, reduced to
 * what iommufd reaches. Every method may throw IommufdException with the errno the driver
 * returns; anything else it throws is caught by the kernel and reported with the plugin's
 * name, and so is a malformed answer (an empty page-size bitmap, overlapping regions, ...).
 */
final class AcmeIommuInstance implements IommuInstance {
    static final long SZ_4K = 4096;
    static final long SZ_2M = 2L << 20;

    private final IommuDriver driver;
    private final int apertureBits;
    private final long scratchBase;
    private final long scratchLength;

    AcmeIommuInstance(IommuDriver driver, int apertureBits, long scratchBase, long scratchLength) {
        this.driver = driver;
        this.apertureBits = apertureBits;
        this.scratchBase = scratchBase;
        this.scratchLength = scratchLength;
    }

    @Override
    public IommuDriver driver() {
        return driver;
    }

    /**
     * iommu_ops.get_resv_regions: the scratch window as IOMMU_RESV_RESERVED. iommufd reserves it
     * in every IOAS the device attaches to, so IOAS_MAP there fails and automatic IOVAs avoid it.
     */
    @Override
    public List<ResvRegion> getResvRegions(DeviceInfo dev) {
        return List.of(new ResvRegion(scratchBase, scratchLength, ResvRegion.IOMMU_READ | ResvRegion.IOMMU_WRITE,
                ResvType.RESERVED, "ACME scratch window"));
    }

    /**
     * iommu_ops.capable: cache coherent (iommufd refuses to bind a device without it), no dirty
     * tracking, no ATS, no PASIDs, MSIs isolated (else binding needs allow_unsafe_interrupts).
     */
    @Override
    public DeviceCaps capabilities(DeviceInfo dev) {
        return new DeviceCaps(true, false, false, 0, true);
    }

    /**
     * iommu_ops.domain_alloc_paging_flags: the core already refused flags it does not know;
     * this driver supports none of NEST_PARENT and DIRTY_TRACKING (EOPNOTSUPP), takes no user
     * data (EOPNOTSUPP), and allocates [0, 2^aperture_bits - 1] with 4K and 2M pages.
     */
    @Override
    public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
        if ((flags & ~Uapi.IOMMU_HWPT_ALLOC_PASID) != 0) {
            throw fail(EOPNOTSUPP, "acme_iommu: paging flags 0x%x not supported", flags);
        }
        if (data.length != 0) {
            throw fail(EOPNOTSUPP, "acme_iommu: paging domains take no user data (data_type %d)", dataType);
        }
        return new PagingDomain(0, (1L << apertureBits) - 1, SZ_4K | SZ_2M, false, this);
    }

    /** No iommu_ops.hw_info: IOMMU_GET_HW_INFO reports type NONE with no data. */
    @Override
    public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
        return null;
    }
}
