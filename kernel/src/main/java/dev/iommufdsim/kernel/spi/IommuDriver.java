package dev.iommufdsim.kernel.spi;

import java.util.Map;
import org.pf4j.ExtensionPoint;

/**
 * An IOMMU driver, the extension point every driver plugin implements. It models the
 * driver's registration: the name users declare instances by, and probe, which creates one
 * hardware instance (iommu_device_register) from the properties of a machine declaration.
 */
public interface IommuDriver extends ExtensionPoint {
    /** The name scripts use to declare an instance ("mock", "arm_smmuv3", "intel_vtd"). */
    String name();

    /** One line for people: what hardware this models. */
    String description();

    /**
     * Creates one IOMMU instance (models the driver's probe and iommu_device_register).
     *
     * @param instanceName the name the machine gave the instance
     * @param properties   instance options from the declaration (e.g. the MSI window base)
     * @throws dev.iommufdsim.kernel.uapi.IommufdException EINVAL for a property it rejects
     */
    IommuInstance probe(String instanceName, Map<String, Object> properties);

    /**
     * The instance options {@link #probe} accepts, each with one line for people, in the
     * order to show them: what {@code help DRIVER} lists. Keep it the set probe checks against.
     */
    default Map<String, String> options() {
        return Map.of();
    }

    /** The device properties this driver reads from a device declaration, described as {@link #options}. */
    default Map<String, String> deviceProperties() {
        return Map.of();
    }
}
