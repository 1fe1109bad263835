package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOPNOTSUPP;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_VEVENTQ_TYPE_DEFAULT;
import static dev.iommufdsim.kernel.uapi.Uapi.VEVENTQ_MAX_DEPTH;

/** IOMMU_FAULT_QUEUE_ALLOC and IOMMU_VEVENTQ_ALLOC (drivers/iommu/iommufd/eventq.c). */
final class EventqIoctls {
    private EventqIoctls() {
    }

    /** IOMMU_FAULT_QUEUE_ALLOC / IOMMU_VEVENTQ_ALLOC outputs: the object ID and its fd. */
    record QueueOut(int id, int fd) {
    }

    /** iommufd_fault_alloc(). */
    static QueueOut faultAlloc(IommufdCtx ictx, int flags) {
        if (flags != 0) {
            throw fail(EOPNOTSUPP, "flags must be 0");
        }
        // The object first, then the fd (iommufd_fault_alloc, then iommufd_eventq_init).
        IommufdFault fault = new IommufdFault();
        ictx.objects.reserve(fault);
        try {
            fault.fd = ictx.allocFd();
        } catch (RuntimeException e) {
            ictx.abortAndDestroy(fault);
            throw e;
        }
        ictx.objects.finalize(fault);
        ictx.openEventFd(fault.fd, fault);
        return new QueueOut(fault.id(), fault.fd);
    }

    /** iommufd_veventq_alloc(). */
    static QueueOut veventqAlloc(IommufdCtx ictx, int flags, int viommuId, int type, long depth, int reserved) {
        if (flags != 0 || reserved != 0 || type == IOMMU_VEVENTQ_TYPE_DEFAULT) {
            throw fail(EOPNOTSUPP, type == IOMMU_VEVENTQ_TYPE_DEFAULT ? "type IOMMU_VEVENTQ_TYPE_DEFAULT is reserved"
                    : "flags and __reserved must be 0");
        }
        if (depth == 0 || depth > VEVENTQ_MAX_DEPTH) {
            throw fail(EINVAL, "veventq_depth %d outside 1..%d", depth, VEVENTQ_MAX_DEPTH);
        }
        IommufdViommu viommu = ictx.objects.get(viommuId, ObjType.VIOMMU, IommufdViommu.class, "vIOMMU");
        IommufdVeventq existing = viommu.findVeventq(type);
        if (existing != null) {
            throw fail(EEXIST, "vIOMMU %d already has vEVENTQ %d of type 0x%x", viommuId, existing.id(), type);
        }
        IommufdVeventq q = new IommufdVeventq(viommu, type, (int) depth);
        ictx.objects.reserve(q);
        viommu.get();
        try {
            q.fd = ictx.allocFd();
        } catch (RuntimeException e) {
            ictx.abortAndDestroy(q);
            throw e;
        }
        viommu.veventqs.add(q);
        ictx.objects.finalize(q);
        ictx.openEventFd(q.fd, q);
        return new QueueOut(q.id(), q.fd);
    }
}
