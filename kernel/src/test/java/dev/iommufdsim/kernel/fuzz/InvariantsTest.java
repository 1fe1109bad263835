package dev.iommufdsim.kernel.fuzz;

import static dev.iommufdsim.kernel.fuzz.FuzzDrivers.SW_MSI;
import static dev.iommufdsim.kernel.fuzz.FuzzDrivers.region;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.HwptPaging;
import dev.iommufdsim.kernel.Ioas;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.IommufdDevice;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.ResvOwner;
import dev.iommufdsim.kernel.check.Invariants;
import dev.iommufdsim.kernel.check.Snapshot;
import dev.iommufdsim.kernel.iopt.ReservedIntervals;
import dev.iommufdsim.kernel.spi.ResvType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The checker is not vacuous: on a healthy state every invariant holds and the snapshot is
 * stable; each kind of corruption (made by reflection, which no uAPI call can do) is reported
 * under its invariant's name.
 */
class InvariantsTest {
    /** A busy state: an IOAS with areas, a SW_MSI device attached with an MSI page, a mock device, a fault queue. */
    static final class State {
        final Machine m = FuzzDrivers.machine(KernelProfile.MAINLINE);
        final IommufdCtx ctx;
        final int ioas;
        final int dev;
        final int hwpt;
        final PhysDevice nic;

        State() {
            m.declareIommu("smmu0", "regions", Map.of());
            nic = m.declareDevice("nic", "smmu0", "0000:01:00.0", null, Map.of("resv",
                    List.of(region(SW_MSI, 0x100000, ResvType.SW_MSI), region(0x20000000, 0x10000, ResvType.RESERVED))));
            ctx = m.open();
            ioas = ctx.ioasAlloc(0);
            ctx.ioasMap(ioas, 7, 0x400000000000L, 0x4000, 0x1000000, 0);
            dev = ctx.vfioDeviceBind(nic, 0);
            hwpt = ctx.vfioDeviceAttach(dev, 0, ioas, 0);
            ctx.msiRequest(dev, -1);
            ctx.selftest().mockDomain(ioas, 0);
            ctx.faultQueueAlloc(0);
        }

        Ioas ioasObj() {
            return (Ioas) ctx.object(ioas);
        }
    }

    static Object field(Object target, Class<?> cls, String name) throws ReflectiveOperationException {
        Field f = cls.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(target);
    }

    static void set(Object target, Class<?> cls, String name, Object value) throws ReflectiveOperationException {
        Field f = cls.getDeclaredField(name);
        f.setAccessible(true);
        f.set(target, value);
    }

    static void expectViolation(String invariant, Consumer<State> corrupt) {
        State s = new State();
        assertTrue(Invariants.check(s.m).ok(), () -> "healthy state: " + Invariants.check(s.m));
        corrupt.accept(s);
        Invariants.Report r = Invariants.check(s.m);
        assertTrue(r.violations().stream().anyMatch(v -> v.startsWith(invariant + ":")), () -> "expected a '" + invariant + "' violation, got: " + r);
    }

    interface Corruption {
        void apply(State s) throws ReflectiveOperationException;
    }

    static Consumer<State> unchecked(Corruption c) {
        return s -> {
            try {
                c.apply(s);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        };
    }

    @Test
    void healthyStateHoldsAndSnapshotsAreStable() {
        State s = new State();
        Invariants.Report r = Invariants.check(s.m);
        assertTrue(r.ok(), r.toString());
        assertTrue(r.checks() > 50, "only " + r.checks() + " checks");
        assertEquals(Snapshot.of(s.m), Snapshot.of(s.m));
        Snapshot before = Snapshot.of(s.m);
        s.ctx.ioasMap(s.ioas, 7, 0x400000000000L, 0x1000, 0x2000000, 0);
        assertNotEquals(before, Snapshot.of(s.m));
        // the IOAS has a domain, so the new area pins its user pages
        assertEquals(List.of("ctx1/obj" + s.ioas + "/areas", "machine/pins"), before.diffKeys(Snapshot.of(s.m)));
        s.ctx.close();
        assertTrue(Invariants.checkClosed(s.ctx).ok(), Invariants.checkClosed(s.ctx).toString());
    }

    @Test
    void usersCountIsRecounted() {
        expectViolation("users", unchecked(s -> set(s.ioasObj(), dev.iommufdsim.kernel.IommufdObject.class, "users", 7)));
    }

    @Test
    void leakedIdIsFound() {
        expectViolation("ids", unchecked(s -> ((BitSet) field(field(s.ctx, IommufdCtx.class, "objects"),
                Class.forName("dev.iommufdsim.kernel.ObjectTable"), "used")).set(40)));
    }

    @Test
    void reservedRangeOverAnAreaIsFound() {
        expectViolation("iopt", unchecked(s -> {
            @SuppressWarnings("unchecked")
            ReservedIntervals<ResvOwner> resv = (ReservedIntervals<ResvOwner>) field(s.ioasObj().iopt(), s.ioasObj().iopt().getClass(), "reserved");
            resv.add(0x1001000, 0x1001fff, ResvOwner.SELFTEST);
        }));
    }

    @Test
    void wrongAlignmentIsFound() {
        expectViolation("iopt", unchecked(s -> set(s.ioasObj().iopt(), s.ioasObj().iopt().getClass(), "iovaAlignment", 1L)));
    }

    @Test
    void missingDeviceReservationIsFound() {
        expectViolation("resv", unchecked(s -> {
            Method m = s.ioasObj().iopt().getClass().getDeclaredMethod("removeReservedIova", ResvOwner.class);
            m.setAccessible(true);
            m.invoke(s.ioasObj().iopt(), ((IommufdDevice) s.ctx.object(s.dev)).resvOwner());
        }));
    }

    @Test
    void missingSwMsiPageIsFound() {
        expectViolation("sw_msi", unchecked(s -> set(s.ctx.object(s.hwpt), HwptPaging.class, "presentSwMsi", 0L)));
    }

    @Test
    void aLeakedPinIsFound() {
        // a pin nobody holds: the user page of the mapping pinned twice
        expectViolation("pins", unchecked(s -> {
            Method pin = s.m.userPagePins().getClass().getDeclaredMethod("pin", dev.iommufdsim.kernel.UserMemory.class, long.class, long.class);
            pin.setAccessible(true);
            pin.invoke(s.m.userPagePins(), s.ctx.memory(), 0x400000000L, 0x400000000L);
        }));
    }

    @Test
    void closedContextStillOwningAGroupIsFound() throws ReflectiveOperationException {
        State s = new State();
        s.ctx.close();
        set(s.nic.group(), s.nic.group().getClass(), "dmaOwner", s.ctx);
        Invariants.Report r = Invariants.checkClosed(s.ctx);
        assertTrue(r.violations().stream().anyMatch(v -> v.startsWith("close:")), r.toString());
    }
}
