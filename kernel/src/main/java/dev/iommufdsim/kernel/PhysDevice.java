package dev.iommufdsim.kernel;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.IommuInstance;

/**
 * struct device of the emulated machine: a PCI or platform device behind one IOMMU
 * instance, in one iommu group. Exists independently of any iommufd context.
 */
public final class PhysDevice {
    private final DeviceInfo info;
    private final IommuInstanceHandle iommu;
    private final IommuGroup group;
    /** Set for the selftest's mock devices, which the kernel exempts from some checks. */
    private final boolean selftestMock;
    /** The iommufd device this device is bound to now, or null. */
    IommufdDevice bound;
    /** How many page requests the device's DMA raised (DeviceAccess.tag: drivers number PRGI, STAG from it). */
    int pageRequestTags;

    PhysDevice(DeviceInfo info, IommuInstanceHandle iommu, IommuGroup group, boolean selftestMock) {
        this.info = info;
        this.iommu = iommu;
        this.group = group;
        this.selftestMock = selftestMock;
    }

    public String name() {
        return info.name();
    }

    public DeviceInfo info() {
        return info;
    }

    public IommuInstanceHandle iommu() {
        return iommu;
    }

    public IommuGroup group() {
        return group;
    }

    /** iommufd_selftest_is_mock_dev(). */
    public boolean isSelftestMock() {
        return selftestMock;
    }

    /** The iommufd device (and so the context) this device is bound to, or null. */
    public IommufdDevice boundTo() {
        return bound;
    }

    @Override
    public String toString() {
        return info.bdf() != null ? name() + " (" + info.bdf() + ")" : name();
    }
}
