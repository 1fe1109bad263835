package dev.iommufdsim.repl.builtins;

import static dev.iommufdsim.kernel.uapi.Errno.EADDRINUSE;
import static dev.iommufdsim.kernel.uapi.Errno.EBUSY;
import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EMSGSIZE;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.ENOSPC;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_FIXED_IOVA;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_READABLE;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_IOAS_MAP_WRITEABLE;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.IovaBitmap;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.kernel.uapi.Uapi;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Range;
import dev.iommufdsim.repl.interp.Record;
import dev.iommufdsim.repl.interp.ScriptError;
import dev.iommufdsim.repl.interp.Values;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The uAPI calls as built-ins, one row each, named after the ioctl without IOMMU_ and
 * with arguments named after the struct fields (include/uapi/linux/iommufd.h,
 * include/uapi/linux/vfio.h). Results are the struct's out fields.
 */
public final class UapiBuiltins {
    /** The user VA scripts map when they give none: a 2 MiB-aligned buffer, as the oracle runner's. */
    public static final long DEFAULT_USER_VA = 0x400000000000L;
    /** The bitmap address of hwpt_get_dirty_bitmap when scripts give none: page-aligned, after the buffer. */
    public static final long DEFAULT_BITMAP_VA = 0x500000000000L;
    private static final int RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    private static final String[] MAP_FLAGS = {"FIXED_IOVA", "READABLE", "WRITEABLE"};

    private UapiBuiltins() {
    }

    public static void register(BuiltinTable t) {
        registerConstants(t);
        Row.of("ioas_alloc", "IOMMU_IOAS_ALLOC: a new IOAS; returns out_ioas_id")
                .opt("flags", 0L, "must be 0")
                .errnos(EOPNOTSUPP)
                .on(t, (c, a) -> c.ioasAlloc(a.u32("flags")));
        Row.of("ioas_map", "IOMMU_IOAS_MAP: map user memory; returns the iova (chosen by the kernel unless FIXED_IOVA)")
                .req("ioas_id", "the IOAS")
                .req("length", "bytes to map")
                .opt("iova", "the IOVA; giving it adds FIXED_IOVA when flags are omitted")
                .opt("flags", "FIXED_IOVA | READABLE | WRITEABLE (default READABLE | WRITEABLE)", MAP_FLAGS)
                .opt("user_va", DEFAULT_USER_VA, "the user address (default: a 2 MiB-aligned buffer)")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, EOVERFLOW, EINVAL, ENOENT, EEXIST, ENOSPC, EFAULT)
                .on(t, (c, a) -> c.ioasMap(a.id("ioas_id"), mapFlags(a), a.u64("user_va"), a.u64("length"), a.u64("iova", 0),
                        a.u32("__reserved")));
        Row.of("ioas_map_file", "IOMMU_IOAS_MAP_FILE: map [start, start+length) of a memfd; returns the iova."
                        + " Scripts have no descriptors: the file is named by its inode number, and pins on the"
                        + " same file count together")
                .req("ioas_id", "the IOAS")
                .req("length", "bytes to map")
                .opt("start", 0L, "file offset of the first byte")
                .opt("iova", "the IOVA; giving it adds FIXED_IOVA when flags are omitted")
                .opt("flags", "FIXED_IOVA | READABLE | WRITEABLE (default READABLE | WRITEABLE)", MAP_FLAGS)
                .opt("file", 1L, "the file's inode number")
                .opt("file_size", "i_size (default: start + length, page aligned)")
                .opt("memfd", 1L, "1: shmem/hugetlbfs (memfd_pin_folios pins it); 0: another file (EINVAL when pinned)")
                .errnos(EOPNOTSUPP, EOVERFLOW, EINVAL, ENOENT, EEXIST, ENOSPC)
                .on(t, (c, a) -> {
                    long start = a.u64("start");
                    long size = a.has("file_size") ? a.u64("file_size") : (start + a.u64("length") + Uapi.PAGE_SIZE - 1) & -Uapi.PAGE_SIZE;
                    var file = dev.iommufdsim.kernel.MappedFile.of(new dev.iommufdsim.kernel.MappedFile.Id(0, 0, a.u64("file")), size,
                            a.u64("memfd") != 0);
                    return c.ioasMapFile(a.id("ioas_id"), mapFlags(a), 3, start, a.u64("length"), a.u64("iova", 0), fd -> file);
                });
        Row.of("ioas_unmap", "IOMMU_IOAS_UNMAP: unmap whole areas inside [iova, iova+length); returns the length unmapped"
                        + " (iova 0 with length 0xffffffffffffffff, the default, unmaps all)")
                .req("ioas_id", "the IOAS")
                .opt("iova", 0L, "first IOVA")
                .opt("length", Uapi.ULONG_MAX, "bytes")
                .errnos(ENOENT, EOVERFLOW, EINVAL, EBUSY)
                .on(t, (c, a) -> c.ioasUnmap(a.id("ioas_id"), a.u64("iova"), a.u64("length")));
        Row.of("ioas_change_process", "IOMMU_IOAS_CHANGE_PROCESS: the pages of every IOAS of the context become the caller's"
                        + " (only IOAS_MAP_FILE areas can move: any user-memory area is EINVAL); returns 0")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, EINVAL)
                .on(t, (c, a) -> {
                    c.ioasChangeProcess(a.u32("__reserved"));
                    return 0L;
                });
        Row.of("ioas_copy", "IOMMU_IOAS_COPY: map what src_ioas_id has at src_iova into dst_ioas_id; returns dst_iova")
                .req("dst_ioas_id", "the IOAS to map into")
                .req("src_ioas_id", "the IOAS to copy from")
                .req("src_iova", "first source IOVA")
                .req("length", "bytes")
                .opt("dst_iova", "destination IOVA; giving it adds FIXED_IOVA when flags are omitted")
                .opt("flags", "FIXED_IOVA | READABLE | WRITEABLE (default READABLE | WRITEABLE)", MAP_FLAGS)
                .errnos(EOPNOTSUPP, EOVERFLOW, EINVAL, ENOENT, EEXIST, ENOSPC, EPERM)
                .on(t, (c, a) -> c.ioasCopy(copyFlags(a), a.id("dst_ioas_id"), a.id("src_ioas_id"), a.u64("length"),
                        a.u64("dst_iova", 0), a.u64("src_iova")));
        Row.of("ioas_iova_ranges", "IOMMU_IOAS_IOVA_RANGES: the usable IOVA ranges (holes between reserved ranges)"
                        + " and out_iova_alignment")
                .req("ioas_id", "the IOAS")
                .opt("num_iovas", 0xffffffffL, "room for this many ranges (fewer than exist: EMSGSIZE)")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, ENOENT, EMSGSIZE)
                .on(t, (c, a) -> {
                    try {
                        return ranges(c.ioasIovaRanges(a.id("ioas_id"), a.u64("num_iovas") & 0xffffffffL, a.u32("__reserved")));
                    } catch (IommufdException e) {
                        if (e.partialOutput() instanceof IommufdCtx.IovaRanges r) {
                            throw new IommufdException(e.errno(), e.reason(), ranges(r));
                        }
                        throw e;
                    }
                });
        Row.of("ioas_allow_iovas", "IOMMU_IOAS_ALLOW_IOVAS: restrict automatic IOVAs to these ranges ([] clears)")
                .req("ioas_id", "the IOAS")
                .req("allowed_iovas", "a list of ranges start..last")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, ENOENT, EINVAL, EADDRINUSE)
                .on(t, (c, a) -> {
                    c.ioasAllowIovas(a.id("ioas_id"), iovaRanges(a.list("allowed_iovas"), "allowed_iovas"), a.u32("__reserved"));
                    return null;
                });
        Row.of("option", "IOMMU_OPTION: get or set RLIMIT_MODE (global) or HUGE_PAGES (per IOAS); returns val64")
                .req("option_id", "RLIMIT_MODE or HUGE_PAGES", "RLIMIT_MODE", "HUGE_PAGES")
                .req("op", "OP_SET or OP_GET", "OP_SET", "OP_GET")
                .opt("object_id", 0L, "the IOAS for HUGE_PAGES, 0 for RLIMIT_MODE")
                .opt("val64", 0L, "the value to set")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, ENOENT, EINVAL, EBUSY, EPERM, EADDRINUSE)
                .on(t, (c, a) -> c.option(a.u32("option_id"), a.u32("op"), a.id("object_id"), a.u64("val64"), a.u32("__reserved")));
        Row.of("destroy", "IOMMU_DESTROY: destroy an object that nothing else uses")
                .req("id", "the object ID")
                .errnos(ENOENT, EBUSY)
                .on(t, (c, a) -> {
                    c.destroy(a.id("id"));
                    return null;
                });
        Row.of("hwpt_alloc", "IOMMU_HWPT_ALLOC: a paging HWPT on an IOAS for a device; returns out_hwpt_id")
                .req("dev_id", "the device the domain is for")
                .req("pt_id", "the IOAS")
                .opt("flags", 0L, "NEST_PARENT | DIRTY_TRACKING | FAULT_ID_VALID | PASID", "NEST_PARENT", "DIRTY_TRACKING",
                        "FAULT_ID_VALID", "ALLOC_PASID")
                .opt("data_type", "IOMMU_HWPT_DATA_* of data (default: the type a data constructor gave)")
                .opt("data", "driver data: arm_smmuv3_ste(...), vtd_s1(...), selftest_s1(...), or a list of u32 words")
                .opt("fault_id", 0L, "the FAULT object, with FAULT_ID_VALID")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, EINVAL, ENOENT, EADDRINUSE)
                .on(t, (c, a) -> hwptAlloc(c, a));
        Row.of("hwpt_set_dirty_tracking", "IOMMU_HWPT_SET_DIRTY_TRACKING: start (DIRTY_TRACKING_ENABLE) or stop (0)"
                        + " recording DMA writes in a paging HWPT allocated with DIRTY_TRACKING; enabling clears what was dirty")
                .req("hwpt_id", "the paging HWPT")
                .req("flags", "DIRTY_TRACKING_ENABLE, or 0 to stop", "DIRTY_TRACKING_ENABLE")
                .opt("__reserved", 0L, "not checked by the kernel")
                .errnos(EOPNOTSUPP, ENOENT)
                .on(t, (c, a) -> {
                    c.hwptSetDirtyTracking(a.u32("flags"), a.id("hwpt_id"));
                    return null;
                });
        Row.of("hwpt_get_dirty_bitmap", "IOMMU_HWPT_GET_DIRTY_BITMAP: which page_size pages of [iova, iova+length) were"
                        + " written, read from the IOPTEs and cleared (unless NO_CLEAR); returns {ranges (the dirty IOVAs,"
                        + " as the bits the kernel set), nbits (bits set)}, and soft_lockup: true where the 7.2 kernel"
                        + " would loop forever instead of returning")
                .req("hwpt_id", "a paging HWPT allocated with DIRTY_TRACKING")
                .req("iova", "the IOVA of the bitmap's first bit")
                .req("length", "bytes of IOVA the bitmap covers")
                .req("page_size", "IOVA bytes per bit")
                .opt("flags", 0L, "NO_CLEAR: leave the dirty bits set", "NO_CLEAR")
                .opt("data", DEFAULT_BITMAP_VA, "the bitmap's user address (where its pages start decides how the kernel"
                        + " pins them)")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, ENOENT, EOVERFLOW, EINVAL)
                .on(t, (c, a) -> dirtyBitmap(c.hwptGetDirtyBitmap(a.id("hwpt_id"), a.u32("flags"), a.u32("__reserved"),
                        a.u64("iova"), a.u64("length"), a.u64("page_size"), a.u64("data"))));
        Row.of("get_hw_info", "IOMMU_GET_HW_INFO: the IOMMU's hw_info for a device and its capabilities")
                .req("dev_id", "the device")
                .opt("data_len", 256L, "the size of the user buffer")
                .opt("flags", 0L, "INPUT_TYPE to ask for in_data_type", "INPUT_TYPE")
                .opt("in_data_type", 0L, "the hw_info type wanted, with INPUT_TYPE")
                .errnos(EOPNOTSUPP, ENOENT)
                .on(t, (c, a) -> {
                    IommufdCtx.HwInfoOut o = c.getHwInfo(a.u32("flags"), a.id("dev_id"), a.u64("data_len"), a.u32("in_data_type"), null);
                    return Record.of("iommu_hw_info", "out_data_type", Integer.toUnsignedLong(o.outDataType()), "data_len", o.dataLen(),
                            "data", u32Words(o.data()), "out_capabilities", o.outCapabilities(), "out_max_pasid_log2",
                            (long) o.outMaxPasidLog2());
                });
        Row.of("vfio_bind", "VFIO_DEVICE_BIND_IOMMUFD: bind a declared device to the current iommufd; returns out_devid")
                .req("device", "a device declared with `device NAME = ...`")
                .opt("flags", 0L, "VFIO_DEVICE_BIND_FLAG_TOKEN")
                .errnos(EINVAL, EPERM)
                .onSession(t, (s, a, d) -> s.ctx().vfioDeviceBind(MachineBuiltins.device(s, a.raw("device")), a.u32("flags")));
        Row.of("vfio_attach", "VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach (or, when attached, replace) to an IOAS or HWPT;"
                        + " returns the pt_id attached")
                .req("dev_id", "the bound device")
                .req("pt_id", "an IOAS (an automatic HWPT is used) or a HWPT")
                .opt("pasid", "attach this PASID instead of the RID")
                .errnos(EINVAL, ENOENT, EBUSY, EADDRINUSE, EOPNOTSUPP)
                .on(t, (c, a) -> c.vfioDeviceAttach(a.id("dev_id"), a.has("pasid") ? Uapi.VFIO_DEVICE_ATTACH_PASID : 0,
                        a.id("pt_id"), a.u32("pasid", 0)));
        Row.of("vfio_detach", "VFIO_DEVICE_DETACH_IOMMUFD_PT: detach the RID (or a PASID); detaching nothing is no error")
                .req("dev_id", "the bound device")
                .opt("pasid", "detach this PASID instead of the RID")
                .errnos(EINVAL)
                .on(t, (c, a) -> {
                    c.vfioDeviceDetach(a.id("dev_id"), a.has("pasid") ? Uapi.VFIO_DEVICE_DETACH_PASID : 0, a.u32("pasid", 0));
                    return null;
                });
        Row.of("vfio_close", "close() of the device's VFIO cdev: detach and unbind")
                .req("dev_id", "the bound device")
                .errnos(EINVAL)
                .on(t, (c, a) -> {
                    c.vfioDeviceClose(a.id("dev_id"));
                    return null;
                });
    }

    /** What IOMMU_HWPT_GET_DIRTY_BITMAP set in the user's bitmap: the dirty IOVA ranges and the number of bits. */
    static Record dirtyBitmap(IovaBitmap b) {
        List<Object> list = new ArrayList<>();
        long nbits = 0;
        for (IovaRange x : b.dirtyRanges()) {
            list.add(new Range(x.start(), x.last()));
            nbits += (x.last() - x.start()) / (Long.lowestOneBit(b.pageSize())) + 1;
        }
        if (b.gaveUp()) {
            // the 7.2 kernel never returns from this call (see IovaBitmap): say so rather than pretend
            return Record.of("iommu_hwpt_get_dirty_bitmap", "ranges", List.copyOf(list), "nbits", nbits, "soft_lockup", true);
        }
        return Record.of("iommu_hwpt_get_dirty_bitmap", "ranges", List.copyOf(list), "nbits", nbits);
    }

    /** IOMMU_HWPT_ALLOC: data is a constructor's record (type and words) or bare u32 words. */
    private static long hwptAlloc(IommufdCtx c, Args a) {
        byte[] data = null;
        long dataType = a.has("data_type") ? a.u32("data_type") : 0;
        if (a.has("data")) {
            Object d = a.raw("data");
            if (d instanceof Record r && "iommu_hwpt_data".equals(r.type())) {
                data = words(Values.asList(r.field("data"), "data"), "data");
                if (!a.has("data_type")) {
                    dataType = Values.asLong(r.field("data_type"), "data_type");
                }
            } else {
                data = words(a.list("data"), "data");
            }
        }
        return c.hwptAlloc(a.u32("flags"), a.id("dev_id"), a.id("pt_id"), (int) dataType, data, a.u32("fault_id"), a.u32("__reserved"));
    }

    private static void registerConstants(BuiltinTable t) {
        flag(t, "IOMMU_IOAS_MAP_FIXED_IOVA", "FIXED_IOVA", IOMMU_IOAS_MAP_FIXED_IOVA);
        flag(t, "IOMMU_IOAS_MAP_WRITEABLE", "WRITEABLE", IOMMU_IOAS_MAP_WRITEABLE);
        flag(t, "IOMMU_IOAS_MAP_READABLE", "READABLE", IOMMU_IOAS_MAP_READABLE);
        flag(t, "IOMMU_OPTION_RLIMIT_MODE", "RLIMIT_MODE", Uapi.IOMMU_OPTION_RLIMIT_MODE);
        flag(t, "IOMMU_OPTION_HUGE_PAGES", "HUGE_PAGES", Uapi.IOMMU_OPTION_HUGE_PAGES);
        flag(t, "IOMMU_OPTION_OP_SET", "OP_SET", Uapi.IOMMU_OPTION_OP_SET);
        flag(t, "IOMMU_OPTION_OP_GET", "OP_GET", Uapi.IOMMU_OPTION_OP_GET);
        flag(t, "IOMMU_HWPT_ALLOC_NEST_PARENT", "NEST_PARENT", Uapi.IOMMU_HWPT_ALLOC_NEST_PARENT);
        flag(t, "IOMMU_HWPT_ALLOC_DIRTY_TRACKING", "DIRTY_TRACKING", Uapi.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
        flag(t, "IOMMU_HWPT_FAULT_ID_VALID", "FAULT_ID_VALID", Uapi.IOMMU_HWPT_FAULT_ID_VALID);
        flag(t, "IOMMU_HWPT_ALLOC_PASID", "ALLOC_PASID", Uapi.IOMMU_HWPT_ALLOC_PASID);
        flag(t, "IOMMU_HWPT_DIRTY_TRACKING_ENABLE", "DIRTY_TRACKING_ENABLE", Uapi.IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
        flag(t, "IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR", "NO_CLEAR", Uapi.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
        flag(t, "IOMMU_HWPT_DATA_NONE", null, Uapi.IOMMU_HWPT_DATA_NONE);
        flag(t, "IOMMU_HWPT_DATA_VTD_S1", null, Uapi.IOMMU_HWPT_DATA_VTD_S1);
        flag(t, "IOMMU_HWPT_DATA_ARM_SMMUV3", null, Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3);
        flag(t, "IOMMU_HW_INFO_FLAG_INPUT_TYPE", "INPUT_TYPE", Uapi.IOMMU_HW_INFO_FLAG_INPUT_TYPE);
        flag(t, "IOMMU_HW_INFO_TYPE_INTEL_VTD", null, Uapi.IOMMU_HW_INFO_TYPE_INTEL_VTD);
        flag(t, "IOMMU_HW_INFO_TYPE_ARM_SMMUV3", null, Uapi.IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
        flag(t, "IOMMU_HW_CAP_DIRTY_TRACKING", null, Uapi.IOMMU_HW_CAP_DIRTY_TRACKING);
        flag(t, "IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED", null, Uapi.IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED);
        flag(t, "VFIO_DEVICE_BIND_FLAG_TOKEN", null, Uapi.VFIO_DEVICE_BIND_FLAG_TOKEN);
        for (dev.iommufdsim.kernel.uapi.Errno e : dev.iommufdsim.kernel.uapi.Errno.values()) {
            t.registerConstant(e.name(), e, e.meaning());
        }
    }

    private static void flag(BuiltinTable t, String name, String shortName, long value) {
        t.registerConstant(name, value, name);
        if (shortName != null) {
            t.registerConstant(shortName, value, name);
        }
    }

    /** READABLE | WRITEABLE by default, with FIXED_IOVA when an iova is given. */
    private static int mapFlags(Args a) {
        if (a.has("flags")) {
            return a.u32("flags");
        }
        return RW | (a.has("iova") ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
    }

    private static int copyFlags(Args a) {
        if (a.has("flags")) {
            return a.u32("flags");
        }
        return RW | (a.has("dst_iova") ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
    }

    static Record ranges(IommufdCtx.IovaRanges r) {
        List<Object> list = new ArrayList<>(r.ranges().size());
        for (IovaRange x : r.ranges()) {
            list.add(new Range(x.start(), x.last()));
        }
        return Record.of("iommu_ioas_iova_ranges", "num_iovas", r.numIovas(), "out_iova_alignment", r.outIovaAlignment(),
                "ranges", List.copyOf(list));
    }

    static List<IovaRange> iovaRanges(List<?> list, String what) {
        List<IovaRange> out = new ArrayList<>(list.size());
        for (Object o : list) {
            if (o instanceof Range r) {
                out.add(new IovaRange(r.start(), r.last()));
            } else if (o instanceof Record rec && rec.field("start") != null && rec.field("last") != null) {
                out.add(new IovaRange(Values.asLong(rec.field("start"), "start"), Values.asLong(rec.field("last"), "last")));
            } else {
                throw new ScriptError(what + " must be a list of ranges (start..last), got " + Values.describe(o));
            }
        }
        return out;
    }

    static byte[] words(List<?> list, String what) {
        ByteBuffer b = ByteBuffer.allocate(list.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (Object o : list) {
            long v = Values.asLong(o, what);
            if (v < 0 || v > 0xffffffffL) {
                throw new ScriptError(String.format("%s holds u32 words: 0x%x does not fit", what, v));
            }
            b.putInt((int) v);
        }
        return b.array();
    }

    static List<Object> u32Words(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        List<Object> out = new ArrayList<>();
        while (b.remaining() >= 4) {
            out.add(Integer.toUnsignedLong(b.getInt()));
        }
        if (b.remaining() > 0) {
            long last = 0;
            for (int i = 0; b.hasRemaining(); i++) {
                last |= (long) (b.get() & 0xff) << (8 * i);
            }
            out.add(last);
        }
        return List.copyOf(out);
    }
}
