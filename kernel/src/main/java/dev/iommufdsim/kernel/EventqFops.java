package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EBADF;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

/**
 * The file operations of fault and vEVENTQ fds (eventq.c: INIT_EVENTQ_FOPS): read, write and
 * poll, reached through {@link IommufdCtx#eventqRead}, {@link IommufdCtx#eventqWrite} and
 * {@link IommufdCtx#eventqPoll}. The reader's memory is a {@link UserBuffer}.
 */
public final class EventqFops {
    /** EPOLLIN | EPOLLRDNORM and EPOLLOUT (poll.h). */
    public static final int EPOLLIN = 0x1;
    public static final int EPOLLRDNORM = 0x40;
    public static final int EPOLLOUT = 0x4;

    private EventqFops() {
    }

    /** The user buffer of a read() or write(), at offsets from its start. */
    public interface UserBuffer {
        /** copy_to_user(buf + offset, data): false when some byte faults. */
        boolean copyTo(long offset, byte[] data);

        /** copy_from_user(): len bytes at buf + offset, or null when some byte faults. */
        byte[] copyFrom(long offset, int len);
    }

    static IommufdObject eventq(IommufdCtx ictx, int fd) {
        IommufdObject obj = ictx.eventFdObject(fd);
        if (obj == null) {
            throw fail(EBADF, "fd %d is not an open fault or event queue of this context", fd);
        }
        return obj;
    }

    /** vfs_read() of the fd: iommufd_fault_fops_read() or iommufd_veventq_fops_read(). */
    static long read(IommufdCtx ictx, int fd, long count, UserBuffer buf) {
        IommufdObject q = eventq(ictx, fd);
        return q instanceof IommufdFault f ? f.fopsRead(count, buf) : ((IommufdVeventq) q).fopsRead(count, buf);
    }

    /** vfs_write(): iommufd_fault_fops_write(); a vEVENTQ has no write op (EINVAL from the VFS). */
    static long write(IommufdCtx ictx, int fd, long count, UserBuffer buf) {
        IommufdObject q = eventq(ictx, fd);
        if (q instanceof IommufdFault f) {
            return f.fopsWrite(count, buf);
        }
        // vfs_write(): a file without ->write and ->write_iter is -EINVAL
        throw fail(dev.iommufdsim.kernel.uapi.Errno.EINVAL, "a vEVENTQ fd (fd %d) cannot be written", fd);
    }

    /** iommufd_eventq_fops_poll(): EPOLLOUT always for a fault queue, EPOLLIN|EPOLLRDNORM when something waits. */
    static int poll(IommufdCtx ictx, int fd) {
        IommufdObject q = eventq(ictx, fd);
        int mask = 0;
        boolean pending;
        if (q instanceof IommufdFault f) {
            mask |= EPOLLOUT;
            pending = !f.deliver.isEmpty();
        } else {
            pending = !((IommufdVeventq) q).deliver.isEmpty();
        }
        if (pending) {
            mask |= EPOLLIN | EPOLLRDNORM;
        }
        return mask;
    }
}
