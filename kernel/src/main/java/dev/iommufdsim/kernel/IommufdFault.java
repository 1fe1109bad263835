package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.ESPIPE;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMUFD_PAGE_RESP_INVALID;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMUFD_PAGE_RESP_SUCCESS;
import static dev.iommufdsim.kernel.uapi.Uapi.SIZEOF_HWPT_PGFAULT;
import static dev.iommufdsim.kernel.uapi.Uapi.SIZEOF_PAGE_RESPONSE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;

/**
 * struct iommufd_fault (eventq.c): the queue of I/O page faults of the HWPTs allocated with
 * FAULT_ID_VALID. Faults wait in {@code deliver} until read(); a read group waits in
 * {@code response} under its cookie until write() answers it.
 */
public final class IommufdFault extends IommufdObject {
    /** The fd iommufd_eventq_init() installed (set once the object is reserved). */
    int fd = -1;
    /** fault->common.deliver. */
    final ArrayDeque<IopfGroup> deliver = new ArrayDeque<>();
    /** fault->response: an xarray with XA_FLAGS_ALLOC1, so cookies start at 1. */
    final TreeMap<Integer, IopfGroup> response = new TreeMap<>();
    /** How many groups were answered (iopf_group_response), for tests and people. */
    long responses;

    IommufdFault() {
        super(ObjType.FAULT);
    }

    public int fd() {
        return fd;
    }

    /** Faults not read yet. */
    public int pendingFaults() {
        return deliver.size();
    }

    /** Groups read and waiting for their response (the cookies in fault->response). */
    public java.util.Set<Integer> awaitingResponse() {
        return java.util.Collections.unmodifiableSet(new java.util.TreeSet<>(response.keySet()));
    }

    /** How many groups have been answered, by the program or automatically. */
    public long responsesSent() {
        return responses;
    }

    /**
     * A group of (idev, handle pasid) queued or read but not answered that requests a page of
     * [iova, last], or null: the device is still stalled on it (the emulator's stand-in for the
     * device, which waits for the page response before it retries).
     */
    IopfGroup outstanding(IommufdDevice idev, int pasid, long iova, long last) {
        List<IopfGroup> waiting = new ArrayList<>(deliver);
        waiting.addAll(response.values());
        for (IopfGroup g : waiting) {
            if (g.idev == idev && g.handlePasid == pasid && g.requestsPageIn(iova, last)) {
                return g;
            }
        }
        return null;
    }

    /** iommufd_fault_iopf_handler(): the group joins the tail of the deliver list. */
    void iopfHandler(IopfGroup group) {
        deliver.addLast(group);
    }

    /** xa_alloc(xa_limit_32b) on an ALLOC1 xarray: the lowest free index from 1. */
    private int allocCookie() {
        int c = 1;
        for (int used : response.keySet()) {
            if (used != c) {
                break;
            }
            c++;
        }
        return c;
    }

    /** iopf_group_response() + iopf_free_group(): the mock driver's page_response does nothing more. */
    private void respond(IopfGroup group) {
        responses++;
    }

    /** iommufd_fault_fops_read(). */
    long fopsRead(long count, EventqFops.UserBuffer buf) {
        long faultSize = SIZEOF_HWPT_PGFAULT;
        if (Long.remainderUnsigned(count, faultSize) != 0) {
            throw fail(ESPIPE, "read count %d is not a multiple of sizeof(struct iommu_hwpt_pgfault) %d", count, faultSize);
        }
        long done = 0;
        IopfGroup group;
        while ((group = deliver.pollFirst()) != null) {
            long groupDone = done;
            if (Long.compareUnsigned(done, count) >= 0 || group.faultCount() * faultSize > count - done) {
                deliver.addFirst(group);
                if (done == 0) {
                    throw fail(EINVAL, "read count %d cannot hold the first fault group (%d bytes)", count, group.faultCount() * faultSize);
                }
                break;
            }
            group.cookie = allocCookie();
            response.put(group.cookie, group);
            for (int i = 0; i < group.faultCount(); i++) {
                if (!buf.copyTo(groupDone, group.pgfault(i))) {
                    response.remove(group.cookie);
                    deliver.addFirst(group);
                    if (done == 0) {
                        throw fail(EFAULT, "cannot write the fault record at buffer offset %d", groupDone);
                    }
                    return done;
                }
                groupDone += faultSize;
            }
            done = groupDone;
        }
        return done;
    }

    /** iommufd_fault_fops_write(): each struct iommu_hwpt_page_response answers one group. */
    long fopsWrite(long count, EventqFops.UserBuffer buf) {
        long responseSize = SIZEOF_PAGE_RESPONSE;
        if (Long.remainderUnsigned(count, responseSize) != 0) {
            throw fail(ESPIPE, "write count %d is not a multiple of sizeof(struct iommu_hwpt_page_response) %d", count, responseSize);
        }
        long done = 0;
        while (Long.compareUnsigned(count, done) > 0) {
            byte[] raw = buf.copyFrom(done, (int) responseSize);
            if (raw == null) {
                return partial(done, fail(EFAULT, "cannot read the response at buffer offset %d", done));
            }
            ByteBuffer r = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            int cookie = r.getInt(0);
            int code = r.getInt(4);
            if (code != IOMMUFD_PAGE_RESP_SUCCESS && code != IOMMUFD_PAGE_RESP_INVALID) {
                return partial(done, fail(EINVAL, "response code %d is neither IOMMUFD_PAGE_RESP_SUCCESS nor _INVALID", code));
            }
            IopfGroup group = response.remove(cookie);
            if (group == null) {
                return partial(done, fail(EINVAL, "cookie %d names no fault group waiting for a response", Integer.toUnsignedLong(cookie)));
            }
            respond(group);
            done += responseSize;
        }
        return done;
    }

    /** "return done == 0 ? rc : done". */
    private static long partial(long done, RuntimeException rc) {
        if (done == 0) {
            throw rc;
        }
        return done;
    }

    /**
     * iommufd_auto_response_faults(): the attach handle (idev, pasid) goes away, so its groups
     * still queued or waiting for a response are answered IOMMU_PAGE_RESP_INVALID and dropped.
     */
    void autoResponse(IommufdDevice idev, int pasid) {
        for (Iterator<IopfGroup> it = deliver.iterator(); it.hasNext();) {
            IopfGroup g = it.next();
            if (g.idev == idev && g.handlePasid == pasid) {
                it.remove();
                respond(g);
            }
        }
        for (Iterator<IopfGroup> it = response.values().iterator(); it.hasNext();) {
            IopfGroup g = it.next();
            if (g.idev == idev && g.handlePasid == pasid) {
                it.remove();
                respond(g);
            }
        }
    }

    /** iommufd_fault_destroy(): every group left is answered IOMMU_PAGE_RESP_INVALID. */
    @Override
    void destroy() {
        deliver.forEach(this::respond);
        deliver.clear();
        response.values().forEach(this::respond);
        response.clear();
    }
}
