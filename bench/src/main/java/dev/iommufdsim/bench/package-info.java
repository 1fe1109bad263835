/**
 * JMH benchmarks of iommufd-sim. One sub-package per layer: {@code iopt} for the interval
 * structures behind io_pagetable; kernel-level benchmarks (IOAS_MAP/UNMAP through the kernel
 * API) go in a sibling package. Built only with {@code mvn -Pbench package}; run with
 * {@code java -jar bench/target/benchmarks.jar [regex]}.
 */
package dev.iommufdsim.bench;
