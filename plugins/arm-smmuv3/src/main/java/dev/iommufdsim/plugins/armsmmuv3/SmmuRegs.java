package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.UserStruct;

/**
 * The ID registers of one SMMU (IDR0..IDR5, IIDR, AIDR), as arm_smmu_device_hw_probe() reads
 * them, and the features the driver derives from them. IOMMU_GET_HW_INFO reports the raw
 * registers (arm_smmu_hw_info); everything else in the plugin follows the derived features,
 * so a user who overrides a register changes the behaviour the way the hardware would.
 *
 * <p>Defaults (override any register with the instance option of its name): a coherent
 * stage-1 + stage-2 SMMU with a 2-level stream table, 16-bit ASIDs/VMIDs, ATS, MSIs, no
 * stalls, no HTTU (so no dirty tracking), 16-bit stream IDs, 20-bit substream IDs, 2^19-entry
 * queues, range invalidation, all three granules and a 48-bit OAS; IIDR of an Arm MMU-700
 * r1p1 (past the errata that disable nesting), AIDR SMMUv3.2.
 */
record SmmuRegs(int[] idr, int iidr, int aidr) {
    SmmuRegs {
        idr = idr.clone();
    }

    // IDR0 (arm-smmu-v3.h)
    static final int IDR0_ST_LVL_2LVL = 1 << 27;
    static final int IDR0_STALL_MODEL_SHIFT = 24;
    static final int IDR0_TTENDIAN_SHIFT = 21;
    static final int IDR0_TTENDIAN_MIXED = 0;
    static final int IDR0_TTENDIAN_LE = 2;
    static final int IDR0_CD2L = 1 << 19;
    static final int IDR0_VMID16 = 1 << 18;
    static final int IDR0_PRI = 1 << 16;
    static final int IDR0_SEV = 1 << 14;
    static final int IDR0_MSI = 1 << 13;
    static final int IDR0_ASID16 = 1 << 12;
    static final int IDR0_ATS = 1 << 10;
    static final int IDR0_HYP = 1 << 9;
    static final int IDR0_HTTU_SHIFT = 6;
    static final int IDR0_HTTU_ACCESS_DIRTY = 2;
    static final int IDR0_COHACC = 1 << 4;
    static final int IDR0_TTF_SHIFT = 2;
    static final int IDR0_TTF_AARCH64 = 2;
    static final int IDR0_S1P = 1 << 1;
    static final int IDR0_S2P = 1 << 0;
    // IDR1
    static final int IDR1_TABLES_PRESET = 1 << 30;
    static final int IDR1_QUEUES_PRESET = 1 << 29;
    static final int IDR1_REL = 1 << 28;
    static final int IDR1_CMDQS_SHIFT = 21;
    static final int IDR1_EVTQS_SHIFT = 16;
    static final int IDR1_PRIQS_SHIFT = 11;
    static final int IDR1_SSIDSIZE_SHIFT = 6;
    // IDR3
    static final int IDR3_FWB = 1 << 8;
    static final int IDR3_RIL = 1 << 10;
    // IDR5
    static final int IDR5_GRAN64K = 1 << 6;
    static final int IDR5_GRAN16K = 1 << 5;
    static final int IDR5_GRAN4K = 1 << 4;
    static final int IDR5_VAX_SHIFT = 10;
    static final int IDR5_VAX_52_BIT = 1;
    // IIDR (arm-smmu-v3.c)
    static final int IIDR_IMPLEMENTER_ARM = 0x43b;
    static final int IIDR_PRODUCTID_ARM_MMU_600 = 0x483;
    static final int IIDR_PRODUCTID_ARM_MMU_700 = 0x487;
    /** ilog2(CMDQ_BATCH_ENTRIES): a command queue must hold more than one batch. */
    static final int CMDQ_BATCH_SHIFT = 6;

    static final int SZ_4K = 4096;
    static final int SZ_16K = 16384;
    static final int SZ_64K = 65536;

    /**
     * The default registers. {@code nesting} adds IDR0.S2P (stage 2: FEAT_NESTING needs both
     * stages), {@code s2fwb} adds IDR3.FWB, {@code oas} is the output address size in bits
     * (32, 36, 40, 42, 44, 48 or 52).
     */
    static SmmuRegs defaults(boolean nesting, boolean s2fwb, long oas) {
        int idr0 = IDR0_ST_LVL_2LVL | 1 << IDR0_STALL_MODEL_SHIFT | IDR0_TTENDIAN_LE << IDR0_TTENDIAN_SHIFT | IDR0_CD2L
                | IDR0_VMID16 | IDR0_SEV | IDR0_MSI | IDR0_ASID16 | IDR0_ATS | IDR0_HYP | IDR0_COHACC
                | IDR0_TTF_AARCH64 << IDR0_TTF_SHIFT | IDR0_S1P | (nesting ? IDR0_S2P : 0);
        int idr1 = 19 << IDR1_CMDQS_SHIFT | 19 << IDR1_EVTQS_SHIFT | 19 << IDR1_PRIQS_SHIFT | 20 << IDR1_SSIDSIZE_SHIFT | 16;
        int idr3 = IDR3_RIL | (s2fwb ? IDR3_FWB : 0);
        int idr5 = IDR5_GRAN64K | IDR5_GRAN16K | IDR5_GRAN4K | oasField(oas);
        int iidr = IIDR_PRODUCTID_ARM_MMU_700 << 20 | 1 << 16 | 1 << 12 | IIDR_IMPLEMENTER_ARM;
        return new SmmuRegs(new int[] {idr0, idr1, 0, idr3, 0, idr5}, iidr, 0x02);
    }

    private static int oasField(long oas) {
        int[] bits = {32, 36, 40, 42, 44, 48, 52};
        for (int i = 0; i < bits.length; i++) {
            if (bits[i] == oas) {
                return i;
            }
        }
        throw fail(EINVAL, "arm_smmuv3: oas must be 32, 36, 40, 42, 44, 48 or 52 bits, not %d", oas);
    }

    /** ARM_SMMU_FEAT_STALLS: IDR0.STALL_MODEL is STALL (0) or FORCE (2). */
    boolean stalls() {
        int model = (idr[0] >>> IDR0_STALL_MODEL_SHIFT) & 3;
        return model == 0 || model == 2;
    }

    /** ARM_SMMU_FEAT_STALL_FORCE: IDR0.STALL_MODEL is FORCE (2). */
    boolean stallForce() {
        return ((idr[0] >>> IDR0_STALL_MODEL_SHIFT) & 3) == 2;
    }

    /** What arm_smmu_device_hw_probe() and arm_smmu_device_iidr_probe() make of the registers. */
    record Features(boolean transS1, boolean transS2, boolean nesting, boolean forceSync, boolean coherent,
                    boolean ats, boolean hd, boolean vax, boolean s2fwb, int oas, long pgsizeBitmap, int ssidBits,
                    int sidBits, int vmidBits) {
    }

    /**
     * arm_smmu_device_hw_probe(): the driver's reading of the registers; a register set the
     * driver refuses (its probe fails with ENXIO and no IOMMU is registered) is EINVAL here.
     */
    Features probe() {
        int idr0 = idr[0];
        boolean s1 = (idr0 & IDR0_S1P) != 0;
        boolean s2 = (idr0 & IDR0_S2P) != 0;
        if (!s1 && !s2) {
            throw fail(EINVAL, "arm_smmuv3: IDR0 0x%x has neither S1P nor S2P (probe: \"no translation support!\", ENXIO)", idr0);
        }
        if (((idr0 >>> IDR0_TTF_SHIFT) & 3 & IDR0_TTF_AARCH64) == 0) {
            throw fail(EINVAL, "arm_smmuv3: IDR0.TTF lacks AArch64 (probe: \"AArch64 table format not supported!\", ENXIO)");
        }
        int ttendian = (idr0 >>> IDR0_TTENDIAN_SHIFT) & 3;
        if (ttendian != IDR0_TTENDIAN_MIXED && ttendian != IDR0_TTENDIAN_LE) {
            throw fail(EINVAL, "arm_smmuv3: IDR0.TTENDIAN %d is not usable by a little-endian kernel (probe: ENXIO)", ttendian);
        }
        int idr1 = idr[1];
        if ((idr1 & (IDR1_TABLES_PRESET | IDR1_QUEUES_PRESET | IDR1_REL)) != 0) {
            throw fail(EINVAL, "arm_smmuv3: IDR1 0x%x: embedded implementation not supported (probe: ENXIO)", idr1);
        }
        if (Math.min(19, (idr1 >>> IDR1_CMDQS_SHIFT) & 0x1f) <= CMDQ_BATCH_SHIFT) {
            throw fail(EINVAL, "arm_smmuv3: IDR1.CMDQS: command queue size <= 64 entries not supported (probe: ENXIO)");
        }
        int idr5 = idr[5];
        long pgsizes = 0;
        if ((idr5 & IDR5_GRAN64K) != 0) {
            pgsizes |= SZ_64K | (512L << 20);
        }
        if ((idr5 & IDR5_GRAN16K) != 0) {
            pgsizes |= SZ_16K | (32L << 20);
        }
        if ((idr5 & IDR5_GRAN4K) != 0) {
            pgsizes |= SZ_4K | (2L << 20) | (1L << 30);
        }
        int oas;
        switch (idr5 & 7) {
            case 0 -> oas = 32;
            case 1 -> oas = 36;
            case 2 -> oas = 40;
            case 3 -> oas = 42;
            case 4 -> oas = 44;
            case 6 -> {
                oas = 52;
                pgsizes |= 1L << 42;
            }
            default -> oas = 48; // 5, and "unknown output address size. Truncating to 48-bit"
        }
        int httu = (idr0 >>> IDR0_HTTU_SHIFT) & 3;
        boolean nesting = s1 && s2;
        boolean forceSync = false;
        int implementer = iidr & 0xfff;
        int productId = iidr >>> 20;
        int variant = (iidr >>> 16) & 0xf;
        int revision = (iidr >>> 12) & 0xf;
        if (implementer == IIDR_IMPLEMENTER_ARM) {
            if (productId == IIDR_PRODUCTID_ARM_MMU_600 && variant < 2) {
                nesting = false; // Arm erratum 1209401
            } else if (productId == IIDR_PRODUCTID_ARM_MMU_700 && (variant < 1 || revision < 1)) {
                forceSync = true; // Arm erratum 2812531
                nesting = false; // Arm errata 2268618, 2812531
            }
        }
        return new Features(s1, s2, nesting, forceSync, (idr0 & IDR0_COHACC) != 0, (idr0 & IDR0_ATS) != 0,
                httu >= IDR0_HTTU_ACCESS_DIRTY, ((idr5 >>> IDR5_VAX_SHIFT) & 3) == IDR5_VAX_52_BIT, (idr[3] & IDR3_FWB) != 0,
                oas, pgsizes, (idr1 >>> IDR1_SSIDSIZE_SHIFT) & 0x1f, idr1 & 0x3f, (idr0 & IDR0_VMID16) != 0 ? 16 : 8);
    }

    /** struct iommu_hw_info_arm_smmuv3 {u32 flags; u32 __reserved; u32 idr[6]; u32 iidr; u32 aidr}: 40 bytes. */
    byte[] hwInfoBytes() {
        UserStruct s = UserStruct.allocate(40);
        for (int i = 0; i < 6; i++) {
            s.putU32(8 + 4 * i, idr[i]);
        }
        return s.putU32(32, iidr).putU32(36, aidr).bytes();
    }
}
