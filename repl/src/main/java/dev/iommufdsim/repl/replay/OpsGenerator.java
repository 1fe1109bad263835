package dev.iommufdsim.repl.replay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A seeded generator of random kernel-oracle operation lists ({@code .ops}), biased to the
 * boundaries where emulators go wrong: the mock aperture edges (0xffffff, 0x1000000,
 * 0x7fffffff, 0x80000000), the 2048/4096 alignments, lengths 1..0x10000 around powers of
 * two, user VAs with sub-page offsets or 2 MiB alignment, lowest-free IDs after destroys.
 * Every list uses only the ops the emulator serves, so the kernel's recording of it is a
 * test the emulator must pass. The same seed always gives the same files.
 *
 * <pre>
 * java -cp repl/target/classes dev.iommufdsim.repl.replay.OpsGenerator DIR COUNT [SEED [THEME]]
 * </pre>
 * writes DIR/gen-SEED-NNNN-THEME.ops (file NNNN uses the seed SEED * 100003 + NNNN); without
 * THEME the files rotate through AUTO..MIXED, with one (e.g. {@code nest}) they all use it.
 */
public final class OpsGenerator {
    /** What a file concentrates on; every theme also mixes in a few ops of the others. */
    public enum Theme {
        AUTO, FIXED, UNMAP, COPY, IDS, RANGES, MIXED,
        /**
         * Nesting: NEST_PARENT HWPTs, nested HWPTs on parents and on vIOMMUs, vIOMMUs, vDEVICEs,
         * FAULT objects, invalidations of nested HWPTs and vIOMMUs with valid and invalid
         * entries, the mock's IOTLB and device-cache checks, replaces and destroy orders. Not
         * in the default rotation (so the older seeds keep their files): ask for it by name.
         */
        NEST
    }

    /** The default rotation of themes (the themes of the first corpus; NEST is asked for by name). */
    private static final Theme[] ROTATION = {Theme.AUTO, Theme.FIXED, Theme.UNMAP, Theme.COPY, Theme.IDS, Theme.RANGES, Theme.MIXED};

    private static final long BUF = OpsReplay.VA_SIZE;
    private static final long[] LENGTHS = {1, 2, 3, 0x10, 0x7ff, 0x800, 0x801, 0xfff, 0x1000, 0x1001, 0x17ff, 0x1800, 0x2000,
        0x2800, 0x3000, 0x4000, 0x5000, 0x7800, 0x8000, 0xf800, 0xffff, 0x10000};
    private static final long[] DOMAIN_LENGTHS = {0x800, 0x1000, 0x1800, 0x2000, 0x3000, 0x4000, 0x8000, 0x10000, 0x20000,
        0x100000, 0x200000, 0x400000};
    private static final long[] VA_OFFSETS = {0, 0, 0, 0x1, 0x7ff, 0x800, 0x801, 0xfff, 0x1000, 0x1800, 0x2000, 0x10000,
        0x1ff800, 0x1fffff, 0x200000, 0x200800, 0x3ff000, 0x400000, 0x1000000};
    private static final long[] IOVA_EDGES = {0, 0x800, 0x1000, 0x2000, 0xfff000, 0xfff800, 0xffffff, 0x1000000, 0x1000800,
        0x1001000, 0x1800000, 0x2000000, 0x7ffff000, 0x7ffff800, 0x7fffffff, 0x80000000, 0x80000800, 0x80001000,
        0xfffffffffffff000L, 0xffffffffffffe000L};
    private static final long APERTURE_START = 0x1000000;
    private static final long APERTURE_LAST = 0x7fffffffL;

    /** A captured map the generator remembers: its name, VA offset, length, IOAS name. */
    private record MapVar(String name, String ioas, long vaOff, long length, boolean fixed, long iova) {
    }

    /** A mock device (stdev capture; NAME_idev and NAME_hwpt exist with it). */
    private record Dev(String name, String pt) {
    }

    private final SplittableRandom rnd;
    private final Theme theme;
    private final List<String> out = new ArrayList<>();
    private final List<String> ioases = new ArrayList<>();
    private final List<String> domainIoases = new ArrayList<>();
    private final List<Dev> devs = new ArrayList<>();
    private final List<String> hwpts = new ArrayList<>();
    private final List<MapVar> maps = new ArrayList<>();
    private int counter;

    private OpsGenerator(long seed, Theme theme) {
        this.rnd = new SplittableRandom(seed);
        this.theme = theme;
    }

    /** One operation list for this seed and theme, with ops between min and max. */
    public static String generate(long seed, Theme theme, int minOps, int maxOps) {
        OpsGenerator g = new OpsGenerator(seed, theme);
        return g.build(seed, minOps + g.rnd.nextInt(maxOps - minOps + 1));
    }

    /** The theme file i of a run uses (a fixed rotation, so every theme gets its share). */
    public static Theme themeOf(int i) {
        return ROTATION[i % ROTATION.length];
    }

    /** The per-file seed: file i of a run with this seed. */
    public static long fileSeed(long seed, int i) {
        return seed * 100003L + i;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: OpsGenerator DIR COUNT [SEED [THEME]]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        Theme only = args.length > 3 ? Theme.valueOf(args[3].toUpperCase(Locale.ROOT)) : null;
        Files.createDirectories(dir);
        for (int i = 0; i < count; i++) {
            Theme t = only != null ? only : themeOf(i);
            String name = String.format(Locale.ROOT, "gen-%d-%04d-%s.ops", seed, i, t.name().toLowerCase(Locale.ROOT));
            Files.writeString(dir.resolve(name), generate(fileSeed(seed, i), t, 20, 50));
        }
        System.out.println("wrote " + count + " files to " + dir);
    }

    // ---- building a list ---------------------------------------------------------------------

    private String build(long seed, int ops) {
        out.add("# generated by OpsGenerator (repl/src/main/java/dev/iommufdsim/repl/replay), seed " + seed + ", theme "
                + theme.name().toLowerCase(Locale.ROOT));
        newIoas();
        if (theme == Theme.NEST) {
            nestStart();
            while (out.size() - 1 < ops) {
                nestStep();
            }
            return String.join("\n", out) + "\n";
        }
        if (theme != Theme.IDS && chance(0.5)) {
            attach(ioases.get(0));
        }
        while (out.size() - 1 < ops) {
            step();
        }
        return String.join("\n", out) + "\n";
    }

    private boolean chance(double p) {
        return rnd.nextDouble() < p;
    }

    private <T> T pick(List<T> l) {
        return l.get(rnd.nextInt(l.size()));
    }

    private long pick(long[] a) {
        return a[rnd.nextInt(a.length)];
    }

    private String fresh(String prefix) {
        return prefix + (counter++);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private void emit(String s) {
        out.add(s);
    }

    /** One op, chosen by the theme's weights. */
    private void step() {
        double[] w = switch (theme) {
            // map, fixedMap, unmap, copy, ranges, reserve, allow, option, ids, devices, hwpt, check
            case AUTO -> new double[] {8, 1, 2, 1, 1.5, 1, 1.5, 1, 0.5, 0.7, 0.3, 0.5};
            case FIXED -> new double[] {2, 8, 2, 1, 1, 1, 0.5, 0.5, 0.5, 0.7, 0.3, 1};
            case UNMAP -> new double[] {3, 4, 7, 1, 0.5, 0.5, 0.3, 0.3, 0.5, 0.5, 0.2, 0.5};
            case COPY -> new double[] {2, 3, 1.5, 7, 0.5, 0.5, 0.3, 0.3, 0.3, 0.7, 0.2, 0.7};
            case IDS -> new double[] {1, 0.5, 0.3, 0.3, 0.3, 0.2, 0.2, 0.5, 6, 5, 3, 0.3};
            case RANGES -> new double[] {3, 2, 1, 0.5, 4, 4, 4, 1.5, 0.5, 1, 0.5, 0.3};
            case MIXED, NEST -> new double[] {3, 3, 2, 2, 1.5, 1.5, 1.5, 1, 2, 2, 1, 1};
        };
        switch (weighted(w)) {
            case 0 -> autoMap();
            case 1 -> fixedMap();
            case 2 -> unmap();
            case 3 -> copy();
            case 4 -> ranges();
            case 5 -> reserve();
            case 6 -> allow();
            case 7 -> option();
            case 8 -> ids();
            case 9 -> devices();
            case 10 -> hwpt();
            default -> checkMap();
        }
    }

    // ---- values ------------------------------------------------------------------------------

    private String ioas() {
        if (ioases.isEmpty() || chance(0.02)) {
            return chance(0.5) ? "99" : String.valueOf(1 + rnd.nextInt(12));
        }
        return "$" + pick(ioases);
    }

    private boolean hasDomain(String ioasRef) {
        return ioasRef.startsWith("$") && domainIoases.contains(ioasRef.substring(1));
    }

    private long length(boolean domain) {
        if (domain && chance(0.8)) {
            long l = pick(DOMAIN_LENGTHS);
            return chance(0.1) ? l + 1 : l;
        }
        return switch (rnd.nextInt(6)) {
            case 0 -> 1 + rnd.nextInt(0x10000);
            case 1 -> 0x800L * (1 + rnd.nextInt(32));
            case 2 -> 1L << (rnd.nextInt(12) + 4);
            case 3 -> (1L << (rnd.nextInt(8) + 9)) + (chance(0.5) ? 1 : -1);
            default -> pick(LENGTHS);
        };
    }

    private long vaOff(long length) {
        long off = switch (rnd.nextInt(5)) {
            case 0 -> 0x800L * rnd.nextInt(0x2000);
            case 1 -> 0x1000L * rnd.nextInt(0x1000);
            case 2 -> rnd.nextInt(0x100000);
            default -> pick(VA_OFFSETS);
        };
        if (chance(0.03)) {
            return BUF - (chance(0.5) ? 0x800 : 0x1000); // runs past the end of the buffer when long
        }
        if (off + length > BUF) {
            off = 0;
        }
        return off;
    }

    private static String va(long off) {
        return off == 0 ? "va" : "va+" + hex(off);
    }

    private long fixedIova(long length, boolean domain) {
        switch (rnd.nextInt(6)) {
            case 0:
                return APERTURE_LAST + 1 - length; // ends at the aperture end
            case 1:
                return pick(IOVA_EDGES);
            case 2:
                return APERTURE_START + 0x800L * rnd.nextInt(0x4000);
            case 3:
                return (domain ? 0x800L : 1L) * (1 + rnd.nextInt(0x10000));
            case 4:
                return pick(IOVA_EDGES) + (chance(0.5) ? length : -length);
            default:
                return 0x1000L * rnd.nextInt(0x2000);
        }
    }

    // ---- ops ---------------------------------------------------------------------------------

    private void newIoas() {
        String n = fresh("i");
        emit(n + " = ioas_alloc");
        ioases.add(n);
    }

    private void attach(String ioas) {
        String n = fresh("s");
        String flags = switch (rnd.nextInt(8)) {
            case 0 -> " dev_flags=NO_DIRTY";
            case 1 -> " dev_flags=PASID";
            default -> "";
        };
        emit(n + " = mock_domain $" + ioas + flags);
        devs.add(new Dev(n, ioas));
        if (!domainIoases.contains(ioas)) {
            domainIoases.add(ioas);
        }
    }

    private void autoMap() {
        String io = ioas();
        boolean domain = hasDomain(io);
        long len = length(domain);
        long off = vaOff(len);
        if (domain && chance(0.7)) {
            off &= ~0x7ffL;
        }
        String flags = chance(0.05) ? " flags=READABLE" : "";
        String n = fresh("m");
        emit(n + " = ioas_map " + io + " " + va(off) + " " + hex(len) + flags);
        maps.add(new MapVar(n, io, off, len, false, 0));
    }

    private void fixedMap() {
        String io = ioas();
        boolean domain = hasDomain(io);
        long len = length(domain);
        long off = vaOff(len);
        if (domain && chance(0.7)) {
            off &= ~0x7ffL;
        }
        long iova;
        if (!maps.isEmpty() && chance(0.15)) {
            MapVar m = pick(maps);
            if (m.fixed() && chance(0.5)) {
                iova = m.iova() + (chance(0.5) ? m.length() : 0);
            } else {
                emit("ioas_map " + io + " " + va(off) + " " + hex(len) + " iova=$" + m.name() + (chance(0.5) ? "|0x800" : ""));
                return;
            }
        } else {
            iova = fixedIova(len, domain);
        }
        String flags = chance(0.05) ? (chance(0.5) ? " flags=READABLE|FIXED_IOVA" : " flags=FIXED_IOVA") : "";
        String n = fresh("f");
        emit(n + " = ioas_map " + io + " " + va(off) + " " + hex(len) + " iova=" + hex(iova) + flags);
        maps.add(new MapVar(n, io, off, len, true, iova));
    }

    private void unmap() {
        if (maps.isEmpty() || chance(0.15)) {
            String io = ioas();
            switch (rnd.nextInt(3)) {
                case 0 -> emit("u" + (counter++) + " = ioas_unmap " + io + " 0 -1");
                case 1 -> emit("ioas_unmap " + io + " " + hex(fixedIova(0x1000, false)) + " " + hex(length(false)));
                default -> emit("ioas_unmap " + io + " " + hex(APERTURE_START) + " " + hex(APERTURE_LAST + 1 - APERTURE_START));
            }
            return;
        }
        MapVar m = pick(maps);
        String io = chance(0.9) ? m.ioas() : ioas();
        long len = switch (rnd.nextInt(6)) {
            case 0 -> m.length() / 2 == 0 ? 1 : m.length() / 2;
            case 1 -> m.length() + 0x800;
            case 2 -> length(false);
            default -> m.length();
        };
        String start = "$" + m.name();
        if (chance(0.1)) {
            start += "|0x800";
        }
        emit("ioas_unmap " + io + " " + start + " " + hex(len));
        if (len >= m.length() && chance(0.7)) {
            maps.remove(m);
        }
    }

    private void copy() {
        if (ioases.size() < 2 && chance(0.7)) {
            newIoas();
            return;
        }
        String dst = ioas();
        String src;
        String srcIova;
        long len;
        if (!maps.isEmpty() && chance(0.85)) {
            MapVar m = pick(maps);
            src = m.ioas();
            srcIova = "$" + m.name();
            len = switch (rnd.nextInt(5)) {
                case 0 -> m.length() / 2 == 0 ? 1 : m.length() / 2;
                case 1 -> m.length() + 1;
                case 2 -> 0x800;
                default -> m.length();
            };
            if (chance(0.15) && m.length() > 0x800) {
                srcIova += "|0x800";
                len = Math.min(len, 0x800);
            }
        } else {
            src = ioas();
            srcIova = hex(fixedIova(0x1000, false));
            len = length(false);
        }
        String n = fresh("c");
        StringBuilder sb = new StringBuilder(n + " = ioas_copy " + dst + " " + src + " " + srcIova + " " + hex(len));
        if (chance(0.35)) {
            sb.append(" dst_iova=").append(hex(fixedIova(len, hasDomain(dst))));
        }
        if (chance(0.05)) {
            sb.append(" flags=READABLE");
        }
        emit(sb.toString());
    }

    private void ranges() {
        String cap = switch (rnd.nextInt(6)) {
            case 0 -> " num_iovas=0";
            case 1 -> " num_iovas=1";
            case 2 -> " num_iovas=2";
            default -> "";
        };
        emit("ioas_iova_ranges " + ioas() + cap);
    }

    private void reserve() {
        long start = switch (rnd.nextInt(5)) {
            case 0 -> pick(IOVA_EDGES);
            case 1 -> APERTURE_START + 0x1000L * rnd.nextInt(0x1000);
            case 2 -> rnd.nextInt(0x100000);
            default -> 0x10000L * rnd.nextInt(0x1000);
        };
        long len = chance(0.1) ? 0 : chance(0.3) ? 1 + rnd.nextInt(0x3000) : 0x1000L * (1 + rnd.nextInt(16));
        emit("add_reserved " + ioas() + " " + hex(start) + " " + hex(len));
    }

    private void allow() {
        int n = rnd.nextInt(4);
        StringBuilder sb = new StringBuilder("ioas_allow_iovas " + ioas());
        long base = chance(0.5) ? APERTURE_START : 0x1000L * rnd.nextInt(0x100);
        for (int i = 0; i < n; i++) {
            long start = base + (chance(0.3) ? 0 : 0x1000L * rnd.nextInt(0x40));
            long last = start + (chance(0.1) ? 0 : 0x1000L * (1 + rnd.nextInt(0x40)) - 1);
            if (chance(0.1)) {
                last = APERTURE_LAST;
            }
            sb.append(' ').append(hex(start)).append('-').append(hex(last));
            base = last + 1 + (chance(0.5) ? 0 : 0x1000L * rnd.nextInt(8));
        }
        emit(sb.toString());
    }

    private void option() {
        switch (rnd.nextInt(6)) {
            case 0 -> emit("option RLIMIT_MODE GET 0");
            case 1 -> emit("option RLIMIT_MODE SET 0 " + rnd.nextInt(3));
            case 2 -> emit("option HUGE_PAGES GET " + ioas());
            default -> emit("option HUGE_PAGES SET " + ioas() + " " + (chance(0.9) ? rnd.nextInt(2) : 2));
        }
    }

    private void ids() {
        switch (rnd.nextInt(7)) {
            case 0, 1 -> newIoas();
            case 2 -> emit("destroy " + (1 + rnd.nextInt(14)));
            case 3 -> emit("ioas_alloc");
            default -> {
                List<String> all = new ArrayList<>(ioases);
                for (Dev d : devs) {
                    all.add(d.name());
                    all.add(d.name() + "_hwpt");
                    all.add(d.name() + "_idev");
                }
                all.addAll(hwpts);
                if (all.isEmpty()) {
                    newIoas();
                    return;
                }
                String v = pick(all);
                emit("destroy $" + v);
                if (ioases.contains(v) && chance(0.5)) {
                    ioases.remove(v);
                    domainIoases.remove(v);
                }
                if (chance(0.5)) {
                    devs.removeIf(d -> d.name().equals(v));
                    hwpts.remove(v);
                }
            }
        }
    }

    private void devices() {
        if (ioases.isEmpty()) {
            newIoas();
            return;
        }
        if (devs.isEmpty() || chance(0.45)) {
            if (!hwpts.isEmpty() && chance(0.2)) {
                String n = fresh("s");
                emit(n + " = mock_domain $" + pick(hwpts));
                devs.add(new Dev(n, null));
            } else {
                attach(pick(ioases));
            }
            return;
        }
        Dev d = pick(devs);
        switch (rnd.nextInt(4)) {
            case 0 -> emit("get_hw_info $" + d.name() + "_idev" + (chance(0.3) ? " data_len=" + rnd.nextInt(17) : ""));
            case 1 -> {
                if (!hwpts.isEmpty() && chance(0.4)) {
                    emit("mock_domain_replace $" + d.name() + " $" + pick(hwpts));
                } else {
                    String io = pick(ioases);
                    emit("mock_domain_replace $" + d.name() + " $" + io);
                    if (!domainIoases.contains(io)) {
                        domainIoases.add(io);
                    }
                }
            }
            default -> {
                emit("destroy $" + d.name());
                devs.remove(d);
            }
        }
    }

    private void hwpt() {
        if (devs.isEmpty() || ioases.isEmpty()) {
            devices();
            return;
        }
        Dev d = pick(devs);
        String io = pick(ioases);
        String flags = switch (rnd.nextInt(8)) {
            case 0 -> " flags=NEST_PARENT";
            case 1 -> " flags=DIRTY_TRACKING";
            case 2 -> " flags=ALLOC_PASID";
            case 3 -> " flags=0x10";
            case 4 -> " iotlb=1";
            default -> "";
        };
        String n = fresh("h");
        emit(n + " = hwpt_alloc $" + d.name() + "_idev $" + io + flags);
        hwpts.add(n);
        if (!domainIoases.contains(io)) {
            domainIoases.add(io);
        }
    }

    private void checkMap() {
        if (maps.isEmpty() || devs.isEmpty()) {
            autoMap();
            return;
        }
        MapVar m = pick(maps);
        Dev d = pick(devs);
        String hw = !hwpts.isEmpty() && chance(0.3) ? "$" + pick(hwpts) : "$" + d.name() + "_hwpt";
        long len = chance(0.7) ? m.length() & ~0x7ffL : 0x800;
        emit("check_map " + hw + " $" + m.name() + " " + hex(len) + " " + va(m.vaOff()));
    }

    // ---- the NEST theme ----------------------------------------------------------------------
    //
    // The generator keeps a small model of what the kernel will answer (which objects live,
    // who holds whom, the mock IOTLB and device-cache values), only so that most of its
    // checks and destroys are ones that should succeed; a wrong guess is still a test.

    private static final long IOTLB_DEFAULT = 0xbadbeefL;
    private static final long DEV_CACHE_DEFAULT = 0xbaddadL;
    private static final long[] IOTLB_VALUES = {0, 1, 0x1234, 0xbadbeefL, 0xffffffffL, 0x80000000L, 0x55aa};
    private static final long[] VIRT_IDS = {0, 1, 2, 3, 0x99, 0x88, 0x100000001L, 0xffffffffL, 0xffffffffffffffffL};
    private static final String[] INV_FLAGS = {":2", ":0xffffffff", ":0x80000000", ":0x3"};

    /** A nested HWPT: made on a parent (viommu null) or through a vIOMMU; its four IOTLB values. */
    private static final class Nested {
        final String name;
        final String parent;
        final String viommu;
        final String fault;
        final long[] iotlb = new long[4];

        Nested(String name, String parent, String viommu, String fault, long value) {
            this.name = name;
            this.parent = parent;
            this.viommu = viommu;
            this.fault = fault;
            java.util.Arrays.fill(iotlb, value);
        }

        String name() {
            return name;
        }

        String parent() {
            return parent;
        }

        String viommu() {
            return viommu;
        }

        String fault() {
            return fault;
        }
    }

    /** A vIOMMU on a parent. */
    private record Viommu(String name, String parent) {
    }

    /** A vDEVICE: the device's stdev name, its vIOMMU, its virtual ID. */
    private record Vdev(String name, String viommu, String dev, long virtId) {
    }

    /** A paging HWPT made with hwpt_alloc: its IOAS, whether it is a parent, its FAULT. */
    private record Paging(String name, String ioas, boolean parent, String fault) {
    }

    private final List<Paging> pagings = new ArrayList<>();
    private final List<Nested> nesteds = new ArrayList<>();
    private final List<Viommu> viommus = new ArrayList<>();
    private final List<Vdev> vdevs = new ArrayList<>();
    /** FAULT objects; faultsOpen: those whose fd is still open. */
    private final List<String> faults = new ArrayList<>();
    private final List<String> faultsOpen = new ArrayList<>();
    /** stdev name -> what it is attached to (an IOAS, paging or nested HWPT name). */
    private final java.util.Map<String, String> attached = new java.util.HashMap<>();
    /** stdev name -> its mock device cache. */
    private final java.util.Map<String, long[]> caches = new java.util.HashMap<>();

    private void nestStart() {
        String io = ioases.get(0);
        nestDevice(io);
        if (chance(0.4)) {
            nestDevice(io);
        }
        if (chance(0.5)) {
            emit("ioas_map $" + io + " va 0x" + Long.toHexString(0x1000L << rnd.nextInt(6)) + " iova=0x1000000");
        }
        if (chance(0.9)) {
            String n = fresh("p");
            emit(n + " = hwpt_alloc $" + devs.get(0).name() + "_idev $" + io + " flags=NEST_PARENT");
            pagings.add(new Paging(n, io, true, null));
        }
    }

    private void nestDevice(String ioas) {
        String n = fresh("s");
        emit(n + " = mock_domain $" + ioas + (chance(0.1) ? " dev_flags=NO_DIRTY" : ""));
        devs.add(new Dev(n, ioas));
        attached.put(n, ioas);
        long[] c = new long[4];
        java.util.Arrays.fill(c, DEV_CACHE_DEFAULT);
        caches.put(n, c);
    }

    /** An index into w drawn with probability proportional to its weight. */
    private int weighted(double[] w) {
        double total = 0;
        for (double x : w) {
            total += x;
        }
        double r = rnd.nextDouble() * total;
        int k = 0;
        while (k < w.length - 1 && r >= w[k]) {
            r -= w[k];
            k++;
        }
        return k;
    }

    private void nestStep() {
        double[] w = {2, 4.5, 2, 2.5, 4, 3, 3, 2, 3, 3.5, 1, 1.5};
        switch (weighted(w)) {
            case 0 -> parentAlloc();
            case 1 -> nestedAlloc();
            case 2 -> viommuAlloc();
            case 3 -> vdeviceAlloc();
            case 4 -> hwptInvalidate();
            case 5 -> viommuInvalidate();
            case 6 -> checkIotlb();
            case 7 -> checkDevCache();
            case 8 -> nestReplace();
            case 9 -> nestDestroy();
            case 10 -> faultOps();
            default -> nestOther();
        }
    }

    private String dev() {
        if (devs.isEmpty()) {
            nestDevice(ioases.isEmpty() ? newIoasName() : pick(ioases));
        }
        return pick(devs).name();
    }

    private String newIoasName() {
        newIoas();
        return ioases.get(ioases.size() - 1);
    }

    /** An ID in a wrong or missing place: 0, 99, or an object of another type. */
    private String wrongId() {
        List<String> all = new ArrayList<>(ioases);
        for (Dev d : devs) {
            all.add(d.name());
            all.add(d.name() + "_hwpt");
        }
        for (Vdev v : vdevs) {
            all.add(v.name());
        }
        if (all.isEmpty() || chance(0.3)) {
            return chance(0.5) ? "0" : "99";
        }
        return "$" + pick(all);
    }

    private String iotlbValue() {
        return hex(pick(IOTLB_VALUES));
    }

    private void parentAlloc() {
        String d = dev();
        String io = ioases.isEmpty() ? newIoasName() : pick(ioases);
        String n = fresh("p");
        switch (rnd.nextInt(10)) {
            case 0 -> {
                emit(n + " = hwpt_alloc $" + d + "_idev $" + io);
                pagings.add(new Paging(n, io, false, null));
            }
            case 1 -> emit("hwpt_alloc $" + d + "_idev $" + io + " flags=NEST_PARENT|FAULT_ID_VALID"
                    + (faults.isEmpty() ? "" : " fault_id=$" + pick(faults)));
            case 2 -> {
                emit(n + " = hwpt_alloc $" + d + "_idev $" + io + " flags=NEST_PARENT|DIRTY_TRACKING");
                pagings.add(new Paging(n, io, true, null)); // EOPNOTSUPP on a NO_DIRTY device: then unused
            }
            case 3 -> emit("hwpt_alloc " + wrongId() + " $" + io + " flags=NEST_PARENT");
            default -> {
                emit(n + " = hwpt_alloc $" + d + "_idev $" + io + " flags=NEST_PARENT");
                pagings.add(new Paging(n, io, true, null));
            }
        }
    }

    private Paging parent() {
        List<Paging> ps = pagings.stream().filter(Paging::parent).toList();
        return ps.isEmpty() ? null : pick(ps);
    }

    private void nestedAlloc() {
        String d = dev();
        String pt;
        String parentName = null;
        String viommuName = null;
        boolean good = true;
        int where = rnd.nextInt(20);
        Paging par = parent();
        if (par == null && viommus.isEmpty() && chance(0.8)) {
            parentAlloc();
            return;
        }
        if (where < 9 && par != null) {
            pt = "$" + par.name();
            parentName = par.name();
        } else if (where < 15 && !viommus.isEmpty()) {
            Viommu v = pick(viommus);
            pt = "$" + v.name();
            viommuName = v.name();
            parentName = v.parent();
        } else if (where < 17 && !pagings.isEmpty()) {
            Paging p = pick(pagings);
            pt = "$" + p.name();
            good = p.parent();
            parentName = p.name();
        } else if (where < 18 && !nesteds.isEmpty()) {
            pt = "$" + pick(nesteds).name();
            good = false;
        } else if (where < 19 && !devs.isEmpty()) {
            pt = "$" + pick(devs).name() + "_hwpt";
            good = false;
        } else {
            parentAlloc();
            return;
        }
        long value = IOTLB_DEFAULT;
        StringBuilder args = new StringBuilder();
        switch (rnd.nextInt(14)) {
            case 0 -> args.append(" data_type=0xdead");
            case 1 -> {
                args.append(" data_type=").append(hex(pick(new long[] {0, 1, 2, 3, 0xdeae, 0xffffffffL})));
                good = false;
            }
            case 2 -> {
                long len = pick(new long[] {0, 1, 3, 9, 12, 16, 64});
                value = pick(IOTLB_VALUES);
                args.append(" iotlb=").append(hex(value)).append(" data_len=").append(len);
                good = false;
            }
            case 3 -> {
                value = pick(IOTLB_VALUES);
                args.append(" iotlb=").append(hex(value)).append(" data_len=").append(4 + rnd.nextInt(5));
            }
            case 4 -> good = false; // no data
            default -> {
                value = pick(IOTLB_VALUES);
                args.append(" iotlb=").append(hex(value));
            }
        }
        String fault = null;
        switch (rnd.nextInt(12)) {
            case 0 -> args.append(" flags=ALLOC_PASID");
            case 1 -> {
                args.append(" flags=").append(pick(List.of("NEST_PARENT", "DIRTY_TRACKING", "0x10", "0x80000000")));
                good = false;
            }
            case 2 -> {
                if (!faults.isEmpty()) {
                    fault = pick(faults);
                    args.append(" fault_id=$").append(fault);
                } else {
                    args.append(" fault_id=").append(chance(0.5) ? "0xffffffff" : "0");
                    good = false;
                }
            }
            case 3 -> {
                args.append(" fault_id=").append(wrongId());
                good = false;
            }
            default -> {
            }
        }
        String n = fresh("n");
        emit(n + " = hwpt_alloc " + (chance(0.05) ? wrongId() : "$" + d + "_idev") + " " + pt + args);
        if (good) {
            nesteds.add(new Nested(n, parentName, viommuName, fault, value));
        }
    }

    private void viommuAlloc() {
        String d = dev();
        Paging par = parent();
        String hw;
        boolean good = par != null;
        if (par != null && chance(0.8)) {
            hw = "$" + par.name();
        } else if (!pagings.isEmpty() && chance(0.5)) {
            Paging p = pick(pagings);
            hw = "$" + p.name();
            good = p.parent();
            par = p;
        } else {
            hw = wrongId();
            good = false;
        }
        StringBuilder args = new StringBuilder();
        switch (rnd.nextInt(12)) {
            case 0 -> {
                args.append(" type=").append(hex(pick(new long[] {0, 1, 2, 0xdead, 0xdeadbeeeL})));
                good = false;
            }
            case 1 -> {
                args.append(" flags=").append(hex(pick(new long[] {1, 2, 0x80000000L})));
                good = false;
            }
            case 2, 3, 4 -> args.append(" in_data=").append(iotlbValue());
            default -> {
            }
        }
        String n = fresh("v");
        emit(n + " = viommu_alloc $" + d + "_idev " + hw + args);
        if (good) {
            viommus.add(new Viommu(n, par.name()));
        }
    }

    private void vdeviceAlloc() {
        if (viommus.isEmpty()) {
            viommuAlloc();
            return;
        }
        Viommu v = pick(viommus);
        String d = dev();
        long virt;
        if (!vdevs.isEmpty() && chance(0.2)) {
            virt = pick(vdevs).virtId(); // a taken one, here or in another vIOMMU
        } else {
            virt = chance(0.7) ? pick(VIRT_IDS) : rnd.nextInt(0x200);
        }
        String viommuRef = chance(0.06) ? wrongId() : "$" + v.name();
        String devRef = chance(0.06) ? wrongId() : "$" + d + "_idev";
        String n = fresh("a");
        emit(n + " = vdevice_alloc " + viommuRef + " " + devRef + " " + hex(virt));
        boolean good = viommuRef.equals("$" + v.name()) && devRef.equals("$" + d + "_idev");
        for (Vdev x : vdevs) {
            if (x.dev().equals(d) || x.viommu().equals(v.name()) && x.virtId() == virt) {
                good = false;
            }
        }
        if (good) {
            vdevs.add(new Vdev(n, v.name(), d, virt));
        }
    }

    /** One hwpt_invalidate entry: "ID", "all", optionally ":FLAGS"; applied to the model when valid. */
    private void hwptInvalidate() {
        String target;
        Nested n = null;
        int which = rnd.nextInt(12);
        if (which < 8 && !nesteds.isEmpty()) {
            n = pick(nesteds);
            target = "$" + n.name();
        } else if (which < 9 && !viommus.isEmpty()) {
            target = "$" + pick(viommus).name();
        } else if (which < 10 && !pagings.isEmpty()) {
            target = "$" + pick(pagings).name();
        } else {
            target = wrongId();
        }
        StringBuilder sb = new StringBuilder("hwpt_invalidate " + target);
        boolean plain = true;
        List<String> specs = new ArrayList<>();
        switch (rnd.nextInt(6)) {
            case 0 -> {
                sb.append(" all");
                specs.add("all");
            }
            case 1 -> {
                int id = rnd.nextInt(6);
                sb.append(" iotlb_id=").append(id);
                specs.add(String.valueOf(id));
            }
            default -> {
                int count = 1 + rnd.nextInt(chance(0.2) ? 16 : 4);
                for (int i = 0; i < count; i++) {
                    String spec = chance(0.15) ? "all" : String.valueOf(chance(0.85) ? rnd.nextInt(4) : 4 + rnd.nextInt(3));
                    if (chance(0.1)) {
                        spec += INV_FLAGS[rnd.nextInt(INV_FLAGS.length)];
                    } else if (chance(0.05)) {
                        spec += ":1";
                    }
                    specs.add(spec);
                }
                sb.append(" entries=").append(String.join(",", specs));
            }
        }
        switch (rnd.nextInt(16)) {
            case 0 -> {
                sb.append(" data_type=").append(hex(pick(new long[] {0, 0xdadbeefL, 0xdead, 1})));
                plain = false;
            }
            case 1 -> {
                sb.append(" entry_len=").append(pick(new long[] {0, 1, 4, 7, 9, 12, 16, 4096, 4097}));
                plain = false;
            }
            case 2 -> {
                long num = pick(new long[] {0, 1, 2, 5, 17});
                sb.append(" entry_num=").append(num);
                plain = false;
            }
            case 3 -> {
                sb.append(" data_uptr=0").append(chance(0.5) ? " entry_num=0" : "");
                plain = false;
            }
            default -> {
            }
        }
        emit(sb.toString());
        if (n != null && plain) {
            for (String spec : specs) {
                int colon = spec.indexOf(':');
                long flags = colon < 0 ? 0 : Long.decode(spec.substring(colon + 1));
                String id = colon < 0 ? spec : spec.substring(0, colon);
                if (id.equals("all")) {
                    flags |= 1;
                }
                if ((flags & ~1L) != 0) {
                    break;
                }
                if ((flags & 1) != 0) {
                    java.util.Arrays.fill(n.iotlb, 0);
                    continue;
                }
                int i = Integer.parseInt(id);
                if (i > 3) {
                    break;
                }
                n.iotlb[i] = 0;
            }
        }
    }

    private void viommuInvalidate() {
        String target;
        Viommu v = null;
        int which = rnd.nextInt(12);
        if (which < 9 && !viommus.isEmpty()) {
            v = pick(viommus);
            target = "$" + v.name();
        } else if (which < 10 && !nesteds.isEmpty()) {
            target = "$" + pick(nesteds).name();
        } else {
            target = wrongId();
        }
        List<Vdev> mine = new ArrayList<>();
        for (Vdev x : vdevs) {
            if (v != null && x.viommu().equals(v.name())) {
                mine.add(x);
            }
        }
        StringBuilder sb = new StringBuilder("viommu_invalidate " + target);
        List<long[]> parsed = new ArrayList<>(); // {vdev_id (u32), cache or -1 for all}
        int count = chance(0.1) ? 0 : 1 + rnd.nextInt(chance(0.2) ? 8 : 3);
        List<String> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long vid = !mine.isEmpty() && chance(0.8) ? pick(mine).virtId() : pick(VIRT_IDS);
            vid &= 0xffffffffL; // the struct's vdev_id is a u32
            long cache = chance(0.2) ? -1 : chance(0.9) ? rnd.nextInt(4) : 4 + rnd.nextInt(2);
            specs.add(hex(vid) + "/" + (cache < 0 ? "all" : String.valueOf(cache)));
            parsed.add(new long[] {vid, cache});
        }
        if (!specs.isEmpty()) {
            sb.append(" entries=").append(String.join(",", specs));
        }
        boolean plain = true;
        switch (rnd.nextInt(12)) {
            case 0 -> {
                sb.append(" data_type=").append(hex(pick(new long[] {0, 0xdadbeefL, 0xdead})));
                plain = false;
            }
            case 1 -> {
                sb.append(" entry_len=").append(pick(new long[] {0, 1, 4, 8, 13, 16, 24, 4097}));
                plain = false;
            }
            case 2 -> {
                sb.append(" data_uptr=0");
                plain = false;
            }
            default -> {
            }
        }
        emit(sb.toString());
        if (v == null || !plain) {
            return;
        }
        for (long[] e : parsed) {
            if (e[1] > 3) {
                break;
            }
            Vdev found = null;
            for (Vdev x : mine) {
                if (x.virtId() == e[0]) {
                    found = x;
                }
            }
            if (found == null) {
                break;
            }
            long[] c = caches.get(found.dev());
            if (c == null) {
                break;
            }
            if (e[1] < 0) {
                java.util.Arrays.fill(c, 0);
            } else {
                c[(int) e[1]] = 0;
            }
        }
    }

    private void checkIotlb() {
        if (nesteds.isEmpty() || chance(0.05)) {
            emit("check_iotlb " + (pagings.isEmpty() || chance(0.5) ? wrongId() : "$" + pick(pagings).name()) + " 0 0xbadbeef");
            return;
        }
        Nested n = pick(nesteds);
        int id = chance(0.93) ? rnd.nextInt(4) : 4;
        long value = id < 4 && chance(0.85) ? n.iotlb[id] : pick(IOTLB_VALUES);
        emit("check_iotlb $" + n.name() + " " + id + " " + hex(value));
    }

    private void checkDevCache() {
        if (devs.isEmpty() || chance(0.05)) {
            emit("check_dev_cache " + wrongId() + " 0 0xbaddad");
            return;
        }
        Dev d = pick(devs);
        long[] c = caches.get(d.name());
        int id = chance(0.93) ? rnd.nextInt(4) : 4;
        long value = id < 4 && c != null && chance(0.85) ? c[id] : chance(0.5) ? DEV_CACHE_DEFAULT : 0;
        emit("check_dev_cache $" + d.name() + "_idev " + id + " " + hex(value));
    }

    private boolean hasVdevIn(String dev, String viommu) {
        for (Vdev x : vdevs) {
            if (x.dev().equals(dev) && x.viommu().equals(viommu)) {
                return true;
            }
        }
        return false;
    }

    private void nestReplace() {
        if (devs.isEmpty()) {
            dev();
            return;
        }
        Dev d = pick(devs);
        String to;
        boolean good = true;
        int which = rnd.nextInt(10);
        if (which < 5 && !nesteds.isEmpty()) {
            Nested n = pick(nesteds);
            to = n.name();
            good = n.viommu() == null || hasVdevIn(d.name(), n.viommu());
        } else if (which < 7 && !pagings.isEmpty()) {
            to = pick(pagings).name();
        } else if (which < 8 && !viommus.isEmpty()) {
            to = pick(viommus).name();
            good = false;
        } else {
            to = pick(ioases);
        }
        emit("mock_domain_replace $" + d.name() + " $" + to);
        if (good) {
            attached.put(d.name(), to);
        }
    }

    private boolean attachedTo(String name) {
        return attached.containsValue(name);
    }

    /** Destroys an object; drops it from the model when the kernel should agree. */
    private void nestDestroy() {
        int which = rnd.nextInt(14);
        if (which < 4 && !nesteds.isEmpty()) {
            Nested n = pick(nesteds);
            emit("destroy $" + n.name());
            if (!attachedTo(n.name())) {
                nesteds.remove(n);
            }
        } else if (which < 6 && !vdevs.isEmpty()) {
            Vdev v = pick(vdevs);
            emit("destroy $" + v.name());
            vdevs.remove(v);
        } else if (which < 8 && !viommus.isEmpty()) {
            Viommu v = pick(viommus);
            emit("destroy $" + v.name());
            boolean busy = vdevs.stream().anyMatch(x -> x.viommu().equals(v.name()))
                    || nesteds.stream().anyMatch(x -> v.name().equals(x.viommu()));
            if (!busy) {
                viommus.remove(v);
            }
        } else if (which < 10 && !pagings.isEmpty()) {
            Paging p = pick(pagings);
            emit("destroy $" + p.name());
            boolean busy = attachedTo(p.name()) || viommus.stream().anyMatch(x -> x.parent().equals(p.name()))
                    || nesteds.stream().anyMatch(x -> p.name().equals(x.parent()));
            if (!busy) {
                pagings.remove(p);
            }
        } else if (which < 11 && !devs.isEmpty()) {
            // unbinding a device destroys its vDEVICE (a tombstone ID) and its auto domain
            Dev d = pick(devs);
            emit("destroy $" + d.name());
            devs.remove(d);
            attached.remove(d.name());
            vdevs.removeIf(x -> x.dev().equals(d.name()));
        } else if (which < 12 && !faults.isEmpty()) {
            String f = pick(faults);
            if (faultsOpen.contains(f)) {
                // the fd holds the FAULT: close it first (tools/kernel-oracle/DISAGREEMENTS.md D4)
                emit("fd_close $" + f);
                faultsOpen.remove(f);
            }
            emit("destroy $" + f);
            boolean busy = nesteds.stream().anyMatch(x -> f.equals(x.fault())) || pagings.stream().anyMatch(x -> f.equals(x.fault()));
            if (!busy) {
                faults.remove(f);
            }
        } else if (which < 13) {
            String io = pick(ioases);
            emit("destroy $" + io);
        } else {
            emit("destroy " + (1 + rnd.nextInt(16)));
        }
    }

    private void faultOps() {
        if (chance(0.1)) {
            emit("fault_alloc flags=" + hex(pick(new long[] {1, 2, 0x80000000L})));
            return;
        }
        if (faults.size() < 3 || chance(0.3)) {
            String f = fresh("f");
            emit(f + " = fault_alloc");
            faults.add(f);
            faultsOpen.add(f);
            return;
        }
        // a paging HWPT with a FAULT (not a parent)
        String d = dev();
        String f = pick(faults);
        String n = fresh("p");
        emit(n + " = hwpt_alloc $" + d + "_idev $" + pick(ioases) + " fault_id=$" + f);
        pagings.add(new Paging(n, null, false, f));
    }

    private void nestOther() {
        switch (rnd.nextInt(7)) {
            case 0 -> nestDevice(pick(ioases));
            case 1 -> {
                // a new device straight onto a nested HWPT (needs a vDEVICE when vIOMMU-made)
                if (nesteds.isEmpty()) {
                    nestDevice(pick(ioases));
                    return;
                }
                Nested n = pick(nesteds);
                String s = fresh("s");
                emit(s + " = mock_domain $" + n.name());
                if (n.viommu() == null) {
                    devs.add(new Dev(s, n.name()));
                    attached.put(s, n.name());
                    long[] c = new long[4];
                    java.util.Arrays.fill(c, DEV_CACHE_DEFAULT);
                    caches.put(s, c);
                }
            }
            case 2 -> {
                String io = pick(ioases);
                emit("ioas_map $" + io + " va+" + hex(0x1000L * rnd.nextInt(0x100)) + " " + hex(0x1000L << rnd.nextInt(4))
                        + (chance(0.5) ? " iova=" + hex(0x1000000L + 0x10000L * rnd.nextInt(0x100)) : ""));
            }
            case 3 -> {
                if (pagings.isEmpty()) {
                    newIoas();
                    return;
                }
                Paging p = pick(pagings);
                emit("check_map $" + p.name() + " 0x1000000 0x1000 va");
            }
            case 4 -> newIoas();
            case 5 -> emit("get_hw_info $" + dev() + "_idev");
            default -> emit("ioas_alloc");
        }
    }
}
