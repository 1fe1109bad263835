package dev.iommufdsim.repl.replay;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.Selftest;
import dev.iommufdsim.kernel.AnonMemory;
import dev.iommufdsim.kernel.UserMemory;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Replays a kernel-oracle operation list (the {@code .ops} format of
 * tools/kernel-oracle/iommufd-ops.c) through the emulator and returns exactly what the
 * runner prints on the real kernel, line for line, so that a plain {@code diff} against
 * the recorded {@code .ops.out} is the comparison.
 *
 * <p>Every file runs in a fresh {@link Machine} (the selftest mock driver from the
 * plugins) with one open context, as the runner starts with one open of /dev/iommu. The
 * runner's details are reproduced: line numbers count every line read (comments and blank
 * lines too), {@code name = op} captures the op's first output only on success,
 * {@code mock_domain} also sets {@code name_hwpt} and {@code name_idev}, values are
 * strtoull() numbers, {@code $name}, {@code va}/{@code va+OFF} in a 256 MiB buffer at
 * 0x400000000000 and flag words joined by {@code |}; u32/u16 struct fields truncate; the
 * outputs the kernel writes back on an error ({@code ioas_unmap}'s length,
 * {@code ioas_iova_ranges} on EMSGSIZE) are printed as the runner prints them; a closed
 * context answers EBADF; the runner's fatal input errors (unknown op, word or $name,
 * missing argument) print its stderr line and end the file.
 *
 * <p>Nesting: {@code hwpt_alloc} with nested data on a parent or a vIOMMU,
 * {@code hwpt_invalidate} and {@code viommu_invalidate} (the runner's entry arrays byte for
 * byte, entry_num printed also on error), {@code check_iotlb}, {@code check_dev_cache},
 * {@code viommu_alloc} ({@code out_data} only with {@code in_data}), {@code vdevice_alloc},
 * and the project runner's {@code fault_alloc}, {@code veventq_alloc} and {@code fd_close}.
 *
 * <p>Ops the emulator cannot serve yet print {@code LINE: op err ENOSYS-emulator}, a line
 * the real runner never prints, and the replay goes on.
 */
public final class OpsReplay {
    /** VA_BASE and VA_SIZE of the runner: the test buffer every {@code va+OFF} points into. */
    public static final long VA_BASE = 0x400000000000L;
    public static final long VA_SIZE = 256L << 20;
    /** The errno word of an op the emulator does not serve (never printed by the kernel). */
    public static final String UNSERVED = "ENOSYS-emulator";
    /** The ops the runner knows and the emulator does not serve yet. */
    public static final Set<String> UNSERVED_OPS = Set.of("check_refs");
    /** The ops the replay serves. */
    public static final Set<String> SERVED_OPS = Set.of("ioas_alloc", "destroy", "ioas_map", "ioas_unmap", "ioas_copy",
            "ioas_iova_ranges", "ioas_allow_iovas", "option", "mock_domain", "mock_domain_flags", "mock_domain_replace",
            "add_reserved", "check_map", "hwpt_alloc", "get_hw_info", "set_dirty_tracking", "hwpt_invalidate", "check_iotlb",
            "viommu_alloc", "vdevice_alloc", "viommu_invalidate", "check_dev_cache", "fault_alloc", "veventq_alloc", "fd_close",
            "open", "use", "close", "pasid_attach", "pasid_replace", "pasid_detach", "pasid_check");

    /** The runner's errname(): these by name, others as E&lt;number&gt;. */
    private static final Set<String> NAMED_ERRNOS = Set.of("EPERM", "ENOENT", "EIO", "E2BIG", "EBADF", "ENOMEM", "EFAULT",
            "EBUSY", "EEXIST", "ENODEV", "EINVAL", "ENOSPC", "ERANGE", "ENOTTY", "EOVERFLOW", "EOPNOTSUPP", "EADDRINUSE",
            "ENXIO", "EAGAIN", "EMSGSIZE");

    /** The flag and option words of the runner's names[] table. */
    private static final Map<String, Long> WORDS = Map.ofEntries(
            Map.entry("FIXED_IOVA", 1L), Map.entry("WRITEABLE", 2L), Map.entry("READABLE", 4L),
            Map.entry("NEST_PARENT", 1L), Map.entry("DIRTY_TRACKING", 2L),
            Map.entry("NO_DIRTY", 1L), Map.entry("HUGE_IOVA", 2L), Map.entry("PASID", 4L),
            Map.entry("ALLOC_PASID", 8L),
            Map.entry("RLIMIT_MODE", 0L), Map.entry("HUGE_PAGES", 1L),
            Map.entry("SET", 0L), Map.entry("GET", 1L),
            Map.entry("FAULT_ID_VALID", 4L), Map.entry("NONE", 0L));

    private static final int READABLE_WRITEABLE = 2 | 4;
    private static final int FIXED_IOVA = 1;
    private static final int IOMMU_HWPT_FAULT_ID_VALID = 1 << 2;
    private static final int IOMMU_HWPT_DATA_SELFTEST = 0xdead;
    private static final int IOMMU_TEST_IOTLB_DEFAULT = 0xbadbeef;
    private static final int IOMMU_HWPT_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;
    private static final int IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;
    private static final int IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef;
    private static final int IOMMU_TEST_INVALIDATE_FLAG_ALL = 1;
    /** sizeof(struct iommu_hwpt_invalidate_selftest) {flags, iotlb_id}. */
    private static final int HWPT_INV_ENTRY = 8;
    /** sizeof(struct iommu_viommu_invalidate_selftest) {flags, vdev_id, cache_id}. */
    private static final int VIOMMU_INV_ENTRY = 12;
    /** The runner's invalidation arrays: d[16]. */
    private static final int INV_ENTRIES = 16;
    /** sizeof(struct iommu_viommu_selftest) {in_data, out_data, out_mmap_offset, out_mmap_length}. */
    private static final int VIOMMU_SELFTEST_SIZE = 24;
    private static final long PAGE_SIZE = 4096;
    /** The runner's qfds[64]. */
    private static final int MAX_QFDS = 64;
    private static final int IOMMU_VEVENTQ_TYPE_SELFTEST = 0xbeefbeef;
    private static final int OPTION_OP_SET = 0;
    /** The runner's fds[8]. */
    private static final int MAX_FDS = 8;

    private final Supplier<Machine> machines;

    /** A replay whose files each get a machine from this supplier (drivers registered). */
    public OpsReplay(Supplier<Machine> machines) {
        this.machines = machines;
    }

    /**
     * A replay with the drivers of these plugins (the mock driver is the one used), following
     * mainline (Linux 7.2, the oracle kernel the recordings come from).
     */
    public static OpsReplay withPlugins(PluginHost plugins) {
        return withPlugins(plugins, KernelProfile.MAINLINE);
    }

    /** A replay following another kernel-behaviour profile (to see what a profile changes). */
    public static OpsReplay withPlugins(PluginHost plugins, KernelProfile profile) {
        return new OpsReplay(() -> {
            Machine m = new Machine(profile);
            plugins.registerInto(m);
            return m;
        });
    }

    /** Replays one operation list's text; returns the runner's output for it. */
    public String run(String text) {
        return new Run(machines.get()).run(text);
    }

    /** Replays one file (read byte for byte, as the runner reads it). */
    public String run(Path file) throws IOException {
        return run(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
    }

    /**
     * The runner's memory: only the test buffer exists (its mmap at VA_BASE). One per replay, as
     * the runner is one process; pins count per replay's machine.
     */
    static UserMemory runnerMemory() {
        return new AnonMemory(VA_BASE, VA_SIZE, List.of());
    }

    /** Whether every page of [va, va + length) is in the runner's buffer. */
    static boolean inRunnerBuffer(long va, long length) {
        return Long.compareUnsigned(va, VA_BASE) >= 0 && Long.compareUnsigned(length, VA_SIZE) <= 0
                && Long.compareUnsigned(va - VA_BASE, VA_SIZE - length) <= 0;
    }

    /** The runner stops (exit(2)) after printing this line on stderr. */
    private static final class RunnerExit extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RunnerExit(String message) {
            super(message, null, false, false);
        }
    }

    /** An ioctl's failure as the runner sees it: an errno word. */
    private static final class OpError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String word;

        OpError(String word) {
            super(word, null, false, false);
            this.word = word;
        }
    }

    /** One file's replay: the runner's globals. */
    private static final class Run {
        private final Machine machine;
        private final IommufdCtx[] fds = new IommufdCtx[MAX_FDS];
        private int cur;
        private final Map<String, Long> vars = new HashMap<>();
        /** The runner's qfds[]: {slot, id, fd (-1 once closed)} of each fault_alloc/veventq_alloc, in order. */
        private final List<long[]> qfds = new ArrayList<>();
        private int lineno;
        private final StringBuilder out = new StringBuilder();

        /** The runner process's memory, shared by all its contexts. */
        private final UserMemory memory = runnerMemory();

        Run(Machine machine) {
            this.machine = machine;
        }

        private IommufdCtx openCtx() {
            IommufdCtx c = machine.open();
            c.setUserMemory(memory);
            return c;
        }

        String run(String text) {
            fds[0] = openCtx();
            try {
                for (String read : CParse.fgetsReads(text)) {
                    lineno++;
                    String[] t = CParse.tokens(read);
                    int n = t.length;
                    if (n == 0) {
                        continue;
                    }
                    String capture = null;
                    if (n > 2 && t[1].equals("=")) {
                        capture = t[0];
                        String[] rest = new String[n - 2];
                        System.arraycopy(t, 2, rest, 0, n - 2);
                        t = rest;
                        n -= 2;
                    }
                    String undef = firstUndefined(t);
                    if (undef != null) {
                        line(t[0] + " skipped (undefined " + undef + ")");
                        continue;
                    }
                    String[] args = new String[n - 1];
                    System.arraycopy(t, 1, args, 0, n - 1);
                    op(t[0], args, capture);
                }
            } catch (RunnerExit e) {
                out.append(e.getMessage()).append('\n');
            }
            return out.toString();
        }

        /** main()'s scan for a $name never set: the rest of the token from that '$'. */
        private String firstUndefined(String[] t) {
            for (int i = 1; i < t.length; i++) {
                String tok = t[i];
                for (int d = tok.indexOf('$'); d >= 0; d = tok.indexOf('$', d + 1)) {
                    int len = CParse.strcspn(tok, d + 1, "|-");
                    if (!vars.containsKey(tok.substring(d + 1, d + 1 + len))) {
                        return tok.substring(d);
                    }
                }
            }
            return null;
        }

        private void line(String s) {
            out.append(lineno).append(": ").append(s).append('\n');
        }

        private RunnerExit exit(String message) {
            return new RunnerExit(lineno + ": " + message);
        }

        // ---- the runner's value parsing ------------------------------------------------------

        /** val(): '|'-joined words, each $name, va, va+OFF, a number or a flag word. */
        private long val(String s) {
            if (s.length() > 255) {
                s = s.substring(0, 255); // snprintf into char buf[256]
            }
            long r = 0;
            for (String tok : s.split("\\|")) {
                if (tok.isEmpty()) {
                    continue; // strtok skips empty fields
                }
                long v;
                if (tok.charAt(0) == '$') {
                    Long x = vars.get(tok.substring(1));
                    if (x == null) {
                        throw exit("unknown $" + tok.substring(1));
                    }
                    v = x;
                } else if (tok.startsWith("va+")) {
                    v = VA_BASE + CParse.strtoull(tok.substring(3));
                } else if (tok.equals("va")) {
                    v = VA_BASE;
                } else if (Character.isDigit(tok.charAt(0)) && tok.charAt(0) < 128 || tok.charAt(0) == '-') {
                    v = CParse.strtoull(tok);
                } else {
                    Long w = WORDS.get(tok);
                    if (w == null) {
                        throw exit("unknown word " + tok);
                    }
                    v = w;
                }
                r |= v;
            }
            return r;
        }

        /** kv(): the value of the first "key=" token, or null. */
        private Long kv(String[] t, String key) {
            for (String tok : t) {
                if (tok.startsWith(key) && tok.length() > key.length() && tok.charAt(key.length()) == '=') {
                    return val(tok.substring(key.length() + 1));
                }
            }
            return null;
        }

        /** P(i): the i-th token without '=' (exit 2 when missing). */
        private long p(String[] t, int want) {
            int seen = 0;
            for (String tok : t) {
                if (tok.indexOf('=') >= 0) {
                    continue;
                }
                if (seen++ == want) {
                    return val(tok);
                }
            }
            throw exit("missing argument " + (want + 1));
        }

        private static int u32(long v) {
            return (int) v;
        }

        private static long u32l(long v) {
            return v & 0xffffffffL;
        }

        private static String hex(long v) {
            return "0x" + Long.toHexString(v);
        }

        private IommufdCtx ctx() {
            IommufdCtx c = cur >= 0 && cur < MAX_FDS ? fds[cur] : null;
            if (c == null || c.isClosed()) {
                throw new OpError("EBADF"); // ioctl() on fd -1
            }
            return c;
        }

        private static String errname(Errno e) {
            return NAMED_ERRNOS.contains(e.name()) ? e.name() : "E" + e.number();
        }

        // ---- one op --------------------------------------------------------------------------

        /** run() of the runner: one op, its output line, the capture. */
        private void op(String op, String[] t, String capture) {
            StringBuilder o = new StringBuilder();
            long[] first = {0};
            String err = null;
            try {
                dispatch(op, t, capture, o, first);
            } catch (IommufdException e) {
                err = errname(e.errno());
                onError(op, t, e, o);
            } catch (OpError e) {
                err = e.word;
                onError(op, t, null, o);
            } catch (RunnerExit e) {
                throw e;
            } catch (RuntimeException e) {
                err = "EMULATOR-BUG(" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
            }
            if (err != null) {
                line(op + " err " + err + o);
            } else {
                line(op + " ok" + o);
                if (capture != null) {
                    vars.put(capture, first[0]);
                }
            }
        }

        /** What the runner prints after "err ERRNO": the outputs it prints whatever happened. */
        private void onError(String op, String[] t, IommufdException e, StringBuilder o) {
            if (op.equals("hwpt_invalidate") || op.equals("viommu_invalidate")) {
                // the kernel always writes entry_num back; an ioctl that never ran leaves the request
                o.setLength(0);
                if (e != null && e.partialOutput() instanceof IommufdCtx.InvalidateOut r) {
                    o.append(" entry_num=").append(u32l(r.entryNum()));
                    return;
                }
                try {
                    long n = invalidateRequest(op, t).entryNum;
                    o.append(" entry_num=").append(n);
                } catch (OpError unserved) {
                    // the request itself cannot be served: nothing more to print
                }
                return;
            }
            switch (op) {
                case "ioas_unmap" -> o.setLength(0);
                case "ioas_iova_ranges" -> o.setLength(0);
                default -> {
                    return;
                }
            }
            if (op.equals("ioas_unmap")) {
                // the kernel did not respond: the struct holds the request
                o.append(" length=").append(hex(p(t, 2)));
                return;
            }
            long cap = ioasIovaRangesCap(t);
            if (e != null && e.errno() == Errno.EMSGSIZE && e.partialOutput() instanceof IommufdCtx.IovaRanges r) {
                appendRanges(o, r, cap);
            } else {
                o.append(" num_iovas=").append(cap);
            }
        }

        private long ioasIovaRangesCap(String[] t) {
            Long x = kv(t, "num_iovas");
            if (x == null) {
                return 64;
            }
            return Long.compareUnsigned(x, 1024) > 0 ? 1024 : x;
        }

        private static void appendRanges(StringBuilder o, IommufdCtx.IovaRanges r, long cap) {
            long num = u32l(r.numIovas());
            o.append(" num_iovas=").append(num);
            o.append(" alignment=").append(hex(r.outIovaAlignment())).append(" ranges=");
            List<IovaRange> rs = r.ranges();
            for (int i = 0; i < num && i < cap && i < rs.size(); i++) {
                o.append(i == 0 ? "" : ",").append(hex(rs.get(i).start())).append('-').append(hex(rs.get(i).last()));
            }
        }

        private void dispatch(String op, String[] t, String capture, StringBuilder o, long[] first) {
            switch (op) {
                case "ioas_alloc" -> {
                    int id = ctx().ioasAlloc(0);
                    first[0] = u32l(id);
                    o.append(" id=").append(u32l(id));
                }
                case "destroy" -> {
                    int id = u32(p(t, 0));
                    ctx().destroy(id);
                }
                case "ioas_map" -> {
                    int ioas = u32(p(t, 0));
                    long va = p(t, 1);
                    long length = p(t, 2);
                    int flags = READABLE_WRITEABLE;
                    long iova = 0;
                    Long x = kv(t, "iova");
                    if (x != null) {
                        iova = x;
                        flags |= FIXED_IOVA;
                    }
                    x = kv(t, "flags");
                    if (x != null) {
                        flags = u32(x);
                    }
                    long r = ctx().ioasMap(ioas, flags, va, length, iova, 0);
                    first[0] = r;
                    o.append(" iova=").append(hex(r));
                }
                case "ioas_unmap" -> {
                    int ioas = u32(p(t, 0));
                    long iova = p(t, 1);
                    long length = p(t, 2);
                    long r = ctx().ioasUnmap(ioas, iova, length);
                    first[0] = r;
                    o.append(" length=").append(hex(r));
                }
                case "ioas_copy" -> {
                    int dst = u32(p(t, 0));
                    int src = u32(p(t, 1));
                    long srcIova = p(t, 2);
                    long length = p(t, 3);
                    int flags = READABLE_WRITEABLE;
                    long dstIova = 0;
                    Long x = kv(t, "dst_iova");
                    if (x != null) {
                        dstIova = x;
                        flags |= FIXED_IOVA;
                    }
                    x = kv(t, "flags");
                    if (x != null) {
                        flags = u32(x);
                    }
                    long r = ctx().ioasCopy(flags, dst, src, length, dstIova, srcIova);
                    first[0] = r;
                    o.append(" dst_iova=").append(hex(r));
                }
                case "ioas_iova_ranges" -> {
                    long cap = ioasIovaRangesCap(t);
                    int ioas = u32(p(t, 0));
                    IommufdCtx.IovaRanges r = ctx().ioasIovaRanges(ioas, cap, 0);
                    first[0] = u32l(r.numIovas());
                    appendRanges(o, r, cap);
                }
                case "ioas_allow_iovas" -> {
                    List<IovaRange> ranges = new ArrayList<>();
                    for (int i = 1; i < t.length && ranges.size() < 64; i++) {
                        int d = t[i].indexOf('-');
                        if (d < 0) {
                            continue;
                        }
                        ranges.add(new IovaRange(val(t[i].substring(0, d)), val(t[i].substring(d + 1))));
                    }
                    int ioas = u32(p(t, 0));
                    ctx().ioasAllowIovas(ioas, ranges, 0);
                }
                case "option" -> {
                    int optionId = u32(p(t, 0));
                    int opc = (int) (p(t, 1) & 0xffff);
                    int objectId = u32(p(t, 2));
                    long val64 = 0;
                    if (opc == OPTION_OP_SET) {
                        val64 = p(t, 3);
                    }
                    long r = ctx().option(optionId, opc, objectId, val64, 0);
                    first[0] = r;
                    o.append(" val64=").append(Long.toUnsignedString(r));
                }
                case "mock_domain", "mock_domain_flags" -> {
                    int pt = u32(p(t, 0));
                    int devFlags = 0;
                    Long x = kv(t, "dev_flags");
                    if (x != null) {
                        devFlags = u32(x);
                    }
                    IommufdCtx c = ctx();
                    Selftest.MockDomain r = c.selftest().mockDomain(pt, devFlags);
                    first[0] = u32l(r.outStdevId());
                    if (capture != null) {
                        vars.put(capture + "_hwpt", u32l(r.outHwptId()));
                        vars.put(capture + "_idev", u32l(r.outIdevId()));
                    }
                    o.append(" stdev=").append(u32l(r.outStdevId())).append(" hwpt=").append(u32l(r.outHwptId()))
                            .append(" idev=").append(u32l(r.outIdevId()));
                }
                case "mock_domain_replace" -> {
                    int stdev = u32(p(t, 0));
                    int pt = u32(p(t, 1));
                    int r = ctx().selftest().mockDomainReplace(stdev, pt);
                    first[0] = u32l(r);
                    o.append(" pt_id=").append(u32l(r));
                }
                case "add_reserved" -> {
                    int ioas = u32(p(t, 0));
                    long start = p(t, 1);
                    long length = p(t, 2);
                    ctx().selftest().addReserved(ioas, start, length);
                }
                case "check_map" -> {
                    int hwpt = u32(p(t, 0));
                    long iova = p(t, 1);
                    long length = p(t, 2);
                    long uptr = p(t, 3);
                    ctx().selftest().mdCheckMap(hwpt, iova, length, uptr);
                }
                case "hwpt_alloc" -> hwptAlloc(t, o, first);
                case "hwpt_invalidate", "viommu_invalidate" -> {
                    Invalidate r = invalidateRequest(op, t);
                    IommufdCtx c = ctx();
                    int done = c.hwptInvalidate(r.id, r.dataType, r.entryLen, r.entries(), r.nullUptr, 0);
                    first[0] = u32l(done);
                    o.append(" entry_num=").append(u32l(done));
                }
                case "set_dirty_tracking" -> ctx().hwptSetDirtyTracking(u32(p(t, 1)), u32(p(t, 0)));
                case "check_iotlb" -> {
                    int hwpt = u32(p(t, 0));
                    int iotlbId = u32(p(t, 1));
                    long value = u32l(p(t, 2));
                    ctx().selftest().mdCheckIotlb(hwpt, iotlbId, value);
                }
                case "check_dev_cache" -> {
                    int idev = u32(p(t, 0));
                    int cacheId = u32(p(t, 1));
                    long value = u32l(p(t, 2));
                    ctx().selftest().devCheckCache(idev, cacheId, value);
                }
                case "pasid_attach" -> ctx().selftest().pasidAttach(u32(p(t, 0)), u32(p(t, 1)), u32(p(t, 2)));
                case "pasid_replace" -> ctx().selftest().pasidReplace(u32(p(t, 0)), u32(p(t, 1)), u32(p(t, 2)));
                case "pasid_detach" -> ctx().selftest().pasidDetach(u32(p(t, 0)), u32(p(t, 1)));
                case "pasid_check" -> ctx().selftest().pasidCheckHwpt(u32(p(t, 0)), u32(p(t, 1)), u32(p(t, 2)));
                case "viommu_alloc" -> {
                    byte[] d = new byte[VIOMMU_SELFTEST_SIZE];
                    int devId = u32(p(t, 0));
                    int hwptId = u32(p(t, 1));
                    int type = IOMMU_VIOMMU_TYPE_SELFTEST;
                    boolean data = false;
                    Long x = kv(t, "type");
                    if (x != null) {
                        type = u32(x);
                    }
                    x = kv(t, "in_data");
                    if (x != null) {
                        putLe32(d, 0, u32(x));
                        data = true;
                    }
                    int flags = 0;
                    x = kv(t, "flags");
                    if (x != null) {
                        flags = u32(x);
                    }
                    IommufdCtx.ViommuOut r = ctx().viommuAlloc(flags, type, devId, hwptId, data ? d : null);
                    first[0] = u32l(r.outViommuId());
                    o.append(" id=").append(u32l(r.outViommuId()));
                    if (data) {
                        // iommu_copy_struct_to_user() wrote back what the driver filled in
                        byte[] w = r.outData();
                        if (w != null) {
                            System.arraycopy(w, 0, d, 0, Math.min(w.length, d.length));
                        }
                        o.append(" out_data=").append(hex(le32(d, 4)));
                    }
                }
                case "vdevice_alloc" -> {
                    int viommu = u32(p(t, 0));
                    int devId = u32(p(t, 1));
                    long virtId = p(t, 2);
                    int id = ctx().vdeviceAlloc(viommu, devId, virtId);
                    first[0] = u32l(id);
                    o.append(" id=").append(u32l(id));
                }
                case "fault_alloc" -> {
                    int flags = 0;
                    Long x = kv(t, "flags");
                    if (x != null) {
                        flags = u32(x);
                    }
                    IommufdCtx.QueueOut r = ctx().faultQueueAlloc(flags);
                    first[0] = u32l(r.id());
                    o.append(" id=").append(u32l(r.id()));
                    keepFd(r);
                }
                case "veventq_alloc" -> {
                    int viommu = u32(p(t, 0));
                    int type = IOMMU_VEVENTQ_TYPE_SELFTEST;
                    long depth = 2;
                    int flags = 0;
                    Long x = kv(t, "type");
                    if (x != null) {
                        type = u32(x);
                    }
                    x = kv(t, "depth");
                    if (x != null) {
                        depth = u32l(x);
                    }
                    x = kv(t, "flags");
                    if (x != null) {
                        flags = u32(x);
                    }
                    IommufdCtx.QueueOut r = ctx().veventqAlloc(flags, viommu, type, depth, 0);
                    first[0] = u32l(r.id());
                    o.append(" id=").append(u32l(r.id()));
                    keepFd(r);
                }
                case "fd_close" -> {
                    long id = u32l(p(t, 0));
                    long[] f = null;
                    for (int k = qfds.size() - 1; k >= 0 && f == null; k--) {
                        long[] g = qfds.get(k);
                        if (g[0] == cur && g[1] == id && g[2] >= 0) {
                            f = g;
                        }
                    }
                    if (f == null) {
                        throw new OpError("EBADF");
                    }
                    ctx().closeFd((int) f[2]); // the fd's reference on its object goes (eventq.c)
                    f[2] = -1;
                }
                case "get_hw_info" -> {
                    int dev = u32(p(t, 0));
                    long dataLen = 8; // sizeof(struct iommu_test_hw_info)
                    Long x = kv(t, "data_len");
                    if (x != null) {
                        dataLen = Long.compareUnsigned(x, 256) > 0 ? 256 : x;
                    }
                    IommufdCtx.HwInfoOut r = ctx().getHwInfo(0, dev, dataLen, 0, null);
                    byte[] u = java.util.Arrays.copyOf(r.data(), 256);
                    long flags = le32(u, 0);
                    long testReg = le32(u, 4);
                    first[0] = u32l(r.outDataType());
                    o.append(" type=").append(hex(u32l(r.outDataType()))).append(" data_len=").append(u32l(r.dataLen()))
                            .append(" flags=").append(hex(flags)).append(" test_reg=").append(hex(testReg))
                            .append(" capabilities=").append(hex(r.outCapabilities()))
                            .append(" max_pasid_log2=").append(r.outMaxPasidLog2() & 0xff);
                }
                case "open" -> {
                    int k = 0;
                    while (k < MAX_FDS && fds[k] != null) {
                        k++;
                    }
                    if (k == MAX_FDS) {
                        throw new OpError("EMULATOR-BUG(open: the runner has only 8 fds)");
                    }
                    fds[k] = openCtx();
                    cur = k;
                    first[0] = k;
                    o.append(" ctx=").append(k);
                }
                case "use" -> cur = (int) p(t, 0);
                case "close" -> {
                    int k = (int) p(t, 0);
                    if (k >= 0 && k < MAX_FDS && fds[k] != null) {
                        fds[k].close();
                        fds[k] = null;
                    }
                }
                default -> {
                    if (UNSERVED_OPS.contains(op)) {
                        throw new OpError(UNSERVED);
                    }
                    throw exit("unknown op " + op);
                }
            }
        }

        /** keepfd(): the runner remembers the queue's fd under (context slot, object ID). */
        private void keepFd(IommufdCtx.QueueOut r) {
            if (qfds.size() < MAX_QFDS) {
                qfds.add(new long[] {cur, u32l(r.id()), r.fd()});
            }
        }

        /**
         * The struct iommu_hwpt_invalidate the runner builds for hwpt_invalidate (d[16] of
         * {flags, iotlb_id}) or viommu_invalidate (d[16] of {flags, vdev_id, cache_id}), with
         * its user buffer: entry i is entry_len bytes at i * entry_len of d (uptrOffset 0),
         * or of the zeroed VA buffer when data_uptr= points there (uptrOffset -1).
         */
        private record Invalidate(int id, int dataType, int entryLen, long entryNum, byte[] buf, boolean nullUptr,
                                  long uptrOffset) {
            List<byte[]> entries() {
                List<byte[]> l = new ArrayList<>();
                long len = Integer.toUnsignedLong(entryLen);
                for (long i = 0; i < entryNum; i++) {
                    if (nullUptr || len > PAGE_SIZE) {
                        l.add(new byte[0]); // EINVAL before any read
                        continue;
                    }
                    byte[] e = new byte[(int) len]; // zeros: what the runner's VA buffer holds
                    if (uptrOffset >= 0) {
                        long from = uptrOffset + i * len;
                        for (int b = 0; b < len && from + b < buf.length; b++) {
                            e[b] = buf[(int) (from + b)];
                        }
                    }
                    l.add(e);
                }
                return l;
            }
        }

        private Invalidate invalidateRequest(String op, String[] t) {
            boolean viommu = op.equals("viommu_invalidate");
            int size = viommu ? VIOMMU_INV_ENTRY : HWPT_INV_ENTRY;
            byte[] d = new byte[INV_ENTRIES * size];
            int id = u32(p(t, 0));
            int dataType = viommu ? IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST : IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
            long entryLen = size;
            long entryNum = viommu ? 0 : 1;
            if (!viommu) {
                for (String tok : t) {
                    if (tok.equals("all")) {
                        putLe32(d, 0, IOMMU_TEST_INVALIDATE_FLAG_ALL);
                    }
                }
                Long x = kv(t, "iotlb_id");
                if (x != null) {
                    putLe32(d, 4, u32(x));
                }
            }
            for (String tok : t) {
                if (!tok.startsWith("entries=")) {
                    continue;
                }
                String b = tok.substring(8);
                if (b.length() > 255) {
                    b = b.substring(0, 255); // char b[256]
                }
                int k = 0;
                for (String q : b.split(",")) {
                    if (q.isEmpty()) {
                        continue; // strtok_r skips empty fields
                    }
                    if (k >= INV_ENTRIES) {
                        break;
                    }
                    int base = k * size;
                    if (viommu) {
                        int sl = q.indexOf('/');
                        if (sl >= 0) {
                            String c = q.substring(sl + 1);
                            q = q.substring(0, sl);
                            if (c.equals("all")) {
                                putLe32(d, base, IOMMU_TEST_INVALIDATE_FLAG_ALL);
                            } else {
                                putLe32(d, base + 8, u32(CParse.strtoull(c)));
                            }
                        }
                        putLe32(d, base + 4, u32(CParse.strtoull(q)));
                    } else {
                        int colon = q.indexOf(':');
                        if (colon >= 0) {
                            putLe32(d, base, u32(CParse.strtoull(q.substring(colon + 1))));
                            q = q.substring(0, colon);
                        }
                        if (q.equals("all")) {
                            putLe32(d, base, (int) le32(d, base) | IOMMU_TEST_INVALIDATE_FLAG_ALL);
                        } else {
                            putLe32(d, base + 4, u32(CParse.strtoull(q)));
                        }
                    }
                    k++;
                }
                entryNum = k;
            }
            Long x = kv(t, "data_type");
            if (x != null) {
                dataType = u32(x);
            }
            x = kv(t, "entry_len");
            if (x != null) {
                entryLen = u32l(x);
            }
            if (!viommu) {
                x = kv(t, "entry_num");
                if (x != null) {
                    entryNum = Long.compareUnsigned(x, 16) > 0 ? 16 : x;
                }
            }
            // u32 * u32 wraps; compared with sizeof d
            long product = u32l(entryLen * entryNum);
            if ((viommu || entryLen > size) && product > d.length) {
                entryNum = u32l(d.length / entryLen);
            }
            boolean nullUptr = false;
            long uptrOffset = 0;
            x = kv(t, "data_uptr");
            if (x != null) {
                if (x == 0) {
                    nullUptr = true;
                } else if (entryNum == 0 || entryLen == 0 || entryLen > PAGE_SIZE || inRunnerBuffer(x, entryLen * entryNum)) {
                    uptrOffset = -1; // the zeroed VA buffer (or never read)
                } else {
                    throw new OpError(UNSERVED); // an address the emulator has no memory for
                }
            }
            return new Invalidate(id, dataType, (int) entryLen, entryNum, d, nullUptr, uptrOffset);
        }

        private void hwptAlloc(String[] t, StringBuilder o, long[] first) {
            byte[] raw = new byte[64];
            putLe32(raw, 0, IOMMU_TEST_IOTLB_DEFAULT);
            int devId = u32(p(t, 0));
            int ptId = u32(p(t, 1));
            int flags = 0;
            int faultId = 0;
            int dataType = 0;
            long dataLen = 0;
            boolean uptr = false;
            Long x = kv(t, "fault_id");
            if (x != null) {
                faultId = u32(x);
                flags |= IOMMU_HWPT_FAULT_ID_VALID;
            }
            x = kv(t, "flags");
            if (x != null) {
                flags = u32(x);
            }
            x = kv(t, "iotlb");
            if (x != null) {
                putLe32(raw, 0, u32(x));
                dataType = IOMMU_HWPT_DATA_SELFTEST;
                dataLen = 4;
                uptr = true;
            }
            x = kv(t, "data_type");
            if (x != null) {
                dataType = u32(x);
                dataLen = 4;
                uptr = true;
            }
            x = kv(t, "pagetable_type");
            if (x != null) {
                putLe32(raw, 4, u32(x));
                dataType = IOMMU_HWPT_DATA_SELFTEST;
                dataLen = 8;
                uptr = true;
            }
            x = kv(t, "data_len");
            if (x != null) {
                dataLen = Long.compareUnsigned(x, 64) > 0 ? 64 : x;
            }
            // data_uptr NULL with a length is only reachable with data_type NONE (EINVAL first)
            byte[] data = uptr ? java.util.Arrays.copyOf(raw, (int) dataLen) : new byte[(int) dataLen];
            int id = ctx().hwptAlloc(flags, devId, ptId, dataType, data, faultId, 0);
            first[0] = u32l(id);
            o.append(" id=").append(u32l(id));
        }

        private static long le32(byte[] b, int off) {
            return (b[off] & 0xffL) | (b[off + 1] & 0xffL) << 8 | (b[off + 2] & 0xffL) << 16 | (b[off + 3] & 0xffL) << 24;
        }

        private static void putLe32(byte[] b, int off, int v) {
            b[off] = (byte) v;
            b[off + 1] = (byte) (v >>> 8);
            b[off + 2] = (byte) (v >>> 16);
            b[off + 3] = (byte) (v >>> 24);
        }
    }
}
