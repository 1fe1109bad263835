package dev.iommufdsim.kernel.spi;

import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

/**
 * A nested (stage-1) iommu_domain a driver allocated on a parent paging domain or through
 * a vIOMMU: the user-owned translation whose data the driver validated. The kernel keeps it
 * on the HWPT_NESTED object and calls back into it.
 */
public interface NestedDomain extends IommuDomain {
    /** Whether the domain has iommu_domain_ops.cache_invalidate_user (else EOPNOTSUPP). */
    default boolean hasCacheInvalidateUser() {
        return false;
    }

    /**
     * Models iommu_domain_ops.cache_invalidate_user: handle the entries in order, set
     * {@link UserDataArray#setDone} to the number handled, and throw the errno of the first
     * bad entry (earlier entries stay applied).
     */
    default void cacheInvalidateUser(UserDataArray array) {
        throw fail(EOPNOTSUPP, "this nested domain has no cache_invalidate_user");
    }

    /**
     * Models the attach_dev op for this nested domain: the driver's refusal with an errno
     * (for example ENOENT when a vIOMMU-based domain needs a vDEVICE the device lacks).
     *
     * @param vdevs the vIOMMU's virtual devices, or null for a domain not made through a vIOMMU
     */
    default void attachDev(DeviceInfo dev, VdevLookup vdevs) {
    }

    /**
     * Models the attach_dev op of this nested domain for a device behind {@code devIommu}: the
     * instance the device was declared on (dev_iommu_priv_get(dev)->smmu, info->iommu), which
     * may be another instance of this driver than the one that allocated the domain. The
     * kernel calls this form; by default it forwards to {@link #attachDev(DeviceInfo, VdevLookup)}.
     *
     * @param vdevs the vIOMMU's virtual devices, or null for a domain not made through a vIOMMU
     */
    default void attachDev(DeviceInfo dev, IommuInstance devIommu, VdevLookup vdevs) {
        attachDev(dev, vdevs);
    }

    /**
     * The checks of attach_dev that come after the driver's IOPF enabling (iopf_for_domain_set),
     * for a driver that has some (intel_nested_attach_dev: intel_pasid_setup_nested's): the core
     * calls it after {@link #attachDev(DeviceInfo, IommuInstance, VdevLookup)} and, for a HWPT
     * with a fault object, the IOPF enabling, so that an ENODEV of the latter wins as in the
     * kernel. Nothing by default.
     */
    default void attachDevAfterIopf(DeviceInfo dev, IommuInstance devIommu) {
    }

    /**
     * Why the hardware terminates every DMA through this domain without translating it and
     * without recording an event, or null when it translates (the default). SMMUv3: a
     * non-valid or ABORT vSTE is installed as an abort STE (arm_smmu_make_nested_domain_ste()
     * -> arm_smmu_make_abort_ste(), STE.Config 0b000: abort, no event). The DMA fails EFAULT.
     */
    default String abortsDma() {
        return null;
    }

    /** Driver state a selftest op or an inspection may read (may be null). */
    default Object state() {
        return null;
    }
}
