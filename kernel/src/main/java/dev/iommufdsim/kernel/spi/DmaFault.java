package dev.iommufdsim.kernel.spi;

/**
 * A device's DMA that did not translate through a nested domain and raised no page request,
 * as the hardware reports it to its driver, for {@link IommuInstance#nestedDmaFault}: the
 * nested domain is the one the RID or the PASID is attached to, or for {@link Kind#SUBSTREAM}
 * the RID's.
 *
 * @param kind  why it faulted
 * @param addr  the first address of the access that does not translate; the emulator keeps
 *              no stage-1 tables, so for a translating stage 1 it is both the input address
 *              and the IPA the parent's stage 2 faulted on
 * @param write a write (else a read)
 * @param pasid the PASID the DMA carries, or IOMMU_NO_PASID (0) for the RID
 */
public record DmaFault(Kind kind, long addr, boolean write, int pasid) {
    /** What the hardware found. */
    public enum Kind {
        /** The parent's stage 2 has no IOPTE for addr. */
        NOT_MAPPED,
        /** The parent's stage 2 maps addr without the permission the access needs. */
        NO_PERMISSION,
        /**
         * The DMA carries a PASID that nothing is attached to in the host while the RID is
         * attached to the nested domain: the hardware takes the PASID through the guest's own
         * table (SMMUv3: the substream through the vSTE's CD table, S1CDMax wide).
         */
        SUBSTREAM
    }
}
