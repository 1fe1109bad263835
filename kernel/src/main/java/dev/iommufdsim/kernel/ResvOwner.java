package dev.iommufdsim.kernel;

/**
 * The owner tag of a reserved IOVA range (struct iopt_reserved.owner): a domain for its
 * aperture, a device for its reserved regions, the selftest for ADD_RESERVED. Reservations
 * are removed by owner, and a collision names it.
 */
public interface ResvOwner {
    /** A phrase naming the owner and, for [start, last], what the range is for. */
    String describeReserved(long start, long last);

    /** The owner of IOMMU_TEST_OP_ADD_RESERVED ranges (the kernel passes NULL). */
    ResvOwner SELFTEST = (start, last) -> "reserved by IOMMU_TEST_OP_ADD_RESERVED";
}
