package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.spi.VdevLookup;

/**
 * struct arm_smmu_nested_domain (arm-smmu-v3-iommufd.c): a guest stream table entry
 * validated by arm_smmu_validate_vste(), owned by a vSMMU. It has no cache_invalidate_user:
 * guests invalidate through the vIOMMU.
 */
final class ArmNestedDomain implements NestedDomain {
    /** STRTAB_STE_0_V, STRTAB_STE_0_CFG (bits 3:1) and its values. */
    static final long STRTAB_STE_0_V = 1L;
    static final int STRTAB_STE_0_CFG_ABORT = 0;
    static final int STRTAB_STE_0_CFG_BYPASS = 4;
    static final int STRTAB_STE_0_CFG_S1_TRANS = 5;
    /** STRTAB_STE_1_EATS (bits 29:28) and its values. */
    static final long STRTAB_STE_1_EATS = 3L << 28;
    static final int STRTAB_STE_1_EATS_ABT = 0;
    static final int STRTAB_STE_1_EATS_TRANS = 1;
    /** STRTAB_STE_0_NESTING_ALLOWED: V | CFG | S1FMT | S1CTXPTR (51:6) | S1CDMAX (63:59). */
    static final long STRTAB_STE_0_NESTING_ALLOWED = 0xf80fffffffffffffL;
    /** STRTAB_STE_1_NESTING_ALLOWED: S1DSS | S1CIR | S1COR | S1CSH | S1STALLD | EATS. */
    static final long STRTAB_STE_1_NESTING_ALLOWED = 0x380000ffL;

    /** What the domain holds: the stored STE words and whether the guest enabled ATS. */
    record VSte(long ste0, long ste1, boolean enableAts) {
        int cfg() {
            return (int) ((ste0 >>> 1) & 7);
        }

        /** STRTAB_STE_0_S1CDMAX (bits 63:59): log2 of the CD table's entries, 0 for no substreams. */
        int s1cdmax() {
            return (int) (ste0 >>> 59);
        }

        /** The physical STE arm_smmu_make_nested_domain_ste() installs for it. */
        String physical() {
            if ((ste0 & STRTAB_STE_0_V) == 0) {
                return "abort (non-valid vSTE)";
            }
            return switch (cfg()) {
                case STRTAB_STE_0_CFG_S1_TRANS -> "nested (guest CD table over the parent's stage 2)";
                case STRTAB_STE_0_CFG_BYPASS -> "stage 2 only (the parent's)";
                default -> "abort";
            };
        }
    }

    private final ArmVsmmu vsmmu;
    private final VSte vste;

    private ArmNestedDomain(ArmVsmmu vsmmu, VSte vste) {
        this.vsmmu = vsmmu;
        this.vste = vste;
    }

    /**
     * arm_vsmmu_alloc_domain_nested(), in its order: flags != 0 -> EOPNOTSUPP (PASID included);
     * iommu_copy_struct_from_user(..., IOMMU_HWPT_DATA_ARM_SMMUV3, ste): a data type other than
     * ARM_SMMUV3 or a length other than 16 -> EINVAL; then {@link #validateVste}.
     */
    static ArmNestedDomain alloc(ArmVsmmu vsmmu, int flags, int dataType, byte[] data) {
        if (flags != 0) {
            throw fail(EOPNOTSUPP, "arm_smmuv3: nested HWPT flags 0x%x (none are supported)", flags);
        }
        UserStruct arg = UserStruct.copyFromUser(dataType, data, ArmVsmmu.IOMMU_HWPT_DATA_ARM_SMMUV3, 16, 16);
        return new ArmNestedDomain(vsmmu, validateVste(arg.u64(0), arg.u64(8)));
    }

    /**
     * arm_smmu_validate_vste(), in its order: V clear -> accepted, both words zeroed (the
     * device will abort); a bit outside STRTAB_STE_{0,1}_NESTING_ALLOWED -> EIO; CFG other
     * than ABORT, BYPASS or S1_TRANS -> EIO; EATS (cleared from the stored word first) other
     * than ABT or TRANS -> EIO. With S1_TRANS, EATS = TRANS enables ATS.
     */
    static VSte validateVste(long ste0, long ste1) {
        if ((ste0 & STRTAB_STE_0_V) == 0) {
            return new VSte(0, 0, false);
        }
        if ((ste0 & ~STRTAB_STE_0_NESTING_ALLOWED) != 0 || (ste1 & ~STRTAB_STE_1_NESTING_ALLOWED) != 0) {
            throw fail(EIO, "arm_smmuv3: vSTE has bits outside the nesting-allowed fields (ste[0] 0x%x, ste[1] 0x%x)",
                    ste0 & ~STRTAB_STE_0_NESTING_ALLOWED, ste1 & ~STRTAB_STE_1_NESTING_ALLOWED);
        }
        int cfg = (int) ((ste0 >>> 1) & 7);
        if (cfg != STRTAB_STE_0_CFG_ABORT && cfg != STRTAB_STE_0_CFG_BYPASS && cfg != STRTAB_STE_0_CFG_S1_TRANS) {
            throw fail(EIO, "arm_smmuv3: vSTE CFG %d is not ABORT (0), BYPASS (4) or S1_TRANS (5)", cfg);
        }
        int eats = (int) ((ste1 & STRTAB_STE_1_EATS) >>> 28);
        ste1 &= ~STRTAB_STE_1_EATS;
        if (eats != STRTAB_STE_1_EATS_ABT && eats != STRTAB_STE_1_EATS_TRANS) {
            throw fail(EIO, "arm_smmuv3: vSTE EATS %d is not ABT (0) or TRANS (1)", eats);
        }
        return new VSte(ste0, ste1, cfg == STRTAB_STE_0_CFG_S1_TRANS && eats == STRTAB_STE_1_EATS_TRANS);
    }

    /**
     * arm_smmu_attach_dev_nested(): a device behind another SMMU than the vSMMU's
     * (nested_domain->vsmmu->smmu != master->smmu, with devIommu as master->smmu) -> EINVAL;
     * substreams in use (PASIDs attached, arm_smmu_ssids_in_use()) -> EBUSY, since the nested
     * STE takes the guest's CD table (unreachable through iommufd, whose pasid_compat refuses a
     * nested HWPT first: arm_vsmmu_alloc_domain_nested() never gives one ALLOC_PASID);
     * then arm_smmu_attach_prepare_vmaster(): a vSTE whose CFG is S1_TRANS needs the device's
     * vDEVICE (vSID) in the vIOMMU -> ENOENT; ABORT and BYPASS attach without one; then
     * arm_smmu_attach_prepare() on the stage-2 parent (to_smmu_domain_devices()): a parent that
     * enforces cache coherency and a device without CANWBS -> EINVAL.
     */
    @Override
    public void attachDev(DeviceInfo dev, IommuInstance devIommu, VdevLookup vdevs) {
        if (devIommu != vsmmu.smmu()) {
            throw fail(EINVAL, "arm_smmuv3: %s is behind %s, not %s, the SMMU of this nested domain's vSMMU", dev.name(), devIommu, vsmmu.smmu());
        }
        vsmmu.smmu().checkNoSsidsInUse(dev, "a nested domain");
        Long vsid = vdevs == null ? null : vdevs.virtIdOf(dev);
        int cfg = vste.cfg();
        if (vsid == null && cfg != STRTAB_STE_0_CFG_ABORT && cfg != STRTAB_STE_0_CFG_BYPASS) {
            throw fail(ENOENT, "arm_smmuv3: %s has no vDEVICE (vSID) in the vSMMU, which a translating vSTE needs", dev.name());
        }
        vsmmu.s2Parent().checkCoherentMaster(dev);
    }

    /**
     * arm_smmu_make_nested_domain_ste(): a non-valid vSTE, or CFG ABORT, becomes
     * arm_smmu_make_abort_ste(), whose Config 0b000 terminates every transaction and records
     * no event (so arm_smmu_handle_event() never sees it and the guest gets no vEVENT).
     */
    @Override
    public String abortsDma() {
        if ((vste.ste0() & STRTAB_STE_0_V) != 0 && vste.cfg() != STRTAB_STE_0_CFG_ABORT) {
            return null;
        }
        return String.format("the %s vSTE is installed as an abort STE (arm_smmu_make_abort_ste): the SMMU terminates the"
                + " transaction and records no event", (vste.ste0() & STRTAB_STE_0_V) == 0 ? "non-valid" : "ABORT");
    }

    /** The validated vSTE ({@link VSte}). */
    @Override
    public Object state() {
        return vste;
    }

    ArmVsmmu vsmmu() {
        return vsmmu;
    }

    @Override
    public String toString() {
        return String.format("vSTE {0x%x, 0x%x} -> %s%s", vste.ste0(), vste.ste1(), vste.physical(), vste.enableAts() ? ", ATS" : "");
    }
}
