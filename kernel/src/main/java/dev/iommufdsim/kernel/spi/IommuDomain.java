package dev.iommufdsim.kernel.spi;

/**
 * struct iommu_domain as a driver sees it in the PASID ops: a {@link PagingDomain} or a
 * {@link NestedDomain} this driver allocated.
 */
public interface IommuDomain {
}
