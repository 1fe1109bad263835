package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;

import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.ArrayList;
import java.util.List;

/**
 * Attach, replace and detach of a device to a HWPT or an IOAS: the logic of
 * drivers/iommu/iommufd/device.c (iommufd_hw_pagetable_attach/detach,
 * iommufd_device_do_replace, iommufd_device_auto_get_domain, iommufd_device_change_pt).
 */
final class DeviceAttach {
    private DeviceAttach() {
    }

    /** What a do_attach/do_replace step hands back: the HWPT the caller must put, or null. */
    @FunctionalInterface
    interface AttachFn {
        HwPagetable apply(IommufdDevice idev, int pasid, HwPagetable hwpt);
    }

    /**
     * The paging HWPT whose IOAS a RID attach to hwpt reserves regions in, or null: mainline's
     * find_hwpt_paging(), narrowed by the profile (v6.7: paging HWPTs only).
     */
    static HwptPaging resvPaging(IommufdDevice idev, HwPagetable hwpt) {
        return idev.ictx.profile().enforceResvOnAttach(hwpt) ? hwpt.findHwptPaging() : null;
    }

    /** The device's regions the profile reserves for an attach to hwpt. */
    static List<ResvRegion> regionsFor(IommufdDevice idev, HwPagetable hwpt) {
        KernelProfile.ResvPolicy policy = idev.ictx.profile().resvPolicy(hwpt);
        List<ResvRegion> out = new ArrayList<>();
        for (ResvRegion r : idev.dev.iommu().getResvRegions(idev.dev.info())) {
            if (KernelProfile.reserves(policy, r)) {
                out.add(r);
            }
        }
        return out;
    }

    /** iommufd_device_attach_reserved_iova(), with iommufd_group_setup_msi() on the first attach. */
    private static void attachReservedIova(IommufdDevice idev, HwPagetable hwpt, HwptPaging hwptPaging) {
        IommufdGroup igroup = idev.igroup;
        long[] swMsiStart = {igroup.swMsiStart};
        hwptPaging.ioas.iopt().enforceDevResvRegions(idev.resvOwner(), regionsFor(idev, hwpt), swMsiStart);
        igroup.swMsiStart = swMsiStart[0];
        if (igroup.firstAttach(IOMMU_NO_PASID)) {
            setupMsi(idev, hwpt, hwptPaging);
        }
    }

    /** iommufd_group_setup_msi() (native) or iommu_get_msi_cookie() on a paging domain (cookie model). */
    private static void setupMsi(IommufdDevice idev, HwPagetable hwpt, HwptPaging hwptPaging) {
        IommufdGroup igroup = idev.igroup;
        if (idev.ictx.profile().msiModel() == KernelProfile.MsiModel.NATIVE) {
            idev.ictx.swMsi().setupMsi(igroup, hwptPaging);
        } else if (hwpt == hwptPaging && igroup.swMsiStart != IommufdGroup.NO_SW_MSI
                && hwptPaging.msiCookieStart == IommufdGroup.NO_SW_MSI) {
            hwptPaging.msiCookieStart = igroup.swMsiStart;
        }
    }

    /** The driver's attach of the group to the HWPT's domain (iommu_attach_group_handle). */
    private static void driverAttach(HwPagetable hwpt, IommufdDevice idev) {
        if (!hwpt.owner.sameDriver(idev.dev.iommu())) {
            throw fail(EINVAL, "hwpt %d belongs to driver %s but dev %d (%s) is behind %s", hwpt.id(), hwpt.owner.driverName(),
                    idev.id(), idev.dev.name(), idev.dev.iommu().driverName());
        }
        // The drivers enable IOPF inside attach_dev, after their own checks (intel_iommu_attach_device,
        // arm_smmu_attach_prepare); intel_nested_attach_dev checks more after it
        // (intel_pasid_setup_nested: NestedDomain.attachDevAfterIopf). All are refusals only here,
        // so one device's refusal leaves nothing to undo on the others.
        if (hwpt instanceof HwptPaging paging) {
            for (PhysDevice d : idev.igroup.group.devices()) {
                d.iommu().attachDev(paging.domain(), d.info());
                IoPgfault.enableIopf(hwpt, d);
            }
        } else if (hwpt instanceof HwptNested nested) {
            for (PhysDevice d : idev.igroup.group.devices()) {
                d.iommu().run("attach_dev", () -> nested.domain.attachDev(d.info(), d.iommu().ops(), nested.viommu));
                IoPgfault.enableIopf(hwpt, d);
                d.iommu().nestedAttachAfterIopf(nested.domain, d.info());
            }
        }
    }

    /**
     * The IOPF enabling of set_dev_pasid (intel_iommu_set_dev_pasid, arm_smmu_set_pasid ->
     * arm_smmu_attach_prepare), checked before the PASID attach so that a refusal leaves
     * nothing to undo; the kernel checks it after the driver's other PASID checks, so only
     * which errno wins when both fail differs.
     */
    private static void pasidEnableIopf(HwPagetable hwpt, IommufdDevice idev) {
        for (PhysDevice d : idev.igroup.group.devices()) {
            if (d.iommu().capabilities(d.info()).maxPasids() > 0) { // __iommu_set_group_pasid skips the others
                IoPgfault.enableIopf(hwpt, d);
            }
        }
    }

    /** iommufd_hwpt_pasid_compat(). */
    private static void pasidCompat(HwPagetable hwpt, IommufdDevice idev, int pasid) {
        IommufdGroup igroup = idev.igroup;
        if (pasid == IOMMU_NO_PASID) {
            if (!hwpt.pasidCompat && igroup.pasidAttach.keySet().stream().anyMatch(p -> p != IOMMU_NO_PASID)) {
                throw fail(EINVAL, "hwpt %d is not PASID-compatible but PASIDs of the group are attached", hwpt.id());
            }
        } else {
            if (!hwpt.pasidCompat) {
                throw fail(EINVAL, "hwpt %d was not allocated with IOMMU_HWPT_ALLOC_PASID", hwpt.id());
            }
            IommufdGroup.Attach rid = igroup.pasidAttach.get(IOMMU_NO_PASID);
            if (rid != null && rid.hwpt != null && !rid.hwpt.pasidCompat) {
                throw fail(EINVAL, "the RID is attached to hwpt %d, which is not PASID-compatible", rid.hwpt.id());
            }
        }
    }

    /** iommufd_hwpt_attach_device(): the group (RID) or one PASID (iommu_attach_device_pasid). */
    private static void hwptAttachDevice(HwPagetable hwpt, IommufdDevice idev, int pasid) {
        pasidCompat(hwpt, idev, pasid);
        if (pasid == IOMMU_NO_PASID) {
            driverAttach(hwpt, idev);
        } else {
            pasidEnableIopf(hwpt, idev);
            PasidAttach.attach(hwpt, idev, pasid);
        }
    }

    /** iommufd_hw_pagetable_attach(). */
    static void hwPagetableAttach(HwPagetable hwpt, IommufdDevice idev, int pasid) {
        HwptPaging hwptPaging = resvPaging(idev, hwpt);
        boolean attachResv = hwptPaging != null && pasid == IOMMU_NO_PASID;
        IommufdGroup igroup = idev.igroup;
        IommufdGroup.Attach attach = igroup.pasidAttach.get(pasid);
        boolean first = attach == null;
        if (first) {
            attach = new IommufdGroup.Attach();
        }
        HwPagetable old = attach.hwpt;
        if (attach.devices.containsKey(idev.id())) {
            throw fail(EBUSY, "dev %d (%s) is already attached%s; use replace", idev.id(), idev.dev.name(), pasidText(pasid));
        }
        if (old != null && old != hwpt) {
            throw fail(EINVAL, "the group of dev %d (%s) is attached to hwpt %d; all devices of a group share one HWPT", idev.id(),
                    idev.dev.name(), old.id());
        }
        if (attachResv) {
            attachReservedIova(idev, hwpt, hwptPaging);
        } else if (first && pasid == IOMMU_NO_PASID && hwpt.findHwptPaging() != null) {
            setupMsi(idev, hwpt, hwpt.findHwptPaging());
        }
        try {
            if (first) {
                hwptAttachDevice(hwpt, idev, pasid);
                attach.hwpt = hwpt;
                igroup.pasidAttach.put(pasid, attach);
            }
        } catch (IommufdException e) {
            if (attachResv) {
                hwptPaging.ioas.iopt().removeReservedIova(idev.resvOwner());
            }
            throw e;
        }
        hwpt.get();
        attach.devices.put(idev.id(), idev);
    }

    /** iommufd_hw_pagetable_detach(): returns the HWPT the caller must put, or null. */
    static HwPagetable hwPagetableDetach(IommufdDevice idev, int pasid) {
        IommufdGroup igroup = idev.igroup;
        IommufdGroup.Attach attach = igroup.pasidAttach.get(pasid);
        if (attach == null) {
            return null;
        }
        HwPagetable hwpt = attach.hwpt;
        HwptPaging hwptPaging = resvPaging(idev, hwpt);
        attach.devices.remove(idev.id());
        if (attach.devices.isEmpty()) {
            if (pasid != IOMMU_NO_PASID) {
                PasidAttach.detach(hwpt, idev, pasid); // iommufd_hwpt_detach_device()
            }
            igroup.pasidAttach.remove(pasid);
        }
        if (hwptPaging != null && pasid == IOMMU_NO_PASID) {
            hwptPaging.ioas.iopt().removeReservedIova(idev.resvOwner());
        }
        IoPgfault.autoResponseFaults(hwpt, idev, pasid); // iommufd_hwpt_detach_device()
        return hwpt;
    }

    /** iommufd_device_do_attach(). */
    static HwPagetable doAttach(IommufdDevice idev, int pasid, HwPagetable hwpt) {
        hwPagetableAttach(hwpt, idev, pasid);
        return null;
    }

    /** iommufd_group_remove_reserved_iova(). */
    private static void groupRemoveReservedIova(IommufdGroup igroup, HwptPaging hwptPaging) {
        IommufdGroup.Attach attach = igroup.pasidAttach.get(IOMMU_NO_PASID);
        for (IommufdDevice cur : attach.devices.values()) {
            hwptPaging.ioas.iopt().removeReservedIova(cur.resvOwner());
        }
    }

    /**
     * iommufd_group_do_replace_reserved_iova(). Returns true when the reservations were moved
     * within one IOAS (see below), so that a failure can put the old ones back.
     *
     * <p>Mainline enforces only when the paging IOAS changes: every RID attach there reserves
     * every region, so a replace within one IOAS has nothing to change. Under a profile whose
     * nested attach reserves less (SEED: SW_MSI only), a replace between a nested HWPT and its
     * parent (one IOAS) changes the policy: the group's reservations are replaced by the new
     * attachment's (nested -> parent gains the RMRs etc., parent -> nested keeps only SW_MSI).
     */
    private static boolean groupDoReplaceReservedIova(IommufdDevice idev, HwPagetable hwpt, HwptPaging hwptPaging) {
        IommufdGroup igroup = idev.igroup;
        IommufdGroup.Attach attach = igroup.pasidAttach.get(IOMMU_NO_PASID);
        HwPagetable old = attach.hwpt;
        HwptPaging oldPaging = resvPaging(idev, old);
        boolean otherIoas = oldPaging == null || hwptPaging.ioas != oldPaging.ioas;
        KernelProfile profile = idev.ictx.profile();
        boolean policyChange = !otherIoas && profile.resvPolicy(old) != profile.resvPolicy(hwpt);
        try {
            if (otherIoas) {
                for (IommufdDevice cur : attach.devices.values()) {
                    hwptPaging.ioas.iopt().enforceDevResvRegions(cur.resvOwner(), regionsFor(cur, hwpt), null);
                }
            } else if (policyChange) {
                for (IommufdDevice cur : attach.devices.values()) {
                    hwptPaging.ioas.iopt().removeReservedIova(cur.resvOwner());
                    hwptPaging.ioas.iopt().enforceDevResvRegions(cur.resvOwner(), regionsFor(cur, hwpt), null);
                }
            }
            setupMsi(idev, hwpt, hwptPaging);
        } catch (IommufdException e) {
            if (policyChange) {
                groupRestoreReservedIova(igroup, hwptPaging, old, e);
            } else {
                groupRemoveReservedIova(igroup, hwptPaging);
            }
            throw e;
        }
        return policyChange;
    }

    /** A failed policy-changing replace within one IOAS (not in mainline): the old attachment's reservations back. */
    private static void groupRestoreReservedIova(IommufdGroup igroup, HwptPaging hwptPaging, HwPagetable old, IommufdException cause) {
        for (IommufdDevice cur : igroup.pasidAttach.get(IOMMU_NO_PASID).devices.values()) {
            hwptPaging.ioas.iopt().removeReservedIova(cur.resvOwner());
            try {
                hwptPaging.ioas.iopt().enforceDevResvRegions(cur.resvOwner(), regionsFor(cur, old), null);
            } catch (IommufdException again) {
                cause.addSuppressed(again); // they were reserved a moment ago: only an injected failure gets here
            }
        }
    }

    /** iommufd_device_do_replace(): returns the old HWPT for the caller to put, or null. */
    static HwPagetable doReplace(IommufdDevice idev, int pasid, HwPagetable hwpt) {
        HwptPaging hwptPaging = resvPaging(idev, hwpt);
        boolean attachResv = hwptPaging != null && pasid == IOMMU_NO_PASID;
        IommufdGroup igroup = idev.igroup;
        IommufdGroup.Attach attach = igroup.pasidAttach.get(pasid);
        if (attach == null) {
            throw fail(EINVAL, "dev %d (%s) is not attached%s: replace needs an attachment", idev.id(), idev.dev.name(), pasidText(pasid));
        }
        HwPagetable old = attach.hwpt;
        if (!attach.devices.containsKey(idev.id())) {
            throw fail(EINVAL, "dev %d (%s) is not attached%s: replace needs an attachment", idev.id(), idev.dev.name(), pasidText(pasid));
        }
        if (hwpt == old) {
            return null;
        }
        boolean resvMoved = false;
        if (attachResv) {
            resvMoved = groupDoReplaceReservedIova(idev, hwpt, hwptPaging);
        } else if (pasid == IOMMU_NO_PASID && hwpt.findHwptPaging() != null) {
            setupMsi(idev, hwpt, hwpt.findHwptPaging());
        }
        try {
            pasidCompat(hwpt, idev, pasid); // iommufd_hwpt_replace_device()
            if (pasid == IOMMU_NO_PASID) {
                driverAttach(hwpt, idev);
            } else {
                pasidEnableIopf(hwpt, idev);
                PasidAttach.replace(hwpt, idev, pasid, old);
            }
        } catch (IommufdException e) {
            if (resvMoved) {
                groupRestoreReservedIova(igroup, hwptPaging, old, e);
            } else if (attachResv) {
                groupRemoveReservedIova(igroup, hwptPaging); // BUG-4, as Linux 7.2's err_unresv
            }
            throw e;
        }
        HwptPaging oldPaging = resvPaging(idev, old);
        if (oldPaging != null && pasid == IOMMU_NO_PASID && (hwptPaging == null || hwptPaging.ioas != oldPaging.ioas)) {
            groupRemoveReservedIova(igroup, oldPaging);
        }
        attach.hwpt = hwpt;
        IoPgfault.autoResponseFaults(old, idev, pasid); // iommufd_hwpt_replace_device()
        int numDevices = attach.devices.size();
        // Move the device_array's references to the new HWPT; keep one on the old for the caller.
        for (int i = 0; i < numDevices; i++) {
            hwpt.get();
        }
        for (int i = 0; i < numDevices - 1; i++) {
            old.put();
        }
        return old;
    }

    /** iommufd_device_auto_get_domain(): reuse a compatible auto HWPT or make one. */
    static HwPagetable autoGetDomain(IommufdDevice idev, int pasid, Ioas ioas, int[] ptId, AttachFn doAttach) {
        boolean immediateAttach = doAttach instanceof ImmediateAttach;
        for (HwptPaging hwptPaging : List.copyOf(ioas.hwptList)) {
            if (!hwptPaging.autoDomain) {
                continue;
            }
            HwPagetable destroy;
            try {
                destroy = doAttach.apply(idev, pasid, hwptPaging);
            } catch (IommufdException e) {
                if (e.errno() == EINVAL) {
                    continue; // incompatible with this device: try the next one
                }
                throw e;
            }
            ptId[0] = hwptPaging.id();
            return destroy;
        }
        HwptPaging hwptPaging = HwptIoctls.hwptPagingAlloc(idev.ictx, ioas, idev, pasid, 0, immediateAttach, 0, new byte[0]);
        HwPagetable destroy = null;
        if (!immediateAttach) {
            try {
                destroy = doAttach.apply(idev, pasid, hwptPaging);
            } catch (IommufdException e) {
                idev.ictx.abortAndDestroy(hwptPaging);
                throw e;
            }
        }
        hwptPaging.autoDomain = true;
        ptId[0] = hwptPaging.id();
        idev.ictx.objects.finalize(hwptPaging);
        return destroy;
    }

    /** Marker for the attach path (the kernel compares function pointers). */
    interface ImmediateAttach extends AttachFn {
    }

    static final ImmediateAttach DO_ATTACH = DeviceAttach::doAttach;
    static final AttachFn DO_REPLACE = DeviceAttach::doReplace;

    /** iommufd_device_change_pt(). Returns the resulting pt_id. */
    static int changePt(IommufdDevice idev, int pasid, int ptId, AttachFn doAttach) {
        IommufdObject ptObj = idev.ictx.objects.get(ptId, ObjType.ANY, IommufdObject.class, "object");
        HwPagetable destroy;
        int[] outPtId = {ptId};
        switch (ptObj.type()) {
            case HWPT_NESTED, HWPT_PAGING -> destroy = doAttach.apply(idev, pasid, (HwPagetable) ptObj);
            case IOAS -> destroy = autoGetDomain(idev, pasid, (Ioas) ptObj, outPtId, doAttach);
            default -> throw fail(EINVAL, "pt_id %d is a %s; attach takes an IOAS or a HWPT", ptId, ptObj.type());
        }
        if (destroy != null) {
            idev.ictx.hwPagetablePut(destroy);
        }
        return outPtId[0];
    }

    /** iommufd_device_attach(). */
    static int attach(IommufdDevice idev, int pasid, int ptId) {
        int out = changePt(idev, pasid, ptId, DO_ATTACH);
        idev.get(); // pairs with detach: a device with an attachment cannot be destroyed
        return out;
    }

    /** iommufd_device_replace(). */
    static int replace(IommufdDevice idev, int pasid, int ptId) {
        return changePt(idev, pasid, ptId, DO_REPLACE);
    }

    /** iommufd_device_detach(). */
    static void detach(IommufdDevice idev, int pasid) {
        HwPagetable hwpt = hwPagetableDetach(idev, pasid);
        if (hwpt == null) {
            return;
        }
        idev.ictx.hwPagetablePut(hwpt);
        idev.put();
    }

    private static String pasidText(int pasid) {
        return pasid == IOMMU_NO_PASID ? "" : " on pasid " + pasid;
    }
}
