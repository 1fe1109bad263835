package dev.iommufdsim.repl.fuzz;

import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;
import static dev.iommufdsim.kernel.uapi.Uapi.ULONG_MAX;

import dev.iommufdsim.kernel.Area;
import dev.iommufdsim.kernel.HwPagetable;
import dev.iommufdsim.kernel.HwptNested;
import dev.iommufdsim.kernel.HwptPaging;
import dev.iommufdsim.kernel.Ioas;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.IommufdDevice;
import dev.iommufdsim.kernel.IommufdObject;
import dev.iommufdsim.kernel.IommufdViommu;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.ObjType;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.ResvOwner;
import dev.iommufdsim.kernel.iopt.Interval;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.kernel.uapi.Uapi;
import dev.iommufdsim.repl.builtins.UapiBuiltins;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Generates the next call of a sequence from the state the sequence has reached: valid and
 * invalid arguments, biased to the boundaries where bugs live (aperture and reserved-range
 * edges, area edges, alignment +-1, 0 and ~0, the lowest free ID, existing vs missing IDs,
 * IDs of the wrong type), across the open contexts, the declared devices and mock devices.
 */
final class OpGen {
    static final long VA = UapiBuiltins.DEFAULT_USER_VA;
    private static final long[] FIXED_POINTS = {0, 1, 0x800, 0x1000, 0x2000, 0x10000, 0xe0000, 0x100000, 0x200000, 0x1000000,
        0x8000000, 0x8090000, 0x8100000, 0x10000000, 0x10100000, 0x30000000, 0x40000000, 0x7f000000, 0x7fffffffL, 0x80000000L,
        0xfee00000L, 0xfef00000L, 0xffffffffL, 1L << 32, 1L << 39, 1L << 40, 1L << 47, 1L << 48, 1L << 63, ULONG_MAX - 0xfff,
        ULONG_MAX - 0x1fff, ULONG_MAX};
    private static final long[] LENGTHS = {0, 1, 0x7ff, 0x800, 0x1000, 0x1001, 0x2000, 0x3000, 0x4000, 0x10000, 0x100000, 0x200000,
        0x400000, 1L << 32, 1L << 62, 1L << 63, ULONG_MAX - 0xfff, ULONG_MAX - 1, ULONG_MAX};
    private static final String[] PROFILES = {"mainline", "mainline", "mainline", "v6.7", "seed"};

    private final SplittableRandom rnd;
    private final FuzzWorld world;
    private int nextCtx = 1;

    OpGen(long seed, FuzzWorld world) {
        this.rnd = new SplittableRandom(seed);
        this.world = world;
    }

    /** What one context holds, by type. */
    private static final class View {
        final IommufdCtx ctx;
        final Map<ObjType, List<IommufdObject>> byType = new EnumMap<>(ObjType.class);
        final List<IommufdObject> all;

        View(IommufdCtx ctx) {
            this.ctx = ctx;
            this.all = ctx.objectList();
            for (IommufdObject o : all) {
                byType.computeIfAbsent(o.type(), k -> new ArrayList<>()).add(o);
            }
        }

        List<IommufdObject> of(ObjType t) {
            return byType.getOrDefault(t, List.of());
        }
    }

    Op next() {
        List<IommufdCtx> open = world.contexts();
        if (open.isEmpty() || (open.size() < 3 && rnd.nextInt(200) == 0)) {
            return open();
        }
        if (rnd.nextInt(400) == 0) {
            int n = open.get(rnd.nextInt(open.size())).number();
            return Op.of(n, "close", "ctx", (long) n);
        }
        View v = new View(open.get(rnd.nextInt(open.size())));
        int ctx = v.ctx.number();
        int w = rnd.nextInt(114);
        if (w >= 100) {
            return later(v, w - 100);
        }
        if (w < 5) {
            return Op.of(ctx, "ioas_alloc", "flags", rnd.nextInt(20) == 0 ? pick(1L, 0xffffffffL) : 0L);
        } else if (w < 22) {
            return map(v);
        } else if (w < 30) {
            return unmap(v);
        } else if (w < 34) {
            return copy(v);
        } else if (w < 36) {
            return Op.of(ctx, "ioas_iova_ranges", "ioas_id", id(v, ObjType.IOAS), "num_iovas", pick(0L, 1L, 2L, 0xffffffffL, 0xffffffffL),
                    "__reserved", rnd.nextInt(30) == 0 ? 1L : 0L);
        } else if (w < 39) {
            return allow(v);
        } else if (w < 42) {
            return option(v);
        } else if (w < 47) {
            return Op.of(ctx, "destroy", "id", id(v, null));
        } else if (w < 53) {
            return hwptPaging(v);
        } else if (w < 58) {
            return hwptNested(v);
        } else if (w < 63) {
            return Op.of(ctx, "vfio_bind", "device", new Op.Ident(declared().name()), "flags", rnd.nextInt(30) == 0 ? pick(1L, 2L) : 0L);
        } else if (w < 72) {
            return attach(v);
        } else if (w < 75) {
            return Op.of(ctx, "vfio_detach", "dev_id", id(v, ObjType.DEVICE), "pasid", rnd.nextInt(4) == 0 ? pick(0L, 1L, 5L) : null);
        } else if (w < 76) {
            return Op.of(ctx, "vfio_close", "dev_id", id(v, ObjType.DEVICE));
        } else if (w < 80) {
            return Op.of(ctx, "mock_domain", "pt_id", pt(v), "dev_flags", pick(0L, 0L, 0L, 1L, 4L, 5L, 8L));
        } else if (w < 82) {
            return Op.of(ctx, "mock_domain_replace", "stdev_id", id(v, ObjType.SELFTEST), "pt_id", pt(v));
        } else if (w < 84) {
            long start = point(v, ioasOf(v));
            return Op.of(ctx, "add_reserved", "ioas_id", id(v, ObjType.IOAS), "start", start, "length", length(v, start));
        } else if (w < 87) {
            return viommu(v);
        } else if (w < 90) {
            return vdevice(v);
        } else if (w < 93) {
            return invalidate(v);
        } else if (w < 94) {
            return Op.of(ctx, "fault_queue_alloc", "flags", rnd.nextInt(20) == 0 ? 1L : 0L);
        } else if (w < 95) {
            return Op.of(ctx, "veventq_alloc", "viommu_id", id(v, ObjType.VIOMMU), "type",
                    pick(1L, 1L, 0xbeefbeefL, 0L, 2L), "veventq_depth", pick(1L, 16L, 0L, 1L << 19, (1L << 19) + 1), "flags", 0L,
                    "__reserved", 0L);
        } else if (w < 98) {
            return Op.of(ctx, "msi_request", "dev_id", id(v, ObjType.DEVICE), "msi_addr",
                    rnd.nextInt(3) == 0 ? null : pick(0x8090040L, 0x8091040L, 0x80a0040L, 0xfee00000L, (long) rnd.nextInt(80) << 12));
        }
        return Op.of(ctx, "get_hw_info", "dev_id", id(v, ObjType.DEVICE), "data_len", pick(0L, 4L, 256L), "flags",
                pick(0L, 0L, 1L, 2L), "in_data_type", pick(0L, 1L, 2L, 0xfeedbeefL));
    }

    /**
     * The calls added with the selftest through exec (2026-11-26): dirty tracking, PASID attach,
     * the VFIO compat IOAS, fault and vEVENT triggers, HW queues; and a declared device's DMA
     * write, which the vendor plugins' dirty tracking records; w in [0, 14).
     */
    private Op later(View v, int w) {
        int ctx = v.ctx.number();
        switch (w) {
            case 0:
                return Op.of(ctx, "hwpt_set_dirty_tracking", "hwpt_id", id(v, ObjType.HWPT_PAGING), "flags", pick(1L, 1L, 0L, 2L));
            case 1: {
                long iova = point(v, ioasOf(v));
                return Op.of(ctx, "hwpt_get_dirty_bitmap", "hwpt_id", id(v, ObjType.HWPT_PAGING), "iova", iova, "length",
                        length(v, iova), "page_size", pick(0x1000L, 0x1000L, 0x800L, 0L, 0x3000L, 0x200000L), "flags", pick(0L, 1L, 2L));
            }
            case 2:
            case 3:
                return Op.of(ctx, "pasid_attach", "stdev_id", id(v, ObjType.SELFTEST), "pasid", pasid(), "pt_id", pt(v));
            case 4:
                return Op.of(ctx, "pasid_replace", "stdev_id", id(v, ObjType.SELFTEST), "pasid", pasid(), "pt_id", pt(v));
            case 5:
                return Op.of(ctx, "pasid_detach", "stdev_id", id(v, ObjType.SELFTEST), "pasid", pasid());
            case 6:
                return Op.of(ctx, "vfio_ioas", "op", pick(0L, 1L, 2L, 3L), "ioas_id", id(v, ObjType.IOAS));
            case 7:
            case 8:
                return Op.of(ctx, "trigger_iopf", "dev_id", id(v, ObjType.DEVICE), "pasid", pick(0L, 0L, 1L, 5L), "grpid",
                        (long) rnd.nextInt(4), "perm", pick(0L, 1L, 2L), "addr", point(v, ioasOf(v)));
            case 9:
                return Op.of(ctx, "trigger_vevent", "dev_id", id(v, ObjType.DEVICE));
            case 12:
            case 13:
                return dmaWrite(v);
            default: {
                long iova = point(v, ioasOf(v));
                return Op.of(ctx, "hw_queue_alloc", "viommu_id", id(v, ObjType.VIOMMU), "type", pick(1L, 1L, 0L, 0xdeadL),
                        "nesting_parent_iova", iova, "length", length(v, iova), "index", pick(0L, 0L, 1L, 2L));
            }
        }
    }

    /**
     * A declared device's DMA write: mostly from a device that is attached, at an edge of the
     * areas of the IOAS its domain translates, so that writes also succeed and mark IOPTEs;
     * otherwise any device anywhere (a DMA fault).
     */
    private Op dmaWrite(View v) {
        List<PhysDevice> attached = world.machine().devices().stream().filter(d -> translatedBy(d) != null).toList();
        PhysDevice dev = attached.isEmpty() || rnd.nextInt(4) == 0 ? declared() : attached.get(rnd.nextInt(attached.size()));
        Ioas ioas = translatedBy(dev);
        List<Area> areas = ioas == null ? List.of() : ioas.iopt().areas();
        if (!areas.isEmpty() && rnd.nextInt(3) != 0) {
            // inside one area: translates when it was mapped WRITEABLE
            Area a = areas.get(rnd.nextInt(areas.size()));
            long pages = Math.max(1, a.length() / PAGE_SIZE);
            long iova = a.iova() + rnd.nextLong(pages) * PAGE_SIZE;
            long length = Math.min(a.last() - iova + 1, pick(1L, 0x800L, PAGE_SIZE, 2 * PAGE_SIZE, 0x200000L));
            return Op.of(v.ctx.number(), "dma_write", "device", new Op.Ident(dev.name()), "iova", iova, "length", length);
        }
        long iova = point(v, ioas != null ? ioas : ioasOf(v));
        return Op.of(v.ctx.number(), "dma_write", "device", new Op.Ident(dev.name()), "iova", iova, "length", length(v, iova));
    }

    /** The IOAS whose areas translate the device's RID DMA, or null when it is not attached. */
    private static Ioas translatedBy(PhysDevice d) {
        IommufdDevice idev = d.boundTo();
        HwPagetable hwpt = idev == null ? null : idev.attachedHwpt();
        HwptPaging paging = hwpt == null ? null : hwpt.findHwptPaging();
        return paging == null ? null : paging.ioas();
    }

    private long pasid() {
        return pick(1L, 1L, 5L, 0L, 1024L, 1L << 20);
    }

    private Op open() {
        int n = nextCtx++;
        return Op.of(n, "open", "profile", new Op.Str(PROFILES[rnd.nextInt(PROFILES.length)]));
    }

    /** Tells the generator the number a replayed open actually got. */
    void opened(int number) {
        nextCtx = Math.max(nextCtx, number + 1);
    }

    // ------------------------------------------------------------------ IDs

    @SafeVarargs
    private <T> T pick(T... values) {
        return values[rnd.nextInt(values.length)];
    }

    /** An ID for a parameter wanting type t (null: any): mostly a live one of that type, else boundaries. */
    private Long id(View v, ObjType t) {
        int r = rnd.nextInt(100);
        List<IommufdObject> good = t == null ? v.all : v.of(t);
        if (r < 78 && !good.isEmpty()) {
            return (long) good.get(rnd.nextInt(good.size())).id();
        }
        if (r < 88 && !v.all.isEmpty()) {
            return (long) v.all.get(rnd.nextInt(v.all.size())).id();
        }
        int lowestFree = v.ctx.takenIds().nextClearBit(1);
        return pick(0L, (long) lowestFree, (long) lowestFree + 1, 0xffffffffL, 0x7fffffffL, (long) rnd.nextInt(1, 40));
    }

    private Long pt(View v) {
        int r = rnd.nextInt(10);
        return r < 5 ? id(v, ObjType.IOAS) : r < 8 ? id(v, ObjType.HWPT_PAGING) : r < 9 ? id(v, ObjType.HWPT_NESTED) : id(v, null);
    }

    private Ioas ioasOf(View v) {
        List<IommufdObject> l = v.of(ObjType.IOAS);
        return l.isEmpty() ? null : (Ioas) l.get(rnd.nextInt(l.size()));
    }

    private PhysDevice declared() {
        List<PhysDevice> d = world.machine().devices();
        return d.get(rnd.nextInt(d.size()));
    }

    // ------------------------------------------------------------------ addresses

    /** An interesting IOVA: a fixed boundary, or an edge of this IOAS's areas, reserved or allowed ranges, nudged. */
    private long point(View v, Ioas ioas) {
        long p;
        if (ioas != null && rnd.nextInt(3) != 0) {
            List<Long> edges = new ArrayList<>();
            for (Area a : ioas.iopt().areas()) {
                edges.add(a.iova());
                edges.add(a.last() + 1);
            }
            for (Interval<ResvOwner> r : ioas.iopt().reservedRanges()) {
                edges.add(r.start());
                edges.add(r.last() + 1);
                edges.add(r.start() - PAGE_SIZE);
            }
            for (IovaRange r : ioas.iopt().allowedRanges()) {
                edges.add(r.start());
                edges.add(r.last() + 1);
            }
            p = edges.isEmpty() ? FIXED_POINTS[rnd.nextInt(FIXED_POINTS.length)] : edges.get(rnd.nextInt(edges.size()));
        } else {
            p = FIXED_POINTS[rnd.nextInt(FIXED_POINTS.length)];
        }
        switch (rnd.nextInt(12)) {
            case 0 -> p += 1;
            case 1 -> p -= 1;
            case 2 -> p += 0x800;
            case 3 -> p += PAGE_SIZE;
            case 4 -> p -= PAGE_SIZE;
            case 5 -> p += (long) rnd.nextInt(1, 64) * PAGE_SIZE;
            default -> {
            }
        }
        return p;
    }

    private long length(View v, long start) {
        int r = rnd.nextInt(10);
        if (r < 5) {
            return (long) rnd.nextInt(1, 9) * PAGE_SIZE;
        }
        if (r < 8) {
            return LENGTHS[rnd.nextInt(LENGTHS.length)];
        }
        long end = point(v, ioasOf(v));
        return end - start;
    }

    private Long mapFlags() {
        int rw = Uapi.IOMMU_IOAS_MAP_READABLE | Uapi.IOMMU_IOAS_MAP_WRITEABLE;
        return pick(rw | 1, rw | 1, rw, rw, Uapi.IOMMU_IOAS_MAP_READABLE | 1, Uapi.IOMMU_IOAS_MAP_WRITEABLE, 1, 0, rw | 8,
                rnd.nextInt(30) == 0 ? -1 : rw) & 0xffffffffL;
    }

    // ------------------------------------------------------------------ calls

    private Op map(View v) {
        Ioas ioas = ioasOf(v);
        long iova = point(v, ioas);
        long len = length(v, iova);
        long va = pick(VA, VA, VA, VA + 0x800, VA + 0x200000, 0L, ULONG_MAX - 0xfff, (long) rnd.nextInt(1, 1 << 20) << 12);
        return Op.of(v.ctx.number(), "ioas_map", "ioas_id", ioas != null && rnd.nextInt(10) != 0 ? (long) ioas.id() : id(v, ObjType.IOAS),
                "length", len, "iova", iova, "flags", mapFlags(), "user_va", va, "__reserved", rnd.nextInt(40) == 0 ? 1L : 0L);
    }

    private Op unmap(View v) {
        Ioas ioas = ioasOf(v);
        Long id = ioas != null && rnd.nextInt(10) != 0 ? (long) ioas.id() : id(v, ObjType.IOAS);
        if (rnd.nextInt(6) == 0) {
            return Op.of(v.ctx.number(), "ioas_unmap", "ioas_id", id, "iova", 0L, "length", ULONG_MAX);
        }
        long iova;
        long len;
        if (ioas != null && ioas.iopt().areaCount() > 0 && rnd.nextInt(3) != 0) {
            List<Area> areas = ioas.iopt().areas();
            Area a = areas.get(rnd.nextInt(areas.size()));
            Area b = areas.get(rnd.nextInt(areas.size()));
            Area lo = Long.compareUnsigned(a.iova(), b.iova()) <= 0 ? a : b;
            Area hi = lo == a ? b : a;
            iova = lo.iova() + pick(0L, 0L, 1L, -1L, PAGE_SIZE);
            len = hi.last() - iova + 1 + pick(0L, 0L, 1L, -1L, PAGE_SIZE);
        } else {
            iova = point(v, ioas);
            len = length(v, iova);
        }
        return Op.of(v.ctx.number(), "ioas_unmap", "ioas_id", id, "iova", iova, "length", len);
    }

    private Op copy(View v) {
        Ioas src = ioasOf(v);
        long srcIova;
        long len;
        if (src != null && src.iopt().areaCount() > 0 && rnd.nextInt(4) != 0) {
            List<Area> areas = src.iopt().areas();
            Area a = areas.get(rnd.nextInt(areas.size()));
            srcIova = a.iova() + pick(0L, 0L, 0x800L, PAGE_SIZE);
            len = pick(a.length(), a.length(), PAGE_SIZE, a.length() * 2, 0L);
        } else {
            srcIova = point(v, src);
            len = length(v, srcIova);
        }
        Ioas dst = ioasOf(v);
        return Op.of(v.ctx.number(), "ioas_copy", "dst_ioas_id", dst == null ? id(v, ObjType.IOAS) : (Long) (long) dst.id(),
                "src_ioas_id", src == null ? id(v, ObjType.IOAS) : (Long) (long) src.id(), "src_iova", srcIova, "length", len,
                "dst_iova", point(v, dst), "flags", mapFlags());
    }

    private Op allow(View v) {
        Ioas ioas = ioasOf(v);
        List<Object> ranges = new ArrayList<>();
        int n = pick(0, 1, 1, 2, 3);
        for (int i = 0; i < n; i++) {
            long s = point(v, ioas);
            long l = rnd.nextInt(8) == 0 ? s : s + length(v, s) - 1;
            ranges.add(new Op.Rng(s, l));
        }
        return Op.of(v.ctx.number(), "ioas_allow_iovas", "ioas_id", ioas != null ? (Long) (long) ioas.id() : id(v, ObjType.IOAS),
                "allowed_iovas", ranges, "__reserved", rnd.nextInt(40) == 0 ? 1L : 0L);
    }

    private Op option(View v) {
        boolean huge = rnd.nextInt(4) != 0;
        return Op.of(v.ctx.number(), "option", "option_id", huge ? 1L : pick(0L, 0L, 2L), "op", pick(0L, 0L, 1L, 2L), "object_id",
                huge ? id(v, ObjType.IOAS) : pick(0L, 0L, 1L), "val64", pick(0L, 1L, 0L, 1L, 2L, ULONG_MAX), "__reserved",
                rnd.nextInt(40) == 0 ? 1L : 0L);
    }

    private Op hwptPaging(View v) {
        long flags = 0;
        for (long f : new long[] {Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT, Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING, Uapi.IOMMU_HWPT_FAULT_ID_VALID,
            Uapi.IOMMU_HWPT_ALLOC_PASID}) {
            if (rnd.nextInt(4) == 0) {
                flags |= f;
            }
        }
        if (rnd.nextInt(30) == 0) {
            flags |= 0x10;
        }
        if (rnd.nextInt(3) == 0) {
            flags = Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT;
        }
        return Op.of(v.ctx.number(), "hwpt_alloc", "dev_id", id(v, ObjType.DEVICE), "pt_id",
                rnd.nextInt(8) == 0 ? id(v, null) : id(v, ObjType.IOAS), "flags", flags, "data_type", rnd.nextInt(25) == 0 ? 1L : 0L,
                "data", rnd.nextInt(25) == 0 ? List.of((Object) 1L) : null, "fault_id", id(v, ObjType.FAULT), "__reserved",
                rnd.nextInt(40) == 0 ? 1L : 0L);
    }

    /** Driver data for a nested HWPT of this device's driver: mostly well formed, sometimes not. */
    private Object[] nestedData(String driver) {
        if (rnd.nextInt(6) == 0) {
            List<Object> junk = new ArrayList<>();
            for (int i = rnd.nextInt(6); i > 0; i--) {
                junk.add(rnd.nextLong() & 0xffffffffL);
            }
            return new Object[] {pick(0L, 1L, 2L, 3L, 0xdeadL), junk};
        }
        switch (driver) {
            case "mock":
                return new Object[] {0xdeadL, rnd.nextBoolean() ? List.of((Object) 0x1234L) : List.of((Object) 0x1234L, 0L)};
            case "arm_smmuv3": {
                long ste0 = pick(0L, 0x9L, 0xbL, 0x1L, 0xb | 0x1000L, 0xfL);
                long ste1 = pick(0L, 0L, 1L << 28, 2L << 28);
                return new Object[] {2L, List.of((Object) (ste0 & 0xffffffffL), ste0 >>> 32, ste1 & 0xffffffffL, ste1 >>> 32)};
            }
            case "intel_vtd":
                return new Object[] {1L, List.of((Object) pick(0L, 0L, 1L, 8L), 0L, 0x1000L, 0L, pick(48L, 48L, 57L, 39L), 0L)};
            default:
                return new Object[] {pick(1L, 2L), List.of((Object) 0L, 0L)};
        }
    }

    private String driverOf(View v, long devId) {
        IommufdObject o = v.ctx.object((int) devId);
        return o instanceof IommufdDevice d ? d.physDevice().iommu().driverName() : "?";
    }

    private Op hwptNested(View v) {
        Long dev = id(v, ObjType.DEVICE);
        int r = rnd.nextInt(10);
        Long pt = r < 5 ? id(v, ObjType.HWPT_PAGING) : r < 9 ? id(v, ObjType.VIOMMU) : id(v, null);
        Object[] data = nestedData(driverOf(v, dev));
        long flags = pick(0L, 0L, 0L, (long) Uapi.IOMMU_HWPT_FAULT_ID_VALID, (long) Uapi.IOMMU_HWPT_ALLOC_PASID, 1L);
        return Op.of(v.ctx.number(), "hwpt_alloc", "dev_id", dev, "pt_id", pt, "flags", flags, "data_type", data[0], "data", data[1],
                "fault_id", id(v, ObjType.FAULT), "__reserved", 0L);
    }

    private Op attach(View v) {
        Long pasid = rnd.nextInt(6) == 0 ? pick(0L, 1L, 5L, 0xfffffL, 0x100000L) : null;
        return Op.of(v.ctx.number(), "vfio_attach", "dev_id", id(v, ObjType.DEVICE), "pt_id", pt(v), "pasid", pasid);
    }

    private Op viommu(View v) {
        Long dev = id(v, ObjType.DEVICE);
        String driver = driverOf(v, dev);
        long type = rnd.nextInt(6) == 0 ? pick(0L, 2L, 0x77L) : driver.equals("mock") ? 0xdeadbeefL : 1L;
        List<Object> data = driver.equals("mock") && rnd.nextBoolean() ? List.of((Object) 0x55L, 0L, 0L, 0L, 0L, 0L) : null;
        HwptPaging parent = null;
        IommufdObject devObj = v.ctx.object((int) (long) dev);
        for (IommufdObject o : v.of(ObjType.HWPT_PAGING)) {
            HwptPaging h = (HwptPaging) o;
            boolean sameIommu = devObj instanceof IommufdDevice d && h.owner() == d.physDevice().iommu();
            if (h.isNestParent() && (sameIommu || parent == null) && rnd.nextInt(4) != 0) {
                parent = h;
            }
        }
        return Op.of(v.ctx.number(), "viommu_alloc", "dev_id", dev, "hwpt_id", parent != null ? (Long) (long) parent.id()
                : id(v, ObjType.HWPT_PAGING), "type", type, "data", data, "flags", rnd.nextInt(30) == 0 ? 1L : 0L);
    }

    /** Mostly a device behind the vIOMMU's own IOMMU instance, with a small virt_id. */
    private Op vdevice(View v) {
        Long viommu = id(v, ObjType.VIOMMU);
        Long dev = null;
        if (v.ctx.object((int) (long) viommu) instanceof IommufdViommu vi && rnd.nextInt(4) != 0) {
            List<Long> same = new ArrayList<>();
            for (IommufdObject o : v.of(ObjType.DEVICE)) {
                if (((IommufdDevice) o).physDevice().iommu() == vi.iommu()) {
                    same.add((long) o.id());
                }
            }
            dev = same.isEmpty() ? null : same.get(rnd.nextInt(same.size()));
        }
        return Op.of(v.ctx.number(), "vdevice_alloc", "viommu_id", viommu, "dev_id", dev != null ? dev : id(v, ObjType.DEVICE), "virt_id",
                pick(0L, 1L, 0x10L, 0x100L, 0x200L, 0x300L, (long) rnd.nextInt(8), ULONG_MAX));
    }

    private Op invalidate(View v) {
        int r = rnd.nextInt(10);
        Long id = r < 5 ? id(v, ObjType.HWPT_NESTED) : r < 9 ? id(v, ObjType.VIOMMU) : id(v, null);
        IommufdObject o = v.ctx.object((int) (long) id);
        String driver = o instanceof HwPagetable h ? h.owner().driverName() : o instanceof IommufdViommu vi ? vi.iommu().driverName() : "?";
        long type;
        int entryLen;
        switch (driver) {
            case "mock" -> {
                type = 0xdeadbeefL;
                entryLen = o instanceof HwptNested ? 8 : 12;
            }
            case "arm_smmuv3" -> {
                type = Uapi.IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
                entryLen = 16;
            }
            case "intel_vtd" -> {
                type = Uapi.IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
                entryLen = 24;
            }
            default -> {
                type = pick(0L, 1L);
                entryLen = 8;
            }
        }
        if (rnd.nextInt(5) == 0) {
            type = pick(0L, 1L, 2L, 0xdeadbeefL);
        }
        if (rnd.nextInt(5) == 0) {
            entryLen = pick(0, 1, 4, 12, 16, 24, 32, 4096, 4097);
        }
        List<Object> entries = new ArrayList<>();
        for (int n = pick(0, 1, 1, 2, 3); n > 0; n--) {
            List<Object> words = new ArrayList<>();
            for (int i = 0; i < Math.max(1, (entryLen + 3) / 4) && i < 8; i++) {
                words.add(rnd.nextInt(3) == 0 ? rnd.nextLong() & 0xffffffffL : pick(0L, 1L, 2L, 3L, 4L, 0x10L));
            }
            entries.add(words);
        }
        return Op.of(v.ctx.number(), "hwpt_invalidate", "hwpt_id", id, "data_type", type, "entries", entries, "entry_len",
                (long) entryLen, "data_uptr", rnd.nextInt(20) == 0 ? 0L : null, "__reserved", rnd.nextInt(40) == 0 ? 1L : 0L);
    }

    static boolean isKnownProfile(String name) {
        return KernelProfile.byName(name) != null;
    }
}
