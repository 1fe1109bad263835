/**
 * JMH benchmarks of iommufd-sim. One sub-package per layer: {@code iopt} for the interval
 * structures behind io_pagetable, {@code kernel} for IOAS_MAP/UNMAP through the kernel API,
 * {@code script} for the interpreter against the API. Built only with
 * {@code mvn -Pbench package}; run with {@code java -jar bench/target/benchmarks.jar [regex]}.
 * {@link dev.iommufdsim.bench.BenchMain} ({@code iommufd-sim bench}) runs them all with short
 * settings, with the start-up and heap figures, and prints one table.
 */
package dev.iommufdsim.bench;
