package dev.iommufdsim.repl.server;

import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.PhysDevice;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.IntFunction;

/**
 * One open of /dev/vfio/devices/vfioN (struct vfio_device_file, drivers/vfio/device_cdev.c and
 * vfio_main.c of 7.2) of a vfio-pci device: BIND_IOMMUFD, ATTACH/DETACH_IOMMUFD_PT and
 * GET_INFO decoded as the kernel does, in its order of checks, the binding and attachments
 * made through {@link IommufdCtx#vfioDeviceBind} and friends on the context of the iommufd the
 * program names. Every other request is ENOTTY (vfio_pci_core_ioctl's default) and listed in
 * the not-emulated summary. A failed call changes nothing, except where the kernel's own undo
 * differs (see {@link #attach}).
 *
 * <p>Not thread-safe: the caller holds the machine's lock.
 */
final class VfioDeviceFile {
    static final int VFIO_TYPE = ';';
    static final int VFIO_BASE = 100;
    static final int VFIO_DEVICE_GET_INFO = VFIO_TYPE << 8 | (VFIO_BASE + 7);
    static final int VFIO_DEVICE_BIND_IOMMUFD = VFIO_TYPE << 8 | (VFIO_BASE + 18);
    static final int VFIO_DEVICE_ATTACH_IOMMUFD_PT = VFIO_TYPE << 8 | (VFIO_BASE + 19);
    static final int VFIO_DEVICE_DETACH_IOMMUFD_PT = VFIO_TYPE << 8 | (VFIO_BASE + 20);
    static final int VFIO_DEVICE_BIND_FLAG_TOKEN = 1 << 0;
    static final int VFIO_DEVICE_ATTACH_PASID = 1 << 0;
    static final int VFIO_DEVICE_DETACH_PASID = 1 << 0;
    static final int VFIO_DEVICE_FLAGS_RESET = 1 << 0;
    static final int VFIO_DEVICE_FLAGS_PCI = 1 << 1;
    /** VFIO_PCI_NUM_REGIONS: BAR0..5, ROM, config, VGA (no device-specific regions). */
    static final int VFIO_PCI_NUM_REGIONS = 9;
    /** VFIO_PCI_NUM_IRQS: INTx, MSI, MSI-X, ERR, REQ. */
    static final int VFIO_PCI_NUM_IRQS = 5;

    /**
     * An iommufd file of the program, as a device file holds it (df->iommufd): its context,
     * opened on first use, and a reference that keeps it alive after the program closed it.
     */
    interface IommufdFile {
        /** The context (machine lock held). */
        IommufdCtx ctx();

        /** iommufd_ctx_get(): the context outlives the iommufd's close until {@link #put}. */
        void get();

        /** iommufd_ctx_put(): the last reference of a closed iommufd releases the context. */
        void put();

        /**
         * The context's own memory requests (pins of its pages' source processes) go to the
         * program through caller while a device call runs on it; null gives them back.
         */
        void lend(UserAccess caller);
    }

    private static final int ENOTTY = Errno.ENOTTY.number();

    private final PhysDevice dev;
    private final int index;
    /** The program's iommufd by its number (S_IOMMUFD's answer), or null when that connection is gone. */
    private final IntFunction<IommufdFile> iommufds;
    private final GapLog gaps;
    private final PrintStream trace;
    /** Waits (a while) for a device's other open to be released; see {@link #bind}. */
    private final java.util.function.Consumer<PhysDevice> awaitRelease;
    /** df->iommufd once BIND succeeded (df->access_granted), else null. */
    private IommufdFile bound;
    /** df->devid. */
    private int devId;

    /**
     * @param awaitRelease called when the device is open through another file: returns once it
     *                     is released or after a while (the server sees a close() only when the
     *                     connection ends, after the program's next call may have come in)
     */
    VfioDeviceFile(PhysDevice dev, int index, IntFunction<IommufdFile> iommufds, ServerOptions opts,
            java.util.function.Consumer<PhysDevice> awaitRelease) {
        this.dev = dev;
        this.awaitRelease = awaitRelease;
        this.index = index;
        this.iommufds = iommufds;
        this.gaps = opts.gaps();
        this.trace = opts.trace();
    }

    PhysDevice device() {
        return dev;
    }

    /** The dev_id of the binding, or 0 before BIND (and after a failed one). */
    int devId() {
        return bound == null ? 0 : devId;
    }

    /** The name of a request, for traces and the summary. */
    static String name(int cmd) {
        return switch (cmd) {
            case VFIO_DEVICE_GET_INFO -> "VFIO_DEVICE_GET_INFO";
            case VFIO_DEVICE_BIND_IOMMUFD -> "VFIO_DEVICE_BIND_IOMMUFD";
            case VFIO_DEVICE_ATTACH_IOMMUFD_PT -> "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
            case VFIO_DEVICE_DETACH_IOMMUFD_PT -> "VFIO_DEVICE_DETACH_IOMMUFD_PT";
            default -> (cmd >> 8 & 0xff) == VFIO_TYPE && (cmd & 0xffff0000) == 0
                    ? String.format("vfio device ioctl nr %d", cmd & 0xff)
                    : String.format("vfio device ioctl 0x%x", cmd);
        };
    }

    /** ioctl(fd, cmd, arg) on the device file: the syscall's value (>= 0) or -errno (emulator failures EIO). */
    long ioctl(int cmd, long arg, UserAccess mem) {
        return QueueIo.call(name(cmd) + " on vfio" + index, () -> {
            try {
                return dispatch(cmd, arg, mem);
            } catch (UserFault f) {
                throw new IommufdException(Errno.EFAULT, f.getMessage());
            }
        }, gaps, trace);
    }

    /** vfio_device_fops_unl_ioctl(). */
    private long dispatch(int cmd, long arg, UserAccess mem) throws UserFault {
        if (cmd == VFIO_DEVICE_BIND_IOMMUFD) {
            return bind(arg, mem);
        }
        // Paired with the access_granted store of a successful bind: nothing else before it.
        if (bound == null) {
            throw fail(Errno.EINVAL, "vfio%d (%s) is not bound to an iommufd: VFIO_DEVICE_BIND_IOMMUFD first", index, dev.name());
        }
        // cdev-only ioctls, then the vfio-pci driver's (vfio_pci_core_ioctl)
        return switch (cmd) {
            case VFIO_DEVICE_ATTACH_IOMMUFD_PT -> attach(arg, mem);
            case VFIO_DEVICE_DETACH_IOMMUFD_PT -> detach(arg, mem);
            case VFIO_DEVICE_GET_INFO -> getInfo(arg, mem);
            default -> {
                gaps.gap(name(cmd));
                yield -ENOTTY;
            }
        };
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v).array();
    }

    /**
     * vfio_df_ioctl_bind_iommufd(): struct vfio_device_bind_iommufd {argsz, flags, iommufd @8,
     * out_devid @12, token_uuid_ptr @16}, 24 bytes, 16 of them mandatory.
     */
    private long bind(long arg, UserAccess mem) throws UserFault {
        final int minsz = 16;
        long argsz = Integer.toUnsignedLong(le(mem.read(arg, 4)).getInt(0));
        if (argsz < minsz) {
            throw fail(Errno.EINVAL, "argsz %d is below %d (offsetofend out_devid)", argsz, minsz);
        }
        ByteBuffer b = le(IoctlDispatcher.copyStructFromUser(mem, 24, arg, argsz));
        int flags = b.getInt(4);
        int iommufd = b.getInt(8);
        if (iommufd < 0 || (flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN) != 0) {
            throw fail(Errno.EINVAL, iommufd < 0 ? "iommufd %d is negative" : "unknown flags 0x%x",
                    iommufd < 0 ? iommufd : flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN);
        }
        if (bound != null) {
            throw fail(Errno.EINVAL, "this open of vfio%d is already bound (dev_id %d): one device cannot be bound twice", index, devId);
        }
        // vfio_df_check_token() with vfio_pci_core_match_token_uuid(): a device that is neither
        // an SR-IOV PF nor a VF (the only kind declared) takes no token, read first.
        if ((flags & VFIO_DEVICE_BIND_FLAG_TOKEN) != 0) {
            mem.read(b.getLong(16), 16);
            throw fail(Errno.EINVAL, "VF token provided for %s, which is not a PF or VF", dev.name());
        }
        // iommufd_ctx_from_fd()
        int number = mem.iommufd(iommufd);
        if (number < 0) {
            if (number == -Errno.EBADF.number()) {
                throw fail(Errno.EBADF, "iommufd %d is not an open descriptor", iommufd);
            }
            throw fail(Errno.EBADFD, "descriptor %d is not an iommufd", iommufd);
        }
        IommufdFile file = iommufds.apply(number);
        if (file == null) {
            throw fail(Errno.EBADF, "iommufd %d is being closed", iommufd);
        }
        // vfio_df_open(): the cdev path cannot open a device twice
        if (dev.boundTo() != null) {
            awaitRelease.accept(dev); // a close() of the other file that the server has not seen yet
        }
        if (dev.boundTo() != null) {
            throw fail(Errno.EINVAL, "%s is already open through another file (bound as dev_id %d)", dev.name(), dev.boundTo().id());
        }
        IommufdCtx ctx = file.ctx();
        int id;
        file.lend(mem);
        try {
            id = ctx.vfioDeviceBind(dev, 0);
        } finally {
            file.lend(null);
        }
        try {
            mem.write(arg + 12, u32(id));
        } catch (UserFault f) {
            ctx.vfioDeviceClose(id); // out_close_device
            throw f;
        }
        file.get();
        bound = file;
        devId = id;
        return 0;
    }

    /**
     * What vfio_df_ioctl_attach_pt() and vfio_df_ioctl_detach_pt() read alike: minsz bytes
     * ({argsz, flags, ...}), argsz >= minsz, no flag but the PASID one, and with it the pasid
     * right after (argsz must cover it).
     *
     * @param head  the minsz bytes
     * @param pasid the pasid, 0 (IOMMU_NO_PASID) without the flag
     */
    private record PtArgs(int flags, ByteBuffer head, int pasid) {
    }

    private static PtArgs ptArgs(long arg, UserAccess mem, int minsz, String lastField) throws UserFault {
        ByteBuffer b = le(mem.read(arg, minsz));
        long argsz = Integer.toUnsignedLong(b.getInt(0));
        int flags = b.getInt(4);
        if (argsz < minsz) {
            throw fail(Errno.EINVAL, "argsz %d is below %d (offsetofend %s)", argsz, minsz, lastField);
        }
        if ((flags & ~VFIO_DEVICE_ATTACH_PASID) != 0) { // VFIO_DEVICE_DETACH_PASID is the same bit
            throw fail(Errno.EINVAL, "unknown flags 0x%x", flags & ~VFIO_DEVICE_ATTACH_PASID);
        }
        int pasid = 0;
        if ((flags & VFIO_DEVICE_ATTACH_PASID) != 0) {
            if (argsz < minsz + 4) {
                throw fail(Errno.EINVAL, "argsz %d is below %d (offsetofend pasid) with the PASID flag", argsz, minsz + 4);
            }
            pasid = le(mem.read(arg + minsz, 4)).getInt(0);
        }
        return new PtArgs(flags, b, pasid);
    }

    /**
     * vfio_df_ioctl_attach_pt() and vfio_iommufd_physical_(pasid_)attach_ioas(): struct
     * vfio_device_attach_iommufd_pt {argsz, flags, pt_id @8, pasid @12}; attaches, or replaces
     * what the device (PASID) has; pt_id copied back. A failed copy-back goes to the kernel's
     * out_detach, device->ops->detach_ioas(): the RID is detached (when attached), even after a
     * PASID attach, whose PASID stays attached.
     */
    private long attach(long arg, UserAccess mem) throws UserFault {
        PtArgs a = ptArgs(arg, mem, 12, "pt_id");
        IommufdCtx ctx = bound.ctx();
        int out;
        bound.lend(mem);
        try {
            out = ctx.vfioDeviceAttach(devId, a.flags(), a.head().getInt(8), a.pasid());
        } finally {
            bound.lend(null);
        }
        try {
            mem.write(arg + 8, u32(out));
        } catch (UserFault f) {
            ctx.vfioDeviceDetach(devId, 0, 0); // detach_ioas(), not pasid_detach_ioas()
            throw f;
        }
        return 0;
    }

    /** vfio_df_ioctl_detach_pt(): struct vfio_device_detach_iommufd_pt {argsz, flags, pasid @8}. */
    private long detach(long arg, UserAccess mem) throws UserFault {
        PtArgs d = ptArgs(arg, mem, 8, "flags");
        bound.ctx().vfioDeviceDetach(devId, d.flags(), d.pasid());
        return 0;
    }

    /**
     * vfio_pci_ioctl_get_info(): struct vfio_device_info {argsz, flags, num_regions,
     * num_irqs, cap_offset, pad}, 16 bytes read, min(argsz, 24) written back. A vfio-pci device
     * with a working reset (FLR), no device-specific regions and no capabilities (no zPCI, no
     * AtomicOp completer reported by the root port).
     */
    private long getInfo(long arg, UserAccess mem) throws UserFault {
        final int minsz = 16;
        ByteBuffer in = le(mem.read(arg, minsz));
        long argsz = Integer.toUnsignedLong(in.getInt(0));
        if (argsz < minsz) {
            throw fail(Errno.EINVAL, "argsz %d is below %d (offsetofend num_irqs)", argsz, minsz);
        }
        ByteBuffer info = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        info.putInt(0, (int) argsz)
                .putInt(4, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET)
                .putInt(8, VFIO_PCI_NUM_REGIONS)
                .putInt(12, VFIO_PCI_NUM_IRQS);
        mem.write(arg, java.util.Arrays.copyOf(info.array(), (int) Math.min(argsz, 24)));
        return 0;
    }

    /**
     * vfio_device_fops_release() of the last copy of the file: vfio_df_unbind_iommufd()
     * (detach everything, unbind) and the iommufd reference it held.
     */
    void release() {
        if (bound == null) {
            return;
        }
        IommufdFile file = bound;
        bound = null;
        try {
            file.ctx().vfioDeviceClose(devId);
        } finally {
            file.put();
        }
    }
}
