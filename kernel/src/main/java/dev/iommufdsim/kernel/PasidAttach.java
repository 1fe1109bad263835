package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.IommuDomain;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.ArrayList;
import java.util.List;

/**
 * The iommu core under iommufd's PASID attachments (drivers/iommu/iommu.c:
 * iommu_attach_device_pasid, iommu_replace_device_pasid, iommu_detach_device_pasid): every
 * device of the group that supports PASID (max_pasids > 0) gets the domain through the
 * driver's set_dev_pasid, all or nothing. A device without PASID support is skipped, so it
 * does not fail the attach; iommufd's own PASID rules (iommufd_hwpt_pasid_compat) come first.
 *
 * <p>The core's group->pasid_array (EBUSY on a PASID already attached) is not kept: a group
 * has one DMA owner, whose iommufd_group pasid_attach holds the same entries and refuses first.
 */
final class PasidAttach {
    private PasidAttach() {
    }

    /** The iommu_domain behind a HWPT. */
    static IommuDomain domainOf(HwPagetable hwpt) {
        return hwpt instanceof HwptNested nested ? nested.domain : ((HwptPaging) hwpt).domain();
    }

    private static int maxPasids(PhysDevice d) {
        return d.iommu().capabilities(d.info()).maxPasids();
    }

    /** domain_iommu_ops_compatible(): a domain of another driver is EINVAL. */
    private static void checkCompatible(HwPagetable hwpt, IommufdDevice idev) {
        if (!hwpt.owner.sameDriver(idev.dev.iommu())) {
            throw fail(EINVAL, "hwpt %d belongs to driver %s but dev %d (%s) is behind %s", hwpt.id(), hwpt.owner.driverName(),
                    idev.id(), idev.dev.name(), idev.dev.iommu().driverName());
        }
    }

    /** iommu_attach_device_pasid(). */
    static void attach(HwPagetable hwpt, IommufdDevice idev, int pasid) {
        checkCompatible(hwpt, idev);
        for (PhysDevice d : idev.igroup.group.devices()) {
            int max = maxPasids(d);
            if (max > 0 && Integer.compareUnsigned(pasid, max) >= 0) {
                throw fail(EINVAL, "pasid %d is beyond what %s supports (max_pasids %d)", Integer.toUnsignedLong(pasid), d.name(), max);
            }
        }
        setGroupPasid(hwpt, idev, pasid, null);
    }

    /** iommu_replace_device_pasid(): the PASID is attached (iommufd checked); a new domain replaces the old. */
    static void replace(HwPagetable hwpt, IommufdDevice idev, int pasid, HwPagetable old) {
        checkCompatible(hwpt, idev);
        if (domainOf(old) != domainOf(hwpt)) {
            setGroupPasid(hwpt, idev, pasid, old);
        }
    }

    /**
     * __iommu_set_group_pasid(): set_dev_pasid on each device with PASID support; when one
     * refuses, those done go back to the old domain (none: blocked) and the errno is returned.
     */
    private static void setGroupPasid(HwPagetable hwpt, IommufdDevice idev, int pasid, HwPagetable old) {
        IommuDomain domain = domainOf(hwpt);
        IommuDomain oldDomain = old == null ? null : domainOf(old);
        List<PhysDevice> done = new ArrayList<>();
        for (PhysDevice d : idev.igroup.group.devices()) {
            if (maxPasids(d) == 0) {
                continue;
            }
            try {
                d.iommu().run("set_dev_pasid", () -> d.iommu().ops().setDevPasid(domain, d.info(), pasid, oldDomain));
            } catch (IommufdException e) {
                for (PhysDevice r : done) {
                    rollBack(r, pasid, domain, oldDomain);
                }
                // the driver names the device; the PASID and the HWPT are the core's to add
                throw new IommufdException(e.errno(), String.format("pasid %d of %s -> hwpt %d: %s", Integer.toUnsignedLong(pasid),
                        d.name(), hwpt.id(), e.reason()), e.partialOutput());
            }
            done.add(d);
        }
    }

    /** The error path of __iommu_set_group_pasid(): back to old; a driver refusing that (a bug) gets blocked. */
    private static void rollBack(PhysDevice d, int pasid, IommuDomain domain, IommuDomain old) {
        // A refusal is a WARN_ON in the kernel: block the PASID instead.
        if (old != null && d.iommu().tryRun("set_dev_pasid", () -> d.iommu().ops().setDevPasid(old, d.info(), pasid, domain))) {
            return;
        }
        removeDevPasid(d, pasid, domain);
    }

    /** iommu_detach_device_pasid(): the blocked domain for each device with PASID support. */
    static void detach(HwPagetable hwpt, IommufdDevice idev, int pasid) {
        IommuDomain domain = domainOf(hwpt);
        for (PhysDevice d : idev.igroup.group.devices()) {
            try {
                if (maxPasids(d) > 0) {
                    removeDevPasid(d, pasid, domain);
                }
            } catch (IommufdException e) {
                // a detach cannot fail: a plugin that cannot say its max_pasids is skipped
            }
        }
    }

    /** iommu_remove_dev_pasid(): the blocked domain's set_dev_pasid, which cannot fail (a throwing plugin is ignored). */
    private static void removeDevPasid(PhysDevice d, int pasid, IommuDomain old) {
        d.iommu().tryRun("remove_dev_pasid", () -> d.iommu().ops().removeDevPasid(d.info(), pasid, old));
    }
}
