/** Benchmarks of the io_pagetable interval structures ({@code dev.iommufdsim.kernel.iopt}). */
package dev.iommufdsim.bench.iopt;
