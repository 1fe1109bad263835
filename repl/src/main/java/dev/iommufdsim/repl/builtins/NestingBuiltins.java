package dev.iommufdsim.repl.builtins;

import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EIO;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Errno.ERANGE;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.SwMsi;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;
import dev.iommufdsim.repl.host.Session;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Record;
import dev.iommufdsim.repl.interp.ScriptError;
import dev.iommufdsim.repl.interp.Values;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The nesting uAPI (IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC, IOMMU_HWPT_INVALIDATE,
 * IOMMU_FAULT_QUEUE_ALLOC, IOMMU_VEVENTQ_ALLOC, IOMMU_HW_QUEUE_ALLOC), the driver-data constructors nested
 * HWPT_ALLOC takes, and msi_request, which plays the IRQ layer asking for a device's MSI
 * address (not a uAPI call).
 */
public final class NestingBuiltins {
    /** Selftest data and types (drivers/iommu/iommufd/iommufd_test.h). */
    static final long IOMMU_HWPT_DATA_SELFTEST = 0xdead;
    static final long IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeefL;

    private NestingBuiltins() {
    }

    public static void register(BuiltinTable t) {
        t.registerConstant("IOMMU_VIOMMU_TYPE_ARM_SMMUV3", (long) Uapi.IOMMU_VIOMMU_TYPE_ARM_SMMUV3, "vIOMMU type of the ARM SMMUv3");
        t.registerConstant("IOMMU_VIOMMU_TYPE_SELFTEST", IOMMU_VIOMMU_TYPE_SELFTEST, "vIOMMU type of the selftest mock");
        t.registerConstant("IOMMU_HWPT_DATA_SELFTEST", IOMMU_HWPT_DATA_SELFTEST, "nested HWPT data of the selftest mock");
        t.registerConstant("IOMMU_HWPT_INVALIDATE_DATA_SELFTEST", 0xdeadbeefL, "invalidation entries of a mock nested HWPT");
        t.registerConstant("IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST", 0xdeadbeefL, "invalidation entries of the mock vIOMMU");
        t.registerConstant("IOMMU_HWPT_INVALIDATE_DATA_VTD_S1", (long) Uapi.IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, "VT-d stage-1 invalidation");
        t.registerConstant("IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3", (long) Uapi.IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
                "SMMUv3 commands on a vIOMMU");
        t.registerConstant("IOMMU_VEVENTQ_TYPE_ARM_SMMUV3", (long) Uapi.IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, "SMMUv3 vEVENTQ");
        t.registerConstant("IOMMU_VEVENTQ_TYPE_SELFTEST", 0xbeefbeefL, "selftest vEVENTQ");
        t.registerConstant("IOMMU_HW_QUEUE_TYPE_DEFAULT", (long) Uapi.IOMMU_HW_QUEUE_TYPE_DEFAULT, "reserved HW queue type");
        t.registerConstant("IOMMU_HW_QUEUE_TYPE_SELFTEST", Integer.toUnsignedLong(Uapi.IOMMU_HW_QUEUE_TYPE_SELFTEST),
                "HW queue type of the selftest mock");

        Row.of("selftest_s1", "nested HWPT data for the mock: struct iommu_hwpt_selftest {iotlb}")
                .req("iotlb", "the value all four mock IOTLB entries start with")
                .onSession(t, (s, a, d) -> data(IOMMU_HWPT_DATA_SELFTEST, u32s(a.u64("iotlb"))));
        Row.of("arm_smmuv3_ste", "nested HWPT data for the SMMUv3: struct iommu_hwpt_arm_smmuv3 {le64 ste[2]}, a guest STE")
                .req("ste0", "STE word 0 (V, CFG, S1ContextPtr ...)")
                .opt("ste1", 0L, "STE word 1")
                .onSession(t, (s, a, d) -> data(Uapi.IOMMU_HWPT_DATA_ARM_SMMUV3, u64s(a.u64("ste0"), a.u64("ste1"))));
        Row.of("vtd_s1", "nested HWPT data for VT-d: struct iommu_hwpt_vtd_s1 {flags, pgtbl_addr, addr_width}")
                .req("pgtbl_addr", "the guest's first-stage page table")
                .opt("addr_width", 48L, "48 or 57")
                .opt("flags", 0L, "IOMMU_VTD_S1_SRE | EAFE | WPE")
                .onSession(t, (s, a, d) -> {
                    ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
                    b.putLong(a.u64("flags")).putLong(a.u64("pgtbl_addr")).putInt((int) a.u64("addr_width")).putInt(0);
                    return data(Uapi.IOMMU_HWPT_DATA_VTD_S1, UapiBuiltins.u32Words(b.array()));
                });
        Row.of("viommu_alloc", "IOMMU_VIOMMU_ALLOC: a vIOMMU on a NEST_PARENT HWPT; returns out_viommu_id"
                        + " (a record with out_data when the driver writes data back)")
                .req("dev_id", "a device behind the physical IOMMU")
                .req("hwpt_id", "the nesting parent")
                .req("type", "IOMMU_VIOMMU_TYPE_*", "IOMMU_VIOMMU_TYPE_ARM_SMMUV3", "IOMMU_VIOMMU_TYPE_SELFTEST")
                .opt("data", "driver data: a list of u32 words")
                .opt("flags", 0L, "must be 0")
                .errnos(EOPNOTSUPP, ENOENT, EINVAL)
                .on(t, (c, a) -> {
                    IommufdCtx.ViommuOut o = c.viommuAlloc(a.u32("flags"), a.u32("type"), a.id("dev_id"), a.id("hwpt_id"),
                            a.has("data") ? UapiBuiltins.words(a.list("data"), "data") : null);
                    if (o.outData() == null) {
                        return (long) o.outViommuId();
                    }
                    return Record.of("iommu_viommu_alloc", "out_viommu_id", (long) o.outViommuId(), "out_data",
                            UapiBuiltins.u32Words(o.outData()));
                });
        Row.of("vdevice_alloc", "IOMMU_VDEVICE_ALLOC: the device's virtual ID (vSID, vRID) in a vIOMMU; returns out_vdevice_id")
                .req("viommu_id", "the vIOMMU")
                .req("dev_id", "the device")
                .req("virt_id", "its ID as the guest sees it")
                .errnos(ENOENT, EINVAL, EEXIST)
                .on(t, (c, a) -> c.vdeviceAlloc(a.id("viommu_id"), a.id("dev_id"), a.u64("virt_id")));
        Row.of("hwpt_invalidate", "IOMMU_HWPT_INVALIDATE: invalidate a nested HWPT's or a vIOMMU's caches; returns entry_num"
                        + " (also kept for last_entry_num() when the call fails part-way)")
                .req("hwpt_id", "a nested HWPT or a vIOMMU")
                .req("data_type", "IOMMU_HWPT_INVALIDATE_DATA_* / IOMMU_VIOMMU_INVALIDATE_DATA_*")
                .opt("entries", List.of(), "the entries, each a list of u32 words")
                .opt("entry_len", "bytes per entry (default: the size of the first entry)")
                .opt("data_uptr", "0 to pass a NULL array pointer")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, EINVAL, ENOENT, EIO)
                .onSession(t, (s, a, d) -> invalidate(s, a));
        Row.of("last_entry_num", "entry_num as the last hwpt_invalidate wrote it back (the entries handled before an error)")
                .onSession(t, (s, a, d) -> s.lastEntryNum);
        Row.of("fault_queue_alloc", "IOMMU_FAULT_QUEUE_ALLOC: a queue for I/O page faults; returns {out_fault_id, out_fault_fd}")
                .opt("flags", 0L, "must be 0")
                .errnos(EOPNOTSUPP)
                .on(t, (c, a) -> {
                    IommufdCtx.QueueOut o = c.faultQueueAlloc(a.u32("flags"));
                    return Record.of("iommu_fault_alloc", "out_fault_id", (long) o.id(), "out_fault_fd", (long) o.fd());
                });
        Row.of("veventq_alloc", "IOMMU_VEVENTQ_ALLOC: a vIOMMU event queue; returns {out_veventq_id, out_veventq_fd}")
                .req("viommu_id", "the vIOMMU")
                .req("type", "IOMMU_VEVENTQ_TYPE_*", "IOMMU_VEVENTQ_TYPE_ARM_SMMUV3", "IOMMU_VEVENTQ_TYPE_SELFTEST")
                .req("veventq_depth", "how many events it holds (1 .. 1<<19)")
                .opt("flags", 0L, "must be 0")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, EINVAL, ENOENT, EEXIST)
                .on(t, (c, a) -> {
                    IommufdCtx.QueueOut o = c.veventqAlloc(a.u32("flags"), a.id("viommu_id"), a.u32("type"), a.u64("veventq_depth"),
                            a.u32("__reserved"));
                    return Record.of("iommu_veventq_alloc", "out_veventq_id", (long) o.id(), "out_veventq_fd", (long) o.fd());
                });
        Row.of("hw_queue_alloc", "IOMMU_HW_QUEUE_ALLOC: a vIOMMU's HW queue in guest memory; its pages stay pinned and their"
                        + " areas cannot be unmapped (EBUSY) until it is destroyed; returns out_hw_queue_id")
                .req("viommu_id", "the vIOMMU")
                .req("type", "IOMMU_HW_QUEUE_TYPE_*", "IOMMU_HW_QUEUE_TYPE_SELFTEST")
                .req("nesting_parent_iova", "the queue's base address (guest physical: an IOVA of the nesting parent's IOAS)")
                .req("length", "bytes of queue memory")
                .opt("index", 0L, "the queue's index within the vIOMMU")
                .opt("flags", 0L, "must be 0")
                .errnos(EOPNOTSUPP, EINVAL, EOVERFLOW, ENOENT, EEXIST, EIO, EFAULT, ERANGE)
                .on(t, (c, a) -> (long) c.hwQueueAlloc(a.u32("flags"), a.id("viommu_id"), a.u32("type"), a.u32("index"),
                        a.u64("nesting_parent_iova"), a.u64("length")));
        Row.of("msi_request", "not uAPI: the IRQ layer asks for a bound device's MSI address (iommufd_sw_msi);"
                        + " returns the address programmed and how it was mapped")
                .req("dev_id", "the device")
                .opt("msi_addr", "the doorbell's physical address (default: the driver's doorbell)")
                .errnos(EOVERFLOW, ENOENT)
                .on(t, (c, a) -> {
                    SwMsi.Programmed p = c.msiRequest(a.id("dev_id"), a.has("msi_addr") ? a.u64("msi_addr") : -1);
                    return Record.of("msi", "address", p.address(), "translated", p.translated(), "how", p.how());
                });
    }

    private static Object invalidate(Session s, Args a) {
        List<?> entries = a.list("entries");
        List<byte[]> raw = new ArrayList<>();
        for (Object e : entries) {
            raw.add(UapiBuiltins.words(Values.asList(e, "entries"), "entries"));
        }
        int entryLen = a.has("entry_len") ? a.u32("entry_len") : raw.isEmpty() ? 0 : raw.get(0).length;
        List<byte[]> sized = new ArrayList<>();
        for (byte[] r : raw) {
            sized.add(java.util.Arrays.copyOf(r, entryLen));
        }
        boolean nullUptr = a.has("data_uptr") && a.u64("data_uptr") == 0;
        try {
            int n = s.ctx().hwptInvalidate(a.id("hwpt_id"), a.u32("data_type"), entryLen, sized, nullUptr, a.u32("__reserved"));
            s.lastEntryNum = n;
            return (long) n;
        } catch (IommufdException e) {
            if (e.partialOutput() instanceof IommufdCtx.InvalidateOut o) {
                s.lastEntryNum = o.entryNum();
            }
            throw e;
        }
    }

    /** A driver-data value for hwpt_alloc's data argument: the type and the struct's u32 words. */
    static Record data(long dataType, List<Object> words) {
        return Record.of("iommu_hwpt_data", "data_type", dataType, "data", words);
    }

    private static List<Object> u32s(long... values) {
        List<Object> out = new ArrayList<>();
        for (long v : values) {
            if (v < 0 || v > 0xffffffffL) {
                throw new ScriptError(String.format("0x%x does not fit a u32 field", v));
            }
            out.add(v);
        }
        return List.copyOf(out);
    }

    private static List<Object> u64s(long... values) {
        List<Object> out = new ArrayList<>();
        for (long v : values) {
            out.add(v & 0xffffffffL);
            out.add(v >>> 32);
        }
        return List.copyOf(out);
    }
}
