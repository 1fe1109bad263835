package dev.iommufdsim.plugins.intelvtd;

/**
 * The capability and extended capability registers of one VT-d unit (CAP_REG, ECAP_REG) and
 * the driver's reading of them (the cap_* / ecap_* macros of drivers/iommu/intel/iommu.h,
 * and sm_supported() & co.). IOMMU_GET_HW_INFO reports the raw registers; every behaviour of
 * the plugin follows the bits, so a user who overrides a register changes the behaviour the
 * way the hardware would.
 *
 * <p>Default CAP_REG ({@link #defaultCap}): 64K domain IDs, PLMR/PHMR, 4-level second stage
 * (SAGAW bit 2; bit 3 too with five_level), MGAW = gaw - 1, ZLR, 2 MiB and 1 GiB second-stage
 * pages (SLLPS 0b0011), page-selective invalidation, 8 fault recording registers, write and
 * read draining, 1 GiB first-stage pages, posted interrupts, no RWBF, no caching mode; FL5LP
 * only with five_level. Default ECAP_REG ({@link #defaultEcap}): coherent, queued
 * invalidation, device TLBs (ATS), interrupt remapping with x2APIC, pass-through, snoop
 * control, memory type support, nesting (NEST, unless nesting is false), PRS, SRS, EAFS,
 * NWFS, 20-bit PASIDs (PSS 19), PASID, DIT, PDS, scalable mode (SMTS), SLADS (dirty bits),
 * first- and second-stage translation (FLTS, SLTS), SMPWC, RPS: a Sapphire Rapids-class unit.
 */
final class VtdRegs {
    private VtdRegs() {
    }

    // CAP_REG fields
    static final int CAP_SAGAW_SHIFT = 8;
    static final int CAP_MGAW_SHIFT = 16;
    static final int CAP_SLLPS_SHIFT = 34;
    static final long CAP_RWBF = 1L << 4;
    static final long CAP_CM = 1L << 7;
    static final long CAP_FL1GP = 1L << 56;
    static final long CAP_FL5LP = 1L << 60;
    // ECAP_REG fields
    static final long ECAP_C = 1L << 0;
    static final long ECAP_DT = 1L << 2;
    static final long ECAP_IR = 1L << 3;
    static final long ECAP_SC = 1L << 7;
    static final long ECAP_NEST = 1L << 26;
    static final long ECAP_PRS = 1L << 29;
    static final long ECAP_SRS = 1L << 31;
    static final long ECAP_EAFS = 1L << 34;
    static final int ECAP_PSS_SHIFT = 35;
    static final long ECAP_PASID = 1L << 40;
    static final long ECAP_PDS = 1L << 42;
    static final long ECAP_SMTS = 1L << 43;
    static final long ECAP_SLADS = 1L << 45;
    static final long ECAP_SLTS = 1L << 46;
    static final long ECAP_FLTS = 1L << 47;
    static final long ECAP_SMPWC = 1L << 48;

    static long defaultCap(long gaw, boolean fiveLevel) {
        long cap = 6                                   // ND: 2^16 domain IDs
                | 1L << 5 | 1L << 6                    // PLMR, PHMR
                | (fiveLevel ? 0xcL : 0x4L) << CAP_SAGAW_SHIFT
                | (gaw - 1) << CAP_MGAW_SHIFT
                | 1L << 22                             // ZLR
                | 0x40L << 24                          // FRO: fault recording at 0x400
                | 0x3L << CAP_SLLPS_SHIFT              // 2M and 1G second-stage pages
                | 1L << 39                             // PSI
                | 7L << 40                             // NFR: 8 fault recording registers
                | 18L << 48                            // MAMV
                | 1L << 54 | 1L << 55                  // DWD, DRD
                | CAP_FL1GP
                | 1L << 59;                            // PI
        return fiveLevel ? cap | CAP_FL5LP : cap;
    }

    static long defaultEcap(boolean nesting) {
        long ecap = ECAP_C | 1L << 1 | ECAP_DT | ECAP_IR | 1L << 4 | 1L << 6 | ECAP_SC  // C QI DT IR EIM PT SC
                | 0x50L << 8                           // IRO: IOTLB registers at 0x500
                | 0xfL << 20                           // MHMV
                | 1L << 25                             // MTS
                | 1L << 29 | ECAP_SRS                  // PRS, SRS
                | 1L << 33 | ECAP_EAFS                 // NWFS, EAFS
                | 19L << ECAP_PSS_SHIFT                // PSS: 20-bit PASIDs
                | ECAP_PASID | 1L << 41 | 1L << 42     // PASID, DIT, PDS
                | ECAP_SMTS | ECAP_SLADS | ECAP_SLTS | ECAP_FLTS | ECAP_SMPWC
                | 1L << 49;                            // RPS
        return nesting ? ecap | ECAP_NEST : ecap;
    }

    /** The driver's view of one unit's registers, with intel_iommu_sm (sm_on) folded in. */
    record Caps(long cap, long ecap, boolean smOn) {
        int mgaw() {
            return (int) ((cap >>> CAP_MGAW_SHIFT) & 0x3f) + 1;
        }

        int sagaw() {
            return (int) ((cap >>> CAP_SAGAW_SHIFT) & 0x1f);
        }

        int sllps() {
            return (int) ((cap >>> CAP_SLLPS_SHIFT) & 0xf);
        }

        boolean fl5lp() {
            return (cap & CAP_FL5LP) != 0;
        }

        boolean fl1gp() {
            return (cap & CAP_FL1GP) != 0;
        }

        boolean cachingMode() {
            return (cap & CAP_CM) != 0;
        }

        /** rwbf_required(): CAP.RWBF (the rwbf_quirk of some chipsets is not modelled). */
        boolean rwbfRequired() {
            return (cap & CAP_RWBF) != 0;
        }

        boolean has(long ecapBit) {
            return (ecap & ecapBit) != 0;
        }

        /** sm_supported(): scalable mode enabled and ECAP.SMTS. */
        boolean sm() {
            return smOn && has(ECAP_SMTS);
        }

        boolean pasidSupported() {
            return sm() && has(ECAP_PASID);
        }

        /** ssads_supported(): second-stage dirty bits. */
        boolean ssads() {
            return sm() && has(ECAP_SLADS) && has(ECAP_SMPWC);
        }

        /** nested_supported(). */
        boolean nested() {
            return sm() && has(ECAP_NEST);
        }

        /** iommu_paging_structure_coherency(). */
        boolean pagingStructureCoherency() {
            return sm() ? has(ECAP_SMPWC) : has(ECAP_C);
        }

        /** iommu->iommu.max_pasids = 2 << ECAP.PSS when PASIDs are supported (dmar.c). */
        long maxPasids() {
            return pasidSupported() ? 2L << ((ecap >>> ECAP_PSS_SHIFT) & 0x1f) : 0;
        }
    }
}
