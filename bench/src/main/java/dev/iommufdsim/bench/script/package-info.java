/**
 * Benchmarks of the scripting layer against the kernel's Java API: what a script loop of
 * uAPI calls costs over the same calls made directly on {@code IommufdCtx}.
 */
package dev.iommufdsim.bench.script;
