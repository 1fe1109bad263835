package dev.iommufdsim.kernel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * struct iommu_group of the emulated machine: the devices that share DMA isolation. One
 * context at a time may own a group's DMA (iommu_device_claim_dma_owner); each bound
 * device holds one claim.
 */
public final class IommuGroup {
    private final int id;
    private final List<PhysDevice> devices = new ArrayList<>();
    IommufdCtx dmaOwner;
    int ownerCount;

    IommuGroup(int id) {
        this.id = id;
    }

    /** iommu_group_id(). */
    public int id() {
        return id;
    }

    public List<PhysDevice> devices() {
        return Collections.unmodifiableList(devices);
    }

    void add(PhysDevice dev) {
        devices.add(dev);
    }

    void remove(PhysDevice dev) {
        devices.remove(dev);
    }

    /** The context that owns the group's DMA now, or null. */
    public IommufdCtx dmaOwner() {
        return dmaOwner;
    }

    /** How many bound devices hold the DMA ownership claim (for the invariant checker). */
    public int ownerCount() {
        return ownerCount;
    }
}
