package dev.iommufdsim.plugins.armsmmuv3;

import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.NestedDomain;
import dev.iommufdsim.kernel.spi.UserDataArray;
import dev.iommufdsim.kernel.spi.UserStruct;
import dev.iommufdsim.kernel.spi.VdevLookup;
import dev.iommufdsim.kernel.spi.Viommu;
import java.util.ArrayList;
import java.util.List;

/**
 * struct arm_vsmmu with arm_vsmmu_ops (arm-smmu-v3-iommufd.c): the VM's slice of one SMMU,
 * holding the stage-2 parent's VMID. Nested domains are guest STEs ({@link ArmNestedDomain});
 * invalidations are guest command-queue commands rewritten for the host.
 */
final class ArmVsmmu implements Viommu {
    /** IOMMU_HWPT_DATA_ARM_SMMUV3 and IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 (uapi iommufd.h). */
    static final int IOMMU_HWPT_DATA_ARM_SMMUV3 = 2;
    static final int IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1;
    /** Command opcodes (enum in arm-smmu-v3.h). */
    static final int CMDQ_OP_CFGI_CD = 0x05;
    static final int CMDQ_OP_CFGI_CD_ALL = 0x06;
    static final int CMDQ_OP_TLBI_NH_ALL = 0x10;
    static final int CMDQ_OP_TLBI_NH_ASID = 0x11;
    static final int CMDQ_OP_TLBI_NH_VA = 0x12;
    static final int CMDQ_OP_TLBI_NH_VAA = 0x13;
    static final int CMDQ_OP_TLBI_NSNH_ALL = 0x30;
    static final int CMDQ_OP_ATC_INV = 0x40;
    /** CMDQ_TLBI_0_VMID = GENMASK(47, 32); CMDQ_CFGI_0_SID = GENMASK(63, 32). */
    static final long CMDQ_TLBI_0_VMID = 0xffffL << 32;
    static final long CMDQ_CFGI_0_SID = 0xffffffffL << 32;
    /** CMDQ_BATCH_ENTRIES: commands go to the queue in batches of CMDQ_BATCH_ENTRIES - 1. */
    static final int CMDQ_BATCH_ENTRIES = 64;

    private final ArmSmmuV3Instance smmu;
    /** vsmmu->s2_parent: the nesting parent's stage-2 domain. */
    private final ArmSmmuV3Instance.ArmDomain s2Parent;
    private final int vmid;
    private List<long[]> lastIssued = List.of();

    ArmVsmmu(ArmSmmuV3Instance smmu, ArmSmmuV3Instance.ArmDomain s2Parent) {
        this.smmu = smmu;
        this.s2Parent = s2Parent;
        this.vmid = s2Parent.vmid();
    }

    ArmSmmuV3Instance smmu() {
        return smmu;
    }

    ArmSmmuV3Instance.ArmDomain s2Parent() {
        return s2Parent;
    }

    int vmid() {
        return vmid;
    }

    @Override
    public boolean hasAllocDomainNested() {
        return true;
    }

    /** arm_vsmmu_alloc_domain_nested(): see {@link ArmNestedDomain#alloc}. */
    @Override
    public NestedDomain allocDomainNested(int flags, int dataType, byte[] data, VdevLookup vdevs) {
        return ArmNestedDomain.alloc(this, flags, dataType, data);
    }

    @Override
    public boolean hasCacheInvalidate() {
        return true;
    }

    /**
     * arm_vsmmu_cache_invalidate(): iommu_copy_struct_from_full_user_array() of 16-byte
     * commands (type other than ARM_SMMUV3, or entry_num 0 -> EINVAL; a non-zero tail ->
     * E2BIG), then each command through arm_vsmmu_convert_user_cmd(): unknown opcode or a vSID
     * without a vDEVICE -> EIO. done = the commands before the failing one. Commands are
     * issued in batches of 63 and at the end, so on a failure the converted commands of the
     * unfinished batch count as done but were not issued ({@link #lastIssued}).
     */
    @Override
    public void cacheInvalidate(UserDataArray array, VdevLookup vdevs) {
        int done = 0;
        List<long[]> issued = new ArrayList<>();
        try {
            List<UserStruct> cmds = array.copyFull(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16);
            List<long[]> batch = new ArrayList<>();
            for (UserStruct c : cmds) {
                batch.add(convert(c.u64(0), c.u64(8), vdevs, done));
                done++;
                if (done != cmds.size() && batch.size() != CMDQ_BATCH_ENTRIES - 1) {
                    continue;
                }
                issued.addAll(batch);
                batch.clear();
            }
        } finally {
            array.setDone(done);
            lastIssued = List.copyOf(issued);
        }
    }

    /** arm_vsmmu_convert_user_cmd(): force the VMID, or translate the vSID to the device's first physical SID. */
    private long[] convert(long cmd0, long cmd1, VdevLookup vdevs, int index) {
        int op = (int) (cmd0 & 0xff);
        switch (op) {
            case CMDQ_OP_TLBI_NSNH_ALL:
                return new long[] {CMDQ_OP_TLBI_NH_ALL | ((long) vmid << 32), 0};
            case CMDQ_OP_TLBI_NH_VA:
            case CMDQ_OP_TLBI_NH_VAA:
            case CMDQ_OP_TLBI_NH_ALL:
            case CMDQ_OP_TLBI_NH_ASID:
                return new long[] {(cmd0 & ~CMDQ_TLBI_0_VMID) | ((long) vmid << 32), cmd1};
            case CMDQ_OP_ATC_INV:
            case CMDQ_OP_CFGI_CD:
            case CMDQ_OP_CFGI_CD_ALL: {
                long vsid = cmd0 >>> 32;
                DeviceInfo dev = vdevs == null ? null : vdevs.deviceOf(vsid);
                if (dev == null) {
                    throw fail(EIO, "arm_smmuv3: command %d (opcode 0x%x): vSID 0x%x has no vDEVICE in this vIOMMU", index, op, vsid);
                }
                long sid = ArmSmmuV3Instance.sids(dev).get(0);
                return new long[] {(cmd0 & ~CMDQ_CFGI_0_SID) | (sid << 32), cmd1};
            }
            default:
                throw fail(EIO, "arm_smmuv3: command %d: opcode 0x%x is not one a guest may issue", index, op);
        }
    }

    /** The physical commands (cmd[0], cmd[1]) the last invalidation issued to the command queue. */
    List<long[]> lastIssued() {
        return lastIssued;
    }

    /**
     * arm_vsmmu_vdevice_init(): arm_vsmmu_vsid_to_sid() maps a vSID to the device's first
     * stream alone, so a device with other than one stream ID -> EOPNOTSUPP. The vSID itself
     * is only checked by the core (unique per vIOMMU).
     */
    @Override
    public void vdeviceInit(long virtId, DeviceInfo dev) {
        int n = ArmSmmuV3Instance.sids(dev).size();
        if (n != 1) {
            throw fail(EOPNOTSUPP, "arm_smmuv3: %s has %d stream IDs; a vDEVICE needs exactly one", dev.name(), n);
        }
    }

    @Override
    public String toString() {
        return "vSMMU on " + smmu + " (VMID " + vmid + ")";
    }
}
