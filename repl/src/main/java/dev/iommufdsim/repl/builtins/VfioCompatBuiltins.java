package dev.iommufdsim.repl.builtins;

import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.Errno.EPERM;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.uapi.IovaRange;
import dev.iommufdsim.kernel.uapi.Vfio;
import dev.iommufdsim.repl.interp.BuiltinTable;
import dev.iommufdsim.repl.interp.Range;
import dev.iommufdsim.repl.interp.Record;
import java.util.ArrayList;
import java.util.List;

/**
 * IOMMU_VFIO_IOAS and the VFIO type1 container ioctls an iommufd answers
 * (drivers/iommu/iommufd/vfio_compat.c), named after the ioctl in lower case with arguments
 * named after the fields of include/uapi/linux/vfio.h. They all work on the compat IOAS.
 */
public final class VfioCompatBuiltins {
    private static final String[] EXTENSIONS = {"VFIO_TYPE1_IOMMU", "VFIO_TYPE1v2_IOMMU", "VFIO_DMA_CC_IOMMU",
        "VFIO_NOIOMMU_IOMMU", "VFIO_UNMAP_ALL", "VFIO_UPDATE_VADDR"};

    private VfioCompatBuiltins() {
    }

    public static void register(BuiltinTable t) {
        constant(t, "VFIO_API_VERSION", Vfio.VFIO_API_VERSION, "what VFIO_GET_API_VERSION returns");
        constant(t, "IOMMU_VFIO_IOAS_GET", Vfio.IOMMU_VFIO_IOAS_GET, "IOMMU_VFIO_IOAS op: the compat IOAS's ID");
        constant(t, "IOMMU_VFIO_IOAS_SET", Vfio.IOMMU_VFIO_IOAS_SET, "IOMMU_VFIO_IOAS op: make ioas_id the compat IOAS");
        constant(t, "IOMMU_VFIO_IOAS_CLEAR", Vfio.IOMMU_VFIO_IOAS_CLEAR, "IOMMU_VFIO_IOAS op: no compat IOAS");
        constant(t, "VFIO_TYPE1_IOMMU", Vfio.VFIO_TYPE1_IOMMU, "type1: unmap inside a mapping allowed (huge pages off)");
        constant(t, "VFIO_TYPE1v2_IOMMU", Vfio.VFIO_TYPE1v2_IOMMU, "type1v2: unmap whole mappings only");
        constant(t, "VFIO_DMA_CC_IOMMU", Vfio.VFIO_DMA_CC_IOMMU, "extension: every domain enforces cache coherency");
        constant(t, "VFIO_NOIOMMU_IOMMU", Vfio.VFIO_NOIOMMU_IOMMU, "no-IOMMU mode (CONFIG_VFIO_NOIOMMU, off)");
        constant(t, "VFIO_UNMAP_ALL", Vfio.VFIO_UNMAP_ALL, "extension: VFIO_DMA_UNMAP_FLAG_ALL");
        constant(t, "VFIO_UPDATE_VADDR", Vfio.VFIO_UPDATE_VADDR, "extension: VFIO_DMA_MAP_FLAG_VADDR (never on iommufd)");
        constant(t, "VFIO_IOMMU_INFO_PGSIZES", Vfio.VFIO_IOMMU_INFO_PGSIZES, "vfio_iommu_type1_info flag: iova_pgsizes is valid");
        constant(t, "VFIO_IOMMU_INFO_CAPS", Vfio.VFIO_IOMMU_INFO_CAPS, "vfio_iommu_type1_info flag: caps supported");
        constant(t, "VFIO_DMA_MAP_FLAG_READ", Vfio.VFIO_DMA_MAP_FLAG_READ, "readable from the device");
        constant(t, "VFIO_DMA_MAP_FLAG_WRITE", Vfio.VFIO_DMA_MAP_FLAG_WRITE, "writable from the device");
        constant(t, "VFIO_DMA_MAP_FLAG_VADDR", Vfio.VFIO_DMA_MAP_FLAG_VADDR, "update the vaddr (refused: EINVAL)");
        constant(t, "VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP", Vfio.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, "obsolete on iommufd: EINVAL");
        constant(t, "VFIO_DMA_UNMAP_FLAG_ALL", Vfio.VFIO_DMA_UNMAP_FLAG_ALL, "unmap everything (iova and size 0)");
        constant(t, "VFIO_DMA_UNMAP_FLAG_VADDR", Vfio.VFIO_DMA_UNMAP_FLAG_VADDR, "invalidate the vaddr (refused: EINVAL)");

        Row.of("vfio_ioas", "IOMMU_VFIO_IOAS: get, set or clear the IOAS the VFIO compat calls use; GET returns its ioas_id")
                .req("op", "IOMMU_VFIO_IOAS_GET, _SET or _CLEAR", "IOMMU_VFIO_IOAS_GET", "IOMMU_VFIO_IOAS_SET",
                        "IOMMU_VFIO_IOAS_CLEAR")
                .opt("ioas_id", 0L, "the IOAS, for SET")
                .opt("__reserved", 0L, "must be 0")
                .errnos(EOPNOTSUPP, ENODEV, ENOENT)
                .on(t, (c, a) -> {
                    int op = a.u32("op");
                    int id = c.vfioIoas(op, a.u32("ioas_id"), a.u32("__reserved"));
                    return op == Vfio.IOMMU_VFIO_IOAS_GET ? (Object) Integer.toUnsignedLong(id) : null;
                });
        Row.of("vfio_get_api_version", "VFIO_GET_API_VERSION on the iommufd: VFIO_API_VERSION (0)")
                .on(t, (c, a) -> (long) c.vfioGetApiVersion());
        Row.of("vfio_check_extension", "VFIO_CHECK_EXTENSION on the iommufd: 1 if supported, else 0")
                .req("extension", "VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_DMA_CC_IOMMU, VFIO_UNMAP_ALL, ...", EXTENSIONS)
                .errnos(ENODEV)
                .on(t, (c, a) -> (long) c.vfioCheckExtension(a.u64("extension")));
        Row.of("vfio_set_iommu", "VFIO_SET_IOMMU on the iommufd: type1 (huge pages off on the compat IOAS) or type1v2")
                .req("type", "VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU", EXTENSIONS)
                .errnos(EINVAL, ENODEV)
                .on(t, (c, a) -> {
                    c.vfioSetIommu(a.u64("type"));
                    return null;
                });
        Row.of("vfio_iommu_get_info", "VFIO_IOMMU_GET_INFO: iova_pgsizes and the caps (IOVA ranges, DMA available) of the compat IOAS;"
                        + " argsz is the buffer size (too small: cap_offset 0, argsz the size needed)")
                .opt("argsz", 4096L, "the user buffer's size")
                .errnos(EINVAL, ENODEV)
                .on(t, (c, a) -> info(c.vfioIommuGetInfo(a.u64("argsz") & 0xffffffffL)));
        Row.of("vfio_iommu_map_dma", "VFIO_IOMMU_MAP_DMA: map size bytes of user memory at iova of the compat IOAS (always a fixed IOVA)")
                .req("iova", "the IOVA")
                .req("size", "bytes to map")
                .opt("vaddr", UapiBuiltins.DEFAULT_USER_VA, "the user address (default: a 2 MiB-aligned buffer)")
                .opt("flags", (long) (Vfio.VFIO_DMA_MAP_FLAG_READ | Vfio.VFIO_DMA_MAP_FLAG_WRITE), "READ | WRITE (the default)",
                        "VFIO_DMA_MAP_FLAG_READ", "VFIO_DMA_MAP_FLAG_WRITE", "VFIO_DMA_MAP_FLAG_VADDR")
                .opt("argsz", 32L, "struct size given (below 32: EINVAL)")
                .errnos(EINVAL, ENODEV, EOVERFLOW, EEXIST, EPERM, EFAULT)
                .on(t, (c, a) -> {
                    c.vfioIommuMapDma(a.u64("argsz") & 0xffffffffL, a.u32("flags"), a.u64("vaddr"), a.u64("iova"), a.u64("size"));
                    return null;
                });
        Row.of("vfio_iommu_unmap_dma", "VFIO_IOMMU_UNMAP_DMA: unmap [iova, iova+size) of the compat IOAS; returns size, the bytes"
                        + " unmapped (nothing mapped: 0); type1 cuts mappings, type1v2 only removes whole ones")
                .opt("iova", 0L, "first IOVA")
                .opt("size", 0L, "bytes")
                .opt("flags", 0L, "VFIO_DMA_UNMAP_FLAG_ALL (with iova and size 0)", "VFIO_DMA_UNMAP_FLAG_ALL",
                        "VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP", "VFIO_DMA_UNMAP_FLAG_VADDR")
                .opt("argsz", 24L, "struct size given (below 24: EINVAL)")
                .errnos(EINVAL, ENODEV, ENOENT, EOVERFLOW)
                .on(t, (c, a) -> c.vfioIommuUnmapDma(a.u64("argsz") & 0xffffffffL, a.u32("flags"), a.u64("iova"), a.u64("size")));
    }

    private static Record info(IommufdCtx.VfioIommuInfo info) {
        List<Object> ranges = new ArrayList<>();
        for (IovaRange r : info.iovaRanges()) {
            ranges.add(new Range(r.start(), r.last()));
        }
        return Record.of("vfio_iommu_type1_info", "argsz", info.argsz(), "flags", Integer.toUnsignedLong(info.flags()),
                "iova_pgsizes", info.iovaPgsizes(), "cap_offset", info.capOffset(), "iova_ranges", List.copyOf(ranges),
                "dma_avail", info.dmaAvail());
    }

    private static void constant(BuiltinTable t, String name, long value, String description) {
        t.registerConstant(name, value, description);
    }
}
