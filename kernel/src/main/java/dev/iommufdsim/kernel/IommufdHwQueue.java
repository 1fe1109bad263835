package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import dev.iommufdsim.kernel.spi.HwQueue;
import dev.iommufdsim.kernel.spi.HwQueueContext;

/**
 * struct iommufd_hw_queue (viommu.c): a vIOMMU's HW-accelerated queue in guest memory. Its
 * internal access pins the queue's IOVA range of the nesting parent's IOAS and locks those
 * areas (IOAS_UNMAP: EBUSY) until the queue is destroyed; it holds its vIOMMU.
 */
public final class IommufdHwQueue extends IommufdObject implements HwQueueContext {
    private final IommufdCtx ictx;
    /** hw_queue->viommu: set (and a user of it taken) once the pages are pinned. */
    IommufdViommu viommu;
    /** hw_queue->access: the internal access holding the pinned queue pages. */
    IommufdAccess access;
    int queueType;
    long length;
    long baseAddr;
    /** The driver's queue; its destroy is hw_queue->destroy (null until init_phys succeeded). */
    HwQueue ops;

    IommufdHwQueue(IommufdCtx ictx) {
        super(ObjType.HW_QUEUE);
        this.ictx = ictx;
    }

    public IommufdViommu viommu() {
        return viommu;
    }

    public IommufdAccess access() {
        return access;
    }

    @Override
    public int queueType() {
        return queueType;
    }

    @Override
    public long baseAddr() {
        return baseAddr;
    }

    @Override
    public long length() {
        return length;
    }

    /** iommu_iova_to_phys() on viommu->hwpt: the user address the parent IOAS maps there, 0 if none. */
    @Override
    public long iovaToPhys(long iova) {
        Area a = viommu.hwpt.ioas.iopt().areaAt(iova);
        return a == null ? 0 : a.userVa(iova);
    }

    private IommufdHwQueue coreOf(HwQueue q) {
        IommufdHwQueue other = q == null ? null : viommu.hwQueues.get(q);
        if (other == null) {
            throw new IllegalStateException("the driver named a HW queue the core does not know: " + q);
        }
        return other;
    }

    /** _iommufd_object_depend(): self dependency is EINVAL; same type always holds here. */
    @Override
    public void depend(HwQueue dependedOn) {
        IommufdHwQueue other = coreOf(dependedOn);
        if (other == this) {
            throw fail(EINVAL, "a HW queue cannot depend on itself");
        }
        other.get();
    }

    /** _iommufd_object_undepend(). */
    @Override
    public void undepend(HwQueue dependedOn) {
        IommufdHwQueue other = coreOf(dependedOn);
        if (other != this) {
            other.put();
        }
    }

    /** iommufd_hw_queue_destroy(): the driver's destroy, then the access, then the vIOMMU's user. */
    @Override
    void destroy() {
        if (ops != null) {
            HwQueue driver = ops;
            viommu.iommuDev.hwQueueDestroy(driver);
            viommu.hwQueues.remove(driver);
        }
        if (access != null) {
            destroyAccess(access, baseAddr, length);
        }
        if (viommu != null) {
            viommu.put();
        }
    }

    /** iommufd_hw_queue_destroy_access(): unpin the page-aligned range, detach, destroy. */
    static void destroyAccess(IommufdAccess access, long baseIova, long length) {
        long aligned = baseIova & ~(PAGE_SIZE - 1);
        long offset = baseIova - aligned;
        access.unpinPages(aligned, (length + offset + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
        access.detach();
        access.destroyUser();
    }
}
