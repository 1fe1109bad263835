package dev.iommufdsim.kernel.fuzz;

import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.FailNth;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.check.Invariants;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.Map;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Minimal reproductions of the kernel bugs the robustness work found (docs/robustness.md,
 * "Bugs found"). Each asserts the kernel's behaviour and fails on the emulator today; the
 * lead enables it with the fix (and drops the matching entry of FailNthTest.KNOWN).
 */
class KnownBugsTest {
    private static <T> T failing(long nth, java.util.function.Supplier<T> call) {
        FailNth.arm(nth);
        try {
            return call.get();
        } finally {
            FailNth.disarm();
        }
    }

    /**
     * BUG-1: iommufd_device_bind() does not unwind when the DEVICE object cannot be allocated:
     * the DMA ownership claim and the iommufd_group reference stay, so the group stays owned by
     * the context with no device bound (other contexts get EPERM for ever; close() does not free
     * it). The kernel's "goto out_release_owner" releases both.
     */
    @Test
    void bug1BindUnwindsWhenTheDeviceObjectCannotBeAllocated() {
        Machine m = FuzzDrivers.machine(KernelProfile.MAINLINE);
        m.declareIommu("smmu0", "regions", Map.of());
        PhysDevice nic = m.declareDevice("nic", "smmu0", "0000:01:00.0", null, Map.of());
        IommufdCtx a = m.open();
        // Step 1 is the iommufd_group allocation, step 2 the DEVICE object's ID.
        IommufdException e = assertThrows(IommufdException.class, () -> failing(2, () -> a.vfioDeviceBind(nic, 0)));
        assertEquals(Errno.ENOMEM, e.errno());
        assertNull(nic.group().dmaOwner(), "the group must not stay owned by ctx " + a.number());
        assertEquals(0, a.groupCount());
        IommufdCtx b = m.open();
        assertEquals(1, b.vfioDeviceBind(nic, 0), "another context must be able to bind the device");
        assertTrue(Invariants.check(m).ok(), Invariants.check(m).toString());
    }

    /**
     * BUG-2: IOMMU_VIOMMU_ALLOC publishes the vIOMMU (iommufd_object_finalize) before it asks the
     * driver for the data to copy back; when that fails (a plugin throwing, EIO by the
     * containment, or the copy-out failing), the call returns an error but the vIOMMU stays, with
     * its reference on the nesting parent, under an ID the caller never learnt.
     */
    @Test
    void bug2ViommuAllocLeavesNothingWhenTheOutDataFails() {
        Machine m = FuzzDrivers.machine(KernelProfile.MAINLINE);
        m.declareIommu("smmu0", "regions", Map.of("bad_out_data", true));
        PhysDevice nic = m.declareDevice("nic", "smmu0", "0000:01:00.0", null, Map.of());
        IommufdCtx ctx = m.open();
        int ioas = ctx.ioasAlloc(0);
        int dev = ctx.vfioDeviceBind(nic, 0);
        int parent = ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
        IommufdException e = assertThrows(IommufdException.class,
                () -> ctx.viommuAlloc(0, FuzzDrivers.VIOMMU_TYPE, dev, parent, null));
        assertEquals(Errno.EIO, e.errno());
        assertNull(ctx.object(parent + 1), "the failed call left vIOMMU " + (parent + 1) + " behind");
        ctx.destroy(parent); // EBUSY today: the leaked vIOMMU holds the parent
    }

    /**
     * BUG-3: IOMMU_FAULT_QUEUE_ALLOC and IOMMU_VEVENTQ_ALLOC take the file descriptor before the
     * object ID and do not give it back when the ID allocation fails (the kernel's
     * put_unused_fd), so the next queue's out_fault_fd / out_veventq_fd skips a number.
     */
    @Test
    void bug3FailedQueueAllocGivesTheFdBack() {
        IommufdCtx ctx = FuzzDrivers.machine(KernelProfile.MAINLINE).open();
        // Step 1 is get_unused_fd_flags, step 2 the FAULT object's ID.
        assertThrows(IommufdException.class, () -> failing(2, () -> ctx.faultQueueAlloc(0)));
        assertEquals(4, ctx.faultQueueAlloc(0).fd(), "fd 4 (0-2 stdio, 3 the iommufd) must still be free");
    }

    /**
     * BUG-4 (mirrors the kernel: iommufd_device_do_replace's err_unresv): a replace onto another
     * HWPT of the same IOAS that fails removes the group's reserved regions from that IOAS,
     * although the group stays attached to its old HWPT there. Auto-domain selection makes it
     * happen on a successful call too: re-attaching to the IOAS tries the other driver's auto
     * domain first (EINVAL, "incompatible"), which strips the reservations, then keeps the old one.
     */
    @Test
    @Disabled("BUG-4, kept on purpose: Linux 7.2 does the same (err_unresv in iommufd_device_do_replace); enable with the kernel's fix")
    void bug4ReplaceWithinOneIoasKeepsTheReservations() {
        Machine m = FuzzDrivers.machine(KernelProfile.MAINLINE);
        m.declareIommu("smmu0", "regions", Map.of());
        PhysDevice nic = m.declareDevice("nic", "smmu0", "0000:01:00.0", null,
                Map.of("resv", java.util.List.of(FuzzDrivers.region(FuzzDrivers.SW_MSI, 0x100000, dev.iommufdsim.kernel.spi.ResvType.SW_MSI))));
        IommufdCtx ctx = m.open();
        int ioas = ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(ioas, 0); // the mock's auto domain comes first in the IOAS's list
        int dev = ctx.vfioDeviceBind(nic, 0);
        ctx.vfioDeviceAttach(dev, 0, ioas, 0);
        ctx.vfioDeviceAttach(dev, 0, ioas, 0); // a replace: the mock domain refuses (EINVAL), the own one is kept
        assertTrue(Invariants.check(m).ok(), Invariants.check(m).toString());
        assertThrows(IommufdException.class, () -> ctx.ioasMap(ioas, 6 | 1, 0x400000000000L, 0x1000, FuzzDrivers.SW_MSI, 0),
                "the SW_MSI window of the attached device must stay reserved");
    }

    /**
     * BUG-5: IOAS_COPY without FIXED_IOVA checks the alignment of the total length and of each
     * slice's sub-page offset only; slices of byte-granular source areas become areas whose IOVA
     * and length are not aligned to the destination's iova_alignment. With a domain attached the
     * kernel fails the copy (iommu_map of the unaligned slice: EINVAL, rolled back).
     */
    @Test

    void bug5CopyNeverCreatesMisalignedAreas() {
        Machine m = FuzzDrivers.machine(KernelProfile.MAINLINE);
        m.declareIommu("smmu0", "regions", Map.of());
        PhysDevice nic = m.declareDevice("nic", "smmu0", "0000:01:00.0", null, Map.of());
        IommufdCtx ctx = m.open();
        int src = ctx.ioasAlloc(0);
        ctx.ioasMap(src, 7, 0x400000000000L, 0x1001, 0x10000, 0);
        ctx.ioasMap(src, 7, 0x400000100000L, 0x1fff, 0x11001, 0);
        int dst = ctx.ioasAlloc(0);
        int dev = ctx.vfioDeviceBind(nic, 0);
        ctx.vfioDeviceAttach(dev, 0, dst, 0);
        IommufdException e = assertThrows(IommufdException.class, () -> ctx.ioasCopy(6, dst, src, 0x3000, 0, 0x10000));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(Invariants.check(m).ok(), Invariants.check(m).toString());
    }

    /**
     * BUG-6 (fixed): under the seed profile a nested attach reserves only SW_MSI, a paging attach
     * every region; a replace between a nested HWPT and its parent (one IOAS) now moves the
     * group's reservations to the new attachment's policy, both ways, and a failed one puts the
     * old ones back (DeviceAttach.groupDoReplaceReservedIova).
     */
    @Test
    void bug6SeedReplaceBetweenNestedAndParentFollowsTheNewPolicy() {
        Machine m = FuzzDrivers.machine(KernelProfile.SEED);
        m.declareIommu("smmu0", "regions", Map.of());
        long rmr = 0x20000000L;
        PhysDevice nic = m.declareDevice("nic", "smmu0", "0000:01:00.0", null,
                Map.of("resv", java.util.List.of(FuzzDrivers.region(FuzzDrivers.SW_MSI, 0x100000, dev.iommufdsim.kernel.spi.ResvType.SW_MSI),
                        FuzzDrivers.region(rmr, 0x10000, dev.iommufdsim.kernel.spi.ResvType.RESERVED))));
        IommufdCtx ctx = m.open();
        int ioas = ctx.ioasAlloc(0);
        int dev = ctx.vfioDeviceBind(nic, 0);
        int parent = ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
        int nested = ctx.hwptAlloc(0, dev, parent, FuzzDrivers.DATA_TYPE, new byte[] {1, 0, 0, 0}, 0, 0);
        ctx.vfioDeviceAttach(dev, 0, nested, 0);
        assertEquals(java.util.List.of(new dev.iommufdsim.kernel.uapi.IovaRange(0, FuzzDrivers.SW_MSI - 1),
                new dev.iommufdsim.kernel.uapi.IovaRange(FuzzDrivers.SW_MSI + 0x100000, (1L << 48) - 1)),
                ctx.ioasIovaRanges(ioas, 16, 0).ranges(), "nested: SW_MSI only");
        ctx.vfioDeviceAttach(dev, 0, parent, 0); // replace nested -> parent: every region
        assertTrue(Invariants.check(m).ok(), Invariants.check(m).toString());
        IommufdException e = assertThrows(IommufdException.class, () -> ctx.ioasMap(ioas, 6 | 1, 0x400000000000L, 0x1000, rmr, 0));
        assertEquals(Errno.EINVAL, e.errno());
        ctx.vfioDeviceAttach(dev, 0, nested, 0); // replace parent -> nested: SW_MSI only again
        assertTrue(Invariants.check(m).ok(), Invariants.check(m).toString());
        ctx.ioasMap(ioas, 6 | 1, 0x400000000000L, 0x1000, rmr, 0); // the RESERVED region is the VMM's to avoid
        // and now nested -> parent meets that mapping: EADDRINUSE, the SW_MSI-only reservations stay
        IommufdException busy = assertThrows(IommufdException.class, () -> ctx.vfioDeviceAttach(dev, 0, parent, 0));
        assertEquals(Errno.EADDRINUSE, busy.errno());
        assertTrue(Invariants.check(m).ok(), Invariants.check(m).toString());
        assertEquals(Errno.EINVAL, assertThrows(IommufdException.class,
                () -> ctx.ioasMap(ioas, 6 | 1, 0x400000000000L, 0x1000, FuzzDrivers.SW_MSI, 0)).errno());
    }
}
