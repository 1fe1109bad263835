package dev.iommufdsim.kernel.fuzz;

import static dev.iommufdsim.kernel.fuzz.FuzzDrivers.DATA_TYPE;
import static dev.iommufdsim.kernel.fuzz.FuzzDrivers.MOCK_DATA_TYPE;
import static dev.iommufdsim.kernel.fuzz.FuzzDrivers.SW_MSI;
import static dev.iommufdsim.kernel.fuzz.FuzzDrivers.VIOMMU_TYPE;
import static dev.iommufdsim.kernel.fuzz.FuzzDrivers.region;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_ALLOC_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_HWPT_FAULT_ID_VALID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_WRITEABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.VFIO_DEVICE_ATTACH_PASID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.FailNth;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.check.FailNthSweep;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * fail_nth over the calls that allocate (iommufd_fail_nth.c): for attach (auto domain, manual,
 * nested, through a vIOMMU, replace, PASID, a group sibling), HWPT_ALLOC (paging and nested),
 * IOAS_MAP and COPY and the other allocating calls, every allocation step is made to fail in
 * turn; each failure must leave no trace (see {@link FailNthSweep}).
 */
class FailNthTest {
    static final int RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    static final long VA = 0x400000000000L;
    static final byte[] S1 = {1, 0, 0, 0};

    /** A machine with one open context: a regions IOMMU with SW_MSI devices (two in one group), a narrow one, the mock. */
    static final class World {
        final Machine m;
        final IommufdCtx ctx;
        final PhysDevice nic;
        final PhysDevice sib1;
        final PhysDevice sib2;
        final PhysDevice plain;

        World(KernelProfile profile) {
            m = FuzzDrivers.machine(profile);
            m.declareIommu("smmu0", "regions", Map.of());
            m.declareIommu("narrow0", "regions", Map.of("aperture_last", 0xffffffffL));
            nic = m.declareDevice("nic", "smmu0", "0000:01:00.0", null, Map.of("resv",
                    List.of(region(SW_MSI, 0x100000, ResvType.SW_MSI), region(0x20000000, 0x10000, ResvType.RESERVED)), "max_pasids", 16L));
            Map<String, Object> sibProps = Map.of("resv", List.of(region(SW_MSI, 0x100000, ResvType.SW_MSI),
                    region(0x30000000, 0x1000, ResvType.RESERVED), region(0x31000000, 0x1000, ResvType.DIRECT_RELAXABLE)));
            sib1 = m.declareDevice("sib1", "smmu0", "0000:02:00.0", "g", sibProps);
            sib2 = m.declareDevice("sib2", "smmu0", "0000:02:00.1", "g", sibProps);
            plain = m.declareDevice("plain", "narrow0", "0000:03:00.0", null, Map.of());
            ctx = m.open();
        }

        int ioasWithAreas() {
            int ioas = ctx.ioasAlloc(0);
            ctx.ioasMap(ioas, RW | IOMMU_IOAS_MAP_FIXED_IOVA, VA, 0x4000, 0x1000000, 0);
            ctx.ioasMap(ioas, RW | IOMMU_IOAS_MAP_FIXED_IOVA, VA + 0x200000, 0x1000, 0x1100000, 0);
            return ioas;
        }
    }

    record Scenario(String name, KernelProfile profile, Function<World, Runnable> prepare) {
    }

    static List<Scenario> scenarios() {
        List<Scenario> s = new ArrayList<>();
        for (KernelProfile p : KernelProfile.values()) {
            String tag = " [" + p.userName() + "]";
            s.add(new Scenario("vfio_attach: new auto domain on an IOAS with areas" + tag, p, w -> {
                int ioas = w.ioasWithAreas();
                int dev = w.ctx.vfioDeviceBind(w.nic, 0);
                return () -> w.ctx.vfioDeviceAttach(dev, 0, ioas, 0);
            }));
            s.add(new Scenario("vfio_attach: nested HWPT on a parent" + tag, p, w -> {
                int ioas = w.ioasWithAreas();
                int dev = w.ctx.vfioDeviceBind(w.nic, 0);
                int parent = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
                int nested = w.ctx.hwptAlloc(0, dev, parent, DATA_TYPE, S1, 0, 0);
                return () -> w.ctx.vfioDeviceAttach(dev, 0, nested, 0);
            }));
            s.add(new Scenario("vfio_attach: replace a group onto a nested HWPT through a vIOMMU" + tag, p, w -> {
                int ioas = w.ioasWithAreas();
                int d1 = w.ctx.vfioDeviceBind(w.sib1, 0);
                int d2 = w.ctx.vfioDeviceBind(w.sib2, 0);
                w.ctx.vfioDeviceAttach(d1, 0, ioas, 0);
                w.ctx.vfioDeviceAttach(d2, 0, ioas, 0);
                w.ctx.msiRequest(d1, -1);
                int ioas2 = w.ctx.ioasAlloc(0);
                int parent = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, d1, ioas2, 0, null, 0, 0);
                int viommu = w.ctx.viommuAlloc(0, VIOMMU_TYPE, d1, parent, null).outViommuId();
                w.ctx.vdeviceAlloc(viommu, d1, 0x10);
                w.ctx.vdeviceAlloc(viommu, d2, 0x11);
                int nested = w.ctx.hwptAlloc(0, d1, viommu, DATA_TYPE, S1, 0, 0);
                return () -> w.ctx.vfioDeviceAttach(d1, 0, nested, 0);
            }));
        }
        KernelProfile p = KernelProfile.MAINLINE;
        s.add(new Scenario("vfio_attach: existing auto domain", p, w -> {
            int ioas = w.ioasWithAreas();
            int d0 = w.ctx.vfioDeviceBind(w.nic, 0);
            w.ctx.vfioDeviceAttach(d0, 0, ioas, 0);
            int dev = w.ctx.vfioDeviceBind(w.sib1, 0);
            return () -> w.ctx.vfioDeviceAttach(dev, 0, ioas, 0);
        }));
        s.add(new Scenario("vfio_attach: a group sibling to its group's HWPT", p, w -> {
            int ioas = w.ioasWithAreas();
            int d1 = w.ctx.vfioDeviceBind(w.sib1, 0);
            int d2 = w.ctx.vfioDeviceBind(w.sib2, 0);
            int hwpt = w.ctx.vfioDeviceAttach(d1, 0, ioas, 0);
            return () -> w.ctx.vfioDeviceAttach(d2, 0, hwpt, 0);
        }));
        s.add(new Scenario("vfio_attach: manual paging HWPT", p, w -> {
            int ioas = w.ioasWithAreas();
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            int hwpt = w.ctx.hwptAlloc(0, dev, ioas, 0, null, 0, 0);
            return () -> w.ctx.vfioDeviceAttach(dev, 0, hwpt, 0);
        }));
        s.add(new Scenario("vfio_attach: replace onto another IOAS", p, w -> {
            int ioas = w.ioasWithAreas();
            int ioas2 = w.ioasWithAreas();
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            w.ctx.vfioDeviceAttach(dev, 0, ioas, 0);
            w.ctx.msiRequest(dev, -1);
            return () -> w.ctx.vfioDeviceAttach(dev, 0, ioas2, 0);
        }));
        s.add(new Scenario("vfio_attach: a PASID", p, w -> {
            int ioas = w.ioasWithAreas();
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            int hwpt = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_PASID, dev, ioas, 0, null, 0, 0);
            return () -> w.ctx.vfioDeviceAttach(dev, VFIO_DEVICE_ATTACH_PASID, hwpt, 5);
        }));
        s.add(new Scenario("hwpt_alloc: paging on an IOAS with areas, with a fault queue", p, w -> {
            int ioas = w.ioasWithAreas();
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            int fault = w.ctx.faultQueueAlloc(0).id();
            return () -> w.ctx.hwptAlloc(IOMMU_HWPT_FAULT_ID_VALID, dev, ioas, 0, null, fault, 0);
        }));
        s.add(new Scenario("hwpt_alloc: nest parent on a narrow IOMMU", p, w -> {
            int ioas = w.ctx.ioasAlloc(0);
            w.ctx.ioasMap(ioas, RW | IOMMU_IOAS_MAP_FIXED_IOVA, VA, 0x2000, 0x10000, 0);
            int dev = w.ctx.vfioDeviceBind(w.plain, 0);
            return () -> w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
        }));
        s.add(new Scenario("hwpt_alloc: nested on a parent, with a fault queue", p, w -> {
            int ioas = w.ioasWithAreas();
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            int parent = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
            int fault = w.ctx.faultQueueAlloc(0).id();
            return () -> w.ctx.hwptAlloc(IOMMU_HWPT_FAULT_ID_VALID, dev, parent, DATA_TYPE, S1, fault, 0);
        }));
        s.add(new Scenario("hwpt_alloc: nested through a vIOMMU", p, w -> {
            int ioas = w.ioasWithAreas();
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            int parent = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
            int viommu = w.ctx.viommuAlloc(0, VIOMMU_TYPE, dev, parent, null).outViommuId();
            return () -> w.ctx.hwptAlloc(0, dev, viommu, DATA_TYPE, S1, 0, 0);
        }));
        s.add(new Scenario("hwpt_alloc: nested on a mock parent", p, w -> {
            int ioas = w.ctx.ioasAlloc(0);
            int idev = w.ctx.selftest().mockDomain(ioas, 0).outIdevId();
            int parent = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, idev, ioas, 0, null, 0, 0);
            return () -> w.ctx.hwptAlloc(0, idev, parent, MOCK_DATA_TYPE, S1, 0, 0);
        }));
        s.add(new Scenario("ioas_map: FIXED_IOVA into an IOAS with three domains", p, w -> {
            int ioas = w.ioasWithAreas();
            w.ctx.selftest().mockDomain(ioas, 0);
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            w.ctx.vfioDeviceAttach(dev, 0, ioas, 0);
            w.ctx.hwptAlloc(0, dev, ioas, 0, null, 0, 0);
            return () -> w.ctx.ioasMap(ioas, RW | IOMMU_IOAS_MAP_FIXED_IOVA, VA + 0x800000, 0x8000, 0x2000000, 0);
        }));
        s.add(new Scenario("ioas_map: automatic IOVA with a domain", p, w -> {
            int ioas = w.ioasWithAreas();
            w.ctx.selftest().mockDomain(ioas, 0);
            return () -> w.ctx.ioasMap(ioas, RW, VA + 0x800000, 0x3000, 0, 0);
        }));
        s.add(new Scenario("ioas_copy: across IOASes with domains", p, w -> {
            int src = w.ioasWithAreas();
            int dst = w.ctx.ioasAlloc(0);
            w.ctx.selftest().mockDomain(dst, 0);
            w.ctx.selftest().mockDomain(dst, 0);
            return () -> w.ctx.ioasCopy(RW, dst, src, 0x3000, 0, 0x1000000);
        }));
        s.add(new Scenario("mock_domain: on an IOAS with areas", p, w -> {
            int ioas = w.ioasWithAreas();
            return () -> w.ctx.selftest().mockDomain(ioas, 0);
        }));
        s.add(new Scenario("mock_domain_replace: onto another IOAS", p, w -> {
            int ioas = w.ioasWithAreas();
            int ioas2 = w.ioasWithAreas();
            int stdev = w.ctx.selftest().mockDomain(ioas, 0).outStdevId();
            return () -> w.ctx.selftest().mockDomainReplace(stdev, ioas2);
        }));
        s.add(new Scenario("create_access: a pinning access on an IOAS with areas", p, w -> {
            int ioas = w.ioasWithAreas();
            return () -> w.ctx.selftest().createAccess(ioas, 1);
        }));
        s.add(new Scenario("access_pages: over two areas, a page of the first already pinned by the access", p, w -> {
            int ioas = w.ctx.ioasAlloc(0);
            w.ctx.ioasMap(ioas, RW | IOMMU_IOAS_MAP_FIXED_IOVA, VA, 0x4000, 0x1000000, 0);
            w.ctx.ioasMap(ioas, RW | IOMMU_IOAS_MAP_FIXED_IOVA, VA + 0x4000, 0x4000, 0x1004000, 0);
            int fd = w.ctx.selftest().createAccess(ioas, 1);
            w.ctx.selftest().accessPages(fd, 0x1000000, 0x1000, VA, 0);
            return () -> w.ctx.selftest().accessPages(fd, 0x1000000, 0x8000, VA, 0);
        }));
        s.add(new Scenario("mock_domain: on an IOAS whose pages an access holds", p, w -> {
            int ioas = w.ioasWithAreas();
            int fd = w.ctx.selftest().createAccess(ioas, 1);
            w.ctx.selftest().accessPages(fd, 0x1000000, 0x2000, VA, 0);
            return () -> w.ctx.selftest().mockDomain(ioas, 0);
        }));
        s.add(new Scenario("vfio_bind", p, w -> () -> w.ctx.vfioDeviceBind(w.sib1, 0)));
        s.add(new Scenario("viommu_alloc", p, w -> {
            int ioas = w.ctx.ioasAlloc(0);
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            int parent = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
            return () -> w.ctx.viommuAlloc(0, VIOMMU_TYPE, dev, parent, null);
        }));
        s.add(new Scenario("vdevice_alloc", p, w -> {
            int ioas = w.ctx.ioasAlloc(0);
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            int parent = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
            int viommu = w.ctx.viommuAlloc(0, VIOMMU_TYPE, dev, parent, null).outViommuId();
            return () -> w.ctx.vdeviceAlloc(viommu, dev, 0x42);
        }));
        s.add(new Scenario("veventq_alloc", p, w -> {
            int ioas = w.ctx.ioasAlloc(0);
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            int parent = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
            int viommu = w.ctx.viommuAlloc(0, VIOMMU_TYPE, dev, parent, null).outViommuId();
            return () -> w.ctx.veventqAlloc(0, viommu, 1, 16, 0);
        }));
        s.add(new Scenario("fault_queue_alloc", p, w -> () -> w.ctx.faultQueueAlloc(0)));
        s.add(new Scenario("ioas_allow_iovas", p, w -> {
            int ioas = w.ioasWithAreas();
            return () -> w.ctx.ioasAllowIovas(ioas, List.of(new IovaRange(0x100000, 0x1ffffff), new IovaRange(0x4000000, 0x4ffffff)), 0);
        }));
        s.add(new Scenario("add_reserved", p, w -> {
            int ioas = w.ioasWithAreas();
            return () -> w.ctx.selftest().addReserved(ioas, 0x5000000, 0x1000);
        }));
        s.add(new Scenario("msi_request: a new SW_MSI map installed in a nested HWPT's parent", p, w -> {
            int ioas = w.ctx.ioasAlloc(0);
            int dev = w.ctx.vfioDeviceBind(w.nic, 0);
            int parent = w.ctx.hwptAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, 0, null, 0, 0);
            int nested = w.ctx.hwptAlloc(0, dev, parent, DATA_TYPE, S1, 0, 0);
            w.ctx.vfioDeviceAttach(dev, 0, nested, 0);
            return () -> w.ctx.msiRequest(dev, 0x9000040L);
        }));
        return s;
    }

    /** A bug this sweep found and docs/robustness.md describes, until the lead fixes it: call prefix, step name, k (0: any). */
    record Known(String bug, String callPrefix, String step, long k) {
        boolean matches(FailNthSweep.Problem p) {
            return p.call().startsWith(callPrefix) && step.equals(p.step()) && (k == 0 || k == p.k());
        }
    }

    static final List<Known> KNOWN = List.of();

    @Test
    void everyInjectedFailureIsClean() {
        List<String> failures = new ArrayList<>();
        List<String> known = new ArrayList<>();
        long injections = 0;
        long checks = 0;
        for (Scenario sc : scenarios()) {
            FailNthSweep.Result r = FailNthSweep.sweep(sc.name(), () -> {
                World w = new World(sc.profile());
                Runnable call = sc.prepare().apply(w);
                return new FailNthSweep.Prepared(w.m, call);
            }, 200);
            injections += r.failedSteps().size();
            checks += r.checks();
            for (FailNthSweep.Problem p : r.failures()) {
                Known k = KNOWN.stream().filter(x -> x.matches(p)).findFirst().orElse(null);
                if (k == null) {
                    failures.add(p.toString());
                } else if (!known.contains(k.bug() + " " + p.call() + " step " + p.k())) {
                    known.add(k.bug() + " " + p.call() + " step " + p.k());
                }
            }
            System.out.printf("fail_nth %-80s %3d steps: %s%n", sc.name(), r.steps(), r.failedSteps());
        }
        System.out.printf("fail_nth: %d scenarios, %d injected failures, %d invariant checks, %d problems, known bugs seen: %s%n",
                scenarios().size(), injections, checks, failures.size(), known);
        assertTrue(failures.isEmpty(), String.join("\n\n", failures));
    }

    @Test
    void unarmedCountsNothingAndArmedCountsOnlyItsThread() throws Exception {
        World w = new World(KernelProfile.MAINLINE);
        FailNth f = FailNth.arm(0);
        try {
            Thread t = new Thread(() -> w.ctx.ioasAlloc(0));
            t.start();
            t.join();
            assertEquals(0, f.steps());
            w.ctx.ioasAlloc(0);
            assertEquals(1, f.steps());
        } finally {
            FailNth.disarm();
        }
        FailNth.arm(1);
        try {
            IommufdException e = org.junit.jupiter.api.Assertions.assertThrows(IommufdException.class, () -> w.ctx.ioasAlloc(0));
            assertEquals(Errno.ENOMEM, e.errno());
        } finally {
            FailNth.disarm();
        }
        assertEquals(3, w.ctx.ioasAlloc(0));
    }
}
