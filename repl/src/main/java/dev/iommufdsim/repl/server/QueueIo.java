package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.EventqFops;
import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.io.PrintStream;

/**
 * read(), write() and poll() of the fault and vEVENTQ descriptors a program was given: the
 * VFS's part (ksys_read / vfs_read: access_ok, MAX_RW_COUNT) here, then the eventq.c file
 * operations of the emulator. The buffer is the program's memory, reached like an ioctl's.
 */
final class QueueIo {
    /** MAX_RW_COUNT: INT_MAX & PAGE_MASK. */
    static final long MAX_RW_COUNT = Integer.MAX_VALUE & ~0xfffL;
    /** TASK_SIZE_MAX on x86-64 (4-level paging): user addresses lie below it. */
    static final long TASK_SIZE = 0x7ffffffff000L;

    private QueueIo() {
    }

    /** The program's memory at buf as a copy_to_user / copy_from_user target. */
    static EventqFops.UserBuffer buffer(UserAccess mem, long buf) {
        return new EventqFops.UserBuffer() {
            @Override
            public boolean copyTo(long offset, byte[] data) {
                try {
                    mem.write(buf + offset, data);
                    return true;
                } catch (UserFault f) {
                    return false;
                }
            }

            @Override
            public byte[] copyFrom(long offset, int len) {
                try {
                    return mem.read(buf + offset, len);
                } catch (UserFault f) {
                    return null;
                }
            }
        };
    }

    /** access_ok() and rw_verify_area() of vfs_read/vfs_write: the count, clamped to MAX_RW_COUNT. */
    private static long verify(long buf, long count) {
        if (Long.compareUnsigned(buf, TASK_SIZE) > 0 || Long.compareUnsigned(count, TASK_SIZE - buf) > 0) {
            throw new IommufdException(Errno.EFAULT, String.format("buffer 0x%x (%s bytes) is not user memory", buf,
                    Long.toUnsignedString(count)));
        }
        return Math.min(count, MAX_RW_COUNT);
    }

    /** One call: its result, or -errno; emulator failures are EIO and reported to gaps. */
    interface Op {
        long run();
    }

    static long call(String what, Op op, GapLog gaps, PrintStream trace) {
        long r;
        try {
            r = op.run();
        } catch (IommufdException e) {
            r = -e.errno().number();
            if (trace != null) {
                trace.printf("iommufd-sim: %s: %s%n", what, e);
            }
            return r;
        } catch (ClientGone e) {
            throw e;
        } catch (RuntimeException e) {
            gaps.bug(what + ": " + e);
            if (trace != null) {
                e.printStackTrace(trace);
            }
            return -Errno.EIO.number();
        }
        if (trace != null) {
            trace.printf("iommufd-sim: %s: %d%n", what, r);
        }
        return r;
    }

    static long read(IommufdCtx ctx, int fd, long buf, long count, UserAccess mem) {
        ctx.eventqPoll(fd); // fdget(): EBADF before access_ok's EFAULT (poll changes nothing)
        long n = verify(buf, count);
        return ctx.eventqRead(fd, n, buffer(mem, buf));
    }

    static long write(IommufdCtx ctx, int fd, long buf, long count, UserAccess mem) {
        // fdget() (EBADF), then a file without ->write (a vEVENTQ) is EINVAL before access_ok:
        // a write of 0 bytes answers both and changes nothing
        ctx.eventqWrite(fd, 0, buffer(mem, buf));
        long n = verify(buf, count);
        return ctx.eventqWrite(fd, n, buffer(mem, buf));
    }
}
