package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Vfio;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The decoding of drivers/iommu/iommufd/vfio_compat.c: IOMMU_VFIO_IOAS (an IOCTL_OP table
 * entry) and iommufd_vfio_ioctl(), which gets every call whose _IOC_NR is outside the table.
 * The type1 structs start with argsz, not size: the kernel reads a fixed minimum (minsz) and
 * checks argsz itself, so none of the table's size rules apply.
 */
final class VfioCompatIoctls {
    private VfioCompatIoctls() {
    }

    /** iommufd_vfio_ioas(): {size, ioas_id @4, op @8, __reserved @10}; only GET copies back. */
    static void vfioIoas(IommufdCtx ctx, IoctlDispatcher.Call c) throws UserFault {
        int op = c.u16(8);
        int id = ctx.vfioIoas(op, c.u32(4), c.u16(10));
        if (op == Vfio.IOMMU_VFIO_IOAS_GET) {
            c.put32(4, id);
            c.respond();
        }
    }

    /**
     * iommufd_vfio_ioctl(): the syscall's return value (>= 0) or -errno. An unknown request,
     * VFIO_IOMMU_DIRTY_PAGES included, is -ENOIOCTLCMD, which the VFS turns into ENOTTY.
     */
    static long vfioIoctl(IommufdCtx ctx, int cmd, long arg, UserAccess mem) throws UserFault {
        switch (cmd) {
            case Vfio.VFIO_GET_API_VERSION:
                return ctx.vfioGetApiVersion();
            case Vfio.VFIO_SET_IOMMU:
                ctx.vfioSetIommu(arg);
                return 0;
            case Vfio.VFIO_CHECK_EXTENSION:
                return ctx.vfioCheckExtension(arg);
            case Vfio.VFIO_IOMMU_GET_INFO:
                return iommuGetInfo(ctx, arg, mem);
            case Vfio.VFIO_IOMMU_MAP_DMA:
                return mapDma(ctx, arg, mem);
            case Vfio.VFIO_IOMMU_UNMAP_DMA:
                return unmapDma(ctx, arg, mem);
            default:
                return -Errno.ENOTTY.number();
        }
    }

    /** iommufd_vfio_iommu_get_info(): the kernel's copies in its order; a fault stops there (EFAULT). */
    private static long iommuGetInfo(IommufdCtx ctx, long arg, UserAccess mem) throws UserFault {
        ByteBuffer in = le(mem.read(arg, 16)); // copy_from_user(&info, arg, minsz)
        IommufdCtx.VfioIommuInfo info = ctx.vfioIommuGetInfo(Integer.toUnsignedLong(in.getInt(0)));
        for (IommufdCtx.UserWrite w : info.userWrites()) {
            mem.write(arg + w.offset(), w.bytes());
        }
        return 0;
    }

    /** iommufd_vfio_map_dma(): {argsz, flags, vaddr @8, iova @16, size @24}; nothing is copied back. */
    private static long mapDma(IommufdCtx ctx, long arg, UserAccess mem) throws UserFault {
        ByteBuffer m = le(mem.read(arg, 32));
        ctx.vfioIommuMapDma(Integer.toUnsignedLong(m.getInt(0)), m.getInt(4), m.getLong(8), m.getLong(16), m.getLong(24));
        return 0;
    }

    /**
     * iommufd_vfio_unmap_dma(): {argsz, flags, iova @8, size @16}. The struct goes back with
     * size = the bytes unmapped, also when the unmap failed part-way; a failed copy is EFAULT.
     */
    private static long unmapDma(IommufdCtx ctx, long arg, UserAccess mem) throws UserFault {
        byte[] raw = mem.read(arg, 24);
        ByteBuffer u = le(raw);
        IommufdException err = null;
        long unmapped;
        try {
            unmapped = ctx.vfioIommuUnmapDma(Integer.toUnsignedLong(u.getInt(0)), u.getInt(4), u.getLong(8), u.getLong(16));
        } catch (IommufdException e) {
            if (!(e.partialOutput() instanceof Long partial)) {
                throw e;
            }
            unmapped = partial;
            err = e;
        }
        u.putLong(16, unmapped);
        mem.write(arg, Arrays.copyOf(raw, 24));
        if (err != null) {
            throw err;
        }
        return 0;
    }

    /** The VFIO name of a request word iommufd_vfio_ioctl() serves, for traces; else null. */
    static String name(int cmd) {
        return switch (cmd) {
            case Vfio.VFIO_GET_API_VERSION -> "VFIO_GET_API_VERSION";
            case Vfio.VFIO_CHECK_EXTENSION -> "VFIO_CHECK_EXTENSION";
            case Vfio.VFIO_SET_IOMMU -> "VFIO_SET_IOMMU";
            case Vfio.VFIO_IOMMU_GET_INFO -> "VFIO_IOMMU_GET_INFO";
            case Vfio.VFIO_IOMMU_MAP_DMA -> "VFIO_IOMMU_MAP_DMA";
            case Vfio.VFIO_IOMMU_UNMAP_DMA -> "VFIO_IOMMU_UNMAP_DMA";
            default -> null;
        };
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }
}
