package dev.iommufdsim.repl.builtins;

import static dev.iommufdsim.kernel.uapi.Errno.EADDRINUSE;
import static dev.iommufdsim.kernel.uapi.Errno.EBADF;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EMSGSIZE;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.Selftest;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Record;

/**
 * The selftest's IOMMU_TEST_CMD ops (drivers/iommu/iommufd/selftest.c) as built-ins, named
 * after IOMMU_TEST_OP_* in lower case. They need the mock driver plugin.
 */
public final class SelftestBuiltins {
    private SelftestBuiltins() {
    }

    public static void register(BuiltinTable t) {
        t.registerConstant("MOCK_FLAGS_DEVICE_NO_DIRTY", (long) Selftest.MOCK_FLAGS_DEVICE_NO_DIRTY, "mock device without dirty tracking");
        t.registerConstant("MOCK_FLAGS_DEVICE_PASID", (long) Selftest.MOCK_FLAGS_DEVICE_PASID, "mock device with PASID support");
        Row.of("mock_domain", "IOMMU_TEST_OP_MOCK_DOMAIN(_FLAGS): a mock device bound and attached to pt_id;"
                        + " returns {out_stdev_id, out_hwpt_id, out_idev_id}")
                .req("pt_id", "an IOAS (automatic HWPT) or a HWPT")
                .opt("dev_flags", 0L, "MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID", "MOCK_FLAGS_DEVICE_NO_DIRTY",
                        "MOCK_FLAGS_DEVICE_PASID")
                .errnos(ENOENT, EINVAL, EADDRINUSE)
                .on(t, (c, a) -> {
                    Selftest.MockDomain m = c.selftest().mockDomain(a.id("pt_id"), a.u32("dev_flags"));
                    return Record.of("mock_domain", "out_stdev_id", (long) m.outStdevId(), "out_hwpt_id", (long) m.outHwptId(),
                            "out_idev_id", (long) m.outIdevId());
                });
        Row.of("mock_domain_replace", "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: replace the mock device's attachment; returns pt_id")
                .req("stdev_id", "the selftest device (out_stdev_id)")
                .req("pt_id", "an IOAS or a HWPT")
                .errnos(ENOENT, EINVAL, EADDRINUSE)
                .on(t, (c, a) -> c.selftest().mockDomainReplace(a.id("stdev_id"), a.id("pt_id")));
        Row.of("pasid_attach", "IOMMU_TEST_OP_PASID_ATTACH: attach a PASID of the mock device to pt_id; returns pt_id"
                        + " (the HWPT must be allocated with ALLOC_PASID, and so must the RID's)")
                .req("stdev_id", "the selftest device (out_stdev_id)")
                .req("pasid", "the PASID (below the device's max_pasids)")
                .req("pt_id", "a HWPT (an IOAS's automatic domain is never PASID-compatible)")
                .errnos(ENOENT, EINVAL, EBUSY, ENOMEM)
                .on(t, (c, a) -> c.selftest().pasidAttach(a.id("stdev_id"), a.u32("pasid"), a.id("pt_id")));
        Row.of("pasid_replace", "IOMMU_TEST_OP_PASID_REPLACE: move an attached PASID of the mock device to pt_id; returns pt_id")
                .req("stdev_id", "the selftest device (out_stdev_id)")
                .req("pasid", "an attached PASID")
                .req("pt_id", "a PASID-compatible HWPT")
                .errnos(ENOENT, EINVAL, ENOMEM)
                .on(t, (c, a) -> c.selftest().pasidReplace(a.id("stdev_id"), a.u32("pasid"), a.id("pt_id")));
        Row.of("pasid_detach", "IOMMU_TEST_OP_PASID_DETACH: detach a PASID of the mock device (nothing attached: no error)")
                .req("stdev_id", "the selftest device (out_stdev_id)")
                .req("pasid", "the PASID")
                .errnos(ENOENT)
                .on(t, (c, a) -> {
                    c.selftest().pasidDetach(a.id("stdev_id"), a.u32("pasid"));
                    return null;
                });
        Row.of("pasid_check_hwpt", "IOMMU_TEST_OP_PASID_CHECK_HWPT: the PASID is attached to hwpt_id, or (hwpt_id 0) to nothing;"
                        + " EINVAL otherwise")
                .req("stdev_id", "the selftest device (out_stdev_id)")
                .req("pasid", "the PASID")
                .opt("hwpt_id", 0L, "the HWPT expected, 0 for none")
                .errnos(ENOENT, EINVAL)
                .on(t, (c, a) -> {
                    c.selftest().pasidCheckHwpt(a.id("stdev_id"), a.u32("pasid"), a.id("hwpt_id"));
                    return null;
                });
        Row.of("add_reserved", "IOMMU_TEST_OP_ADD_RESERVED: reserve [start, start+length) in an IOAS")
                .req("ioas_id", "the IOAS")
                .req("start", "first IOVA")
                .req("length", "bytes")
                .errnos(EINVAL, EOVERFLOW, ENOENT, EADDRINUSE)
                .on(t, (c, a) -> {
                    c.selftest().addReserved(a.id("ioas_id"), a.u64("start"), a.u64("length"));
                    return null;
                });
        Row.of("md_check_map", "IOMMU_TEST_OP_MD_CHECK_MAP: every page of [iova, iova+length) translates to uptr")
                .req("hwpt_id", "a mock paging HWPT")
                .req("iova", "first IOVA")
                .req("length", "bytes")
                .opt("uptr", UapiBuiltins.DEFAULT_USER_VA, "the user address expected behind iova")
                .errnos(EINVAL, ENOENT)
                .on(t, (c, a) -> {
                    c.selftest().mdCheckMap(a.id("hwpt_id"), a.u64("iova"), a.u64("length"), a.u64("uptr"));
                    return null;
                });
        Row.of("dirty", "IOMMU_TEST_OP_DIRTY: mark dirty, as device writes would, the IOPTEs of the page_size pages of"
                        + " [iova, iova+length) whose bit is in bits (the mock HWPT must track dirty IOPTEs); returns"
                        + " out_nr_dirty, the number of bits (also those over unmapped IOVAs)")
                .req("hwpt_id", "a mock paging HWPT allocated with DIRTY_TRACKING, tracking enabled")
                .req("iova", "the IOVA of bit 0")
                .req("length", "bytes of IOVA the bitmap covers")
                .req("page_size", "IOVA bytes per bit")
                .req("bits", "the bitmap at uptr: a list of the set bits' numbers")
                .opt("uptr", UapiBuiltins.DEFAULT_BITMAP_VA, "the bitmap's user address (0: EINVAL)")
                .errnos(EINVAL, EOVERFLOW, ENOENT)
                .on(t, (c, a) -> {
                    java.util.BitSet set = new java.util.BitSet();
                    for (Object o : a.list("bits")) {
                        long bit = dev.iommufdsim.repl.interp.Values.asLong(o, "bits");
                        if (bit < 0 || bit >= Selftest.DIRTY_MAX_BITS) {
                            throw new dev.iommufdsim.repl.interp.ScriptError(String.format(
                                    "bits: %s is past the %d bits IOMMU_TEST_OP_DIRTY can read", Long.toUnsignedString(bit),
                                    Selftest.DIRTY_MAX_BITS));
                        }
                        set.set((int) bit);
                    }
                    return c.selftest().dirty(a.id("hwpt_id"), a.u64("iova"), a.u64("length"), a.u64("page_size"), a.u64("uptr"),
                            n -> java.util.Arrays.copyOf(set.toByteArray(), (int) n));
                });
        Row.of("md_check_iotlb", "IOMMU_TEST_OP_MD_CHECK_IOTLB: the mock nested HWPT's IOTLB entry iotlb_id holds iotlb"
                        + " (EINVAL when iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX or the value differs)")
                .req("hwpt_id", "a mock nested HWPT")
                .req("iotlb_id", "the entry, 0 .. MOCK_NESTED_DOMAIN_IOTLB_ID_MAX (3)")
                .req("iotlb", "the value the entry must hold")
                .errnos(EINVAL, ENOENT)
                .on(t, (c, a) -> {
                    c.selftest().mdCheckIotlb(a.id("hwpt_id"), a.u32("iotlb_id"), a.u32("iotlb"));
                    return null;
                });
        Row.of("dev_check_cache", "IOMMU_TEST_OP_DEV_CHECK_CACHE: the mock device's cache entry cache_id holds cache"
                        + " (EINVAL when cache_id > MOCK_DEV_CACHE_ID_MAX or the value differs)")
                .req("dev_id", "the mock device (out_idev_id)")
                .req("cache_id", "the entry, 0 .. MOCK_DEV_CACHE_ID_MAX (3)")
                .req("cache", "the value the entry must hold")
                .errnos(EINVAL, ENOENT)
                .on(t, (c, a) -> {
                    c.selftest().devCheckCache(a.id("dev_id"), a.u32("cache_id"), a.u32("cache"));
                    return null;
                });
        Row.of("close_fd", "close() of a fault queue or vEVENTQ fd (out_fault_fd, out_veventq_fd), as the selftests do before"
                        + " IOMMU_DESTROY of its object: the fd's reference on the object goes")
                .req("fd", "the fd the allocation returned")
                .errnos(EBADF)
                .on(t, (c, a) -> {
                    c.closeFd(a.u32("fd"));
                    return null;
                });
        Row.of("ioas_iova_ranges_cmd", "IOMMU_IOAS_IOVA_RANGES as the selftest reads it back: the struct the kernel wrote,"
                        + " also when the call fails EMSGSIZE; returns {rc (0 or EMSGSIZE), num_iovas, out_iova_alignment,"
                        + " ranges (the entries written)}")
                .req("ioas_id", "the IOAS")
                .req("num_iovas", "room for this many ranges")
                .errnos(EOPNOTSUPP, ENOENT)
                .on(t, (c, a) -> {
                    try {
                        return rangesCmd(0L, c.ioasIovaRanges(a.id("ioas_id"), a.u64("num_iovas") & 0xffffffffL, 0));
                    } catch (IommufdException e) {
                        if (e.errno() == EMSGSIZE && e.partialOutput() instanceof IommufdCtx.IovaRanges r) {
                            return rangesCmd(EMSGSIZE, r);
                        }
                        throw e;
                    }
                });
    }

    /** struct iommu_ioas_iova_ranges as written back, with the ioctl's return value. */
    private static Record rangesCmd(Object rc, IommufdCtx.IovaRanges r) {
        Record ranges = UapiBuiltins.ranges(r);
        return Record.of("iommu_ioas_iova_ranges", "rc", rc, "num_iovas", ranges.field("num_iovas"), "out_iova_alignment",
                ranges.field("out_iova_alignment"), "ranges", ranges.field("ranges"));
    }
}
