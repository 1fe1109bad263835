/**
 * Kernel-level benchmarks: IOMMU_IOAS_MAP / IOMMU_IOAS_UNMAP through the kernel's Java API
 * ({@code dev.iommufdsim.kernel.IommufdCtx}), and the heap of many live areas
 * ({@link dev.iommufdsim.bench.kernel.HeapMain}, not a JMH benchmark).
 */
package dev.iommufdsim.bench.kernel;
