package dev.iommufdsim.repl.builtins;

import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.IommufdDevice;
import dev.iommufdsim.kernel.IommufdObject;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.spi.ResvRegion;
import dev.iommufdsim.kernel.spi.ResvType;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Range;
import dev.iommufdsim.repl.interp.Record;
import dev.iommufdsim.repl.interp.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the 2023 nesting review asked for and mainline never merged: a per-dev_id report of
 * a device's reserved regions, and the stage-1 layout check a VMM does with it. Both are
 * clearly extensions, named after the RFC (IOMMU_RESV_IOVA_RANGES).
 */
public final class ReservedBuiltins {
    private ReservedBuiltins() {
    }

    public static void register(BuiltinTable t) {
        Row.of("resv_iova_ranges", "EXTENSION (RFC IOMMU_RESV_IOVA_RANGES, not in mainline): a bound device's reserved"
                        + " regions by dev_id, each with type and source, the per-device report the nesting review asked for")
                .req("dev_id", "the bound device")
                .errnos(ENOENT)
                .on(t, (c, a) -> regions(device(c, a.id("dev_id"))));
        Row.of("s1_layout", "EXTENSION: check a guest layout against the devices' reserved regions, as a VMM must before"
                        + " building its stage-1; returns {collisions, usable}")
                .req("dev_ids", "the bound devices the guest gets")
                .opt("ram", List.of(), "guest RAM ranges")
                .opt("mmio", List.of(), "guest MMIO ranges")
                .opt("msi", List.of(), "guest MSI doorbell ranges")
                .opt("relaxable", false, "also avoid DIRECT_RELAXABLE regions")
                .errnos(ENOENT)
                .on(t, (c, a) -> layout(c, a));
    }

    private static PhysDevice device(IommufdCtx c, int devId) {
        IommufdObject o = c.object(devId);
        if (!(o instanceof IommufdDevice d)) {
            throw IommufdException.fail(ENOENT, "no device with ID %d", devId);
        }
        return d.physDevice();
    }

    static List<Object> regions(PhysDevice p) {
        List<Object> out = new ArrayList<>();
        for (ResvRegion r : p.iommu().getResvRegions(p.info())) {
            out.add(Record.of("resv_region", "start", r.start(), "last", r.last(), "type", r.type().name(), "source",
                    r.source() == null ? "" : r.source(), "device", p.name()));
        }
        return List.copyOf(out);
    }

    private static Record layout(IommufdCtx c, Args a) {
        boolean relaxable = Values.asBool(a.raw("relaxable"), "relaxable");
        List<long[]> avoid = new ArrayList<>();
        List<Object[]> owners = new ArrayList<>();
        for (Object id : a.list("dev_ids")) {
            PhysDevice p = device(c, (int) Values.asLong(id, "dev_ids"));
            for (ResvRegion r : p.iommu().getResvRegions(p.info())) {
                if (r.type() == ResvType.DIRECT_RELAXABLE && !relaxable) {
                    continue;
                }
                avoid.add(new long[] {r.start(), r.last()});
                owners.add(new Object[] {p.name(), r});
            }
        }
        List<Object> collisions = new ArrayList<>();
        for (Map.Entry<String, List<?>> e : Map.of("ram", a.list("ram"), "mmio", a.list("mmio"), "msi", a.list("msi")).entrySet()
                .stream().sorted(Map.Entry.comparingByKey()).toList()) {
            for (Object o : e.getValue()) {
                Range g = Values.asRange(o, e.getKey());
                for (int i = 0; i < avoid.size(); i++) {
                    long[] r = avoid.get(i);
                    if (Long.compareUnsigned(g.start(), r[1]) <= 0 && Long.compareUnsigned(r[0], g.last()) <= 0) {
                        ResvRegion region = (ResvRegion) owners.get(i)[1];
                        collisions.add(Record.of("collision", "guest", e.getKey(), "range", g, "region", new Range(r[0], r[1]),
                                "type", region.type().name(), "device", owners.get(i)[0]));
                    }
                }
            }
        }
        avoid.sort((x, y) -> Long.compareUnsigned(x[0], y[0]));
        List<Object> usable = new ArrayList<>();
        long next = 0;
        boolean exhausted = false;
        for (long[] r : avoid) {
            if (Long.compareUnsigned(r[0], next) > 0) {
                usable.add(new Range(next, r[0] - 1));
            }
            if (r[1] == -1L) {
                exhausted = true;
                break;
            }
            if (Long.compareUnsigned(r[1] + 1, next) > 0) {
                next = r[1] + 1;
            }
        }
        if (!exhausted) {
            usable.add(new Range(next, -1L));
        }
        return Record.of("s1_layout", "collisions", List.copyOf(collisions), "usable", List.copyOf(usable));
    }
}
