package dev.iommufdsim.repl.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.check.FailNthSweep;
import dev.iommufdsim.kernel.uapi.Uapi;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * fail_nth over attach, HWPT_ALLOC (paging and nested) and IOAS_MAP on the shipped drivers
 * (ARM SMMUv3 with its vSMMU and SW_MSI window, Intel VT-d with RMRRs and first-stage nesting,
 * the selftest mock), the machine of the op fuzzer's preamble.
 */
class ShippedDriversFailNthTest {
    static final int RW = Uapi.IOMMU_IOAS_MAP_READABLE | Uapi.IOMMU_IOAS_MAP_WRITEABLE;
    static final int FIXED = Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
    static final long VA = 0x400000000000L;

    record Scenario(String name, Function<IommufdCtx, Runnable> prepare) {
    }

    static int ioasWithAreas(IommufdCtx ctx) {
        int ioas = ctx.ioasAlloc(0);
        ctx.ioasMap(ioas, RW | FIXED, VA, 0x4000, 0x1000000, 0);
        ctx.ioasMap(ioas, RW | FIXED, VA + 0x200000, 0x2000, 0x1100000, 0);
        return ioas;
    }

    static int bind(IommufdCtx ctx, String device) {
        return ctx.vfioDeviceBind(ctx.machine().device(device), 0);
    }

    static byte[] words(long... w) {
        List<Object> l = new ArrayList<>();
        for (long x : w) {
            l.add(x);
        }
        return FuzzWorld.words(l);
    }

    /** A valid vSTE (V, CFG=S1_TRANS) and a VT-d stage-1 (48-bit, page table at 0x1000). */
    static final byte[] STE = words(0xb, 0, 0, 0);
    static final byte[] VTD_S1 = words(0, 0, 0x1000, 0, 48, 0);

    static List<Scenario> scenarios() {
        List<Scenario> s = new ArrayList<>();
        s.add(new Scenario("vfio_attach arm_smmuv3: auto domain on an IOAS with areas", ctx -> {
            int ioas = ioasWithAreas(ctx);
            int dev = bind(ctx, "nic0");
            return () -> ctx.vfioDeviceAttach(dev, 0, ioas, 0);
        }));
        s.add(new Scenario("vfio_attach intel_vtd: auto domain beside an smmu domain", ctx -> {
            int ioas = ioasWithAreas(ctx);
            ctx.vfioDeviceAttach(bind(ctx, "nic0"), 0, ioas, 0);
            int dev = bind(ctx, "usb0");
            return () -> ctx.vfioDeviceAttach(dev, 0, ioas, 0);
        }));
        s.add(new Scenario("vfio_attach arm_smmuv3: nested HWPT through the vSMMU", ctx -> {
            int ioas = ioasWithAreas(ctx);
            int dev = bind(ctx, "nic0");
            int parent = ctx.hwptAlloc(Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
            int viommu = ctx.viommuAlloc(0, Uapi.IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, parent, null).outViommuId();
            ctx.vdeviceAlloc(viommu, dev, 0x100);
            int nested = ctx.hwptAlloc(0, dev, viommu, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, STE, 0, 0);
            return () -> ctx.vfioDeviceAttach(dev, 0, nested, 0);
        }));
        s.add(new Scenario("hwpt_alloc arm_smmuv3: nested through the vSMMU", ctx -> {
            int ioas = ioasWithAreas(ctx);
            int dev = bind(ctx, "nic0");
            int parent = ctx.hwptAlloc(Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
            int viommu = ctx.viommuAlloc(0, Uapi.IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, parent, null).outViommuId();
            return () -> ctx.hwptAlloc(0, dev, viommu, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, STE, 0, 0);
        }));
        s.add(new Scenario("hwpt_alloc intel_vtd: nest parent on an IOAS with areas", ctx -> {
            int ioas = ioasWithAreas(ctx);
            int dev = bind(ctx, "ssd0");
            return () -> ctx.hwptAlloc(Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
        }));
        s.add(new Scenario("hwpt_alloc intel_vtd: nested first stage on a parent", ctx -> {
            int ioas = ioasWithAreas(ctx);
            int dev = bind(ctx, "ssd0");
            int parent = ctx.hwptAlloc(Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
            return () -> ctx.hwptAlloc(0, dev, parent, Uapi.IOMMU_HWPT_DATA_VTD_S1, VTD_S1, 0, 0);
        }));
        s.add(new Scenario("ioas_map: into an IOAS with smmu, vt-d and mock domains", ctx -> {
            int ioas = ioasWithAreas(ctx);
            ctx.vfioDeviceAttach(bind(ctx, "nic0"), 0, ioas, 0);
            ctx.vfioDeviceAttach(bind(ctx, "ssd0"), 0, ioas, 0);
            ctx.selftest().mockDomain(ioas, 0);
            return () -> ctx.ioasMap(ioas, RW, VA + 0x800000, 0x6000, 0, 0);
        }));
        return s;
    }

    @Test
    void everyInjectedFailureIsCleanOnTheShippedDrivers() {
        List<String> failures = new ArrayList<>();
        long injections = 0;
        for (Scenario sc : scenarios()) {
            FailNthSweep.Result r = FailNthSweep.sweep(sc.name(), () -> {
                FuzzWorld w = new FuzzWorld(FuzzPlugins.host());
                Machine m = w.machine();
                IommufdCtx ctx = w.session().open();
                return new FailNthSweep.Prepared(m, sc.prepare().apply(ctx));
            }, 200);
            injections += r.failedSteps().size();
            r.failures().forEach(p -> failures.add(p.toString()));
            System.out.printf("fail_nth %-60s %3d steps%n", sc.name(), r.steps());
        }
        System.out.printf("fail_nth on the shipped drivers: %d scenarios, %d injected failures, %d problems%n", scenarios().size(),
                injections, failures.size());
        assertTrue(failures.isEmpty(), String.join("\n\n", failures));
    }
}
