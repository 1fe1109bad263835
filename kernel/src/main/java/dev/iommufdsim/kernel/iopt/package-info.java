/**
 * The interval structures behind io_pagetable: the areas of an IOAS (mappings, never
 * overlapping: {@link dev.iommufdsim.kernel.iopt.IntervalMap}), its reserved ranges (may
 * overlap, each held by an owner: {@link dev.iommufdsim.kernel.iopt.ReservedIntervals}) and
 * its allowed ranges (never overlapping: an {@code IntervalMap} again).
 *
 * <p>These are pure data structures: they know nothing of errno, pages or domains. All
 * addresses are <em>unsigned</em> 64-bit values held in Java {@code long}s (so
 * {@code 0xffff_ffff_ffff_ffffL}, i.e. {@code -1L}, is the highest IOVA), and every interval is
 * closed: {@code [start, last]} with {@code start <= last} unsigned, as in the kernel's
 * interval trees.
 */
package dev.iommufdsim.kernel.iopt;
