package dev.iommufdsim.kernel.spi;

import java.util.Map;

/**
 * What a driver sees of a device: its name, its PCI BDF if it has one, and the properties
 * the machine declaration gave it (RMRR/RMR regions, PASID width, device class, mock
 * flags...). Drivers read properties by name; unknown ones are theirs to reject.
 *
 * @param name       the device's name in the machine ("nic0", "mock3")
 * @param bdf        PCI segment:bus:device.function, or null for a non-PCI device
 * @param properties declared properties, values as the script gave them (Long, String, Boolean, List, Map)
 */
public record DeviceInfo(String name, String bdf, Map<String, Object> properties) {
    public DeviceInfo {
        properties = Map.copyOf(properties);
    }

    /** A numeric property, or the default. */
    public long longProperty(String key, long dflt) {
        Object v = properties.get(key);
        return v instanceof Number n ? n.longValue() : dflt;
    }

    /** A boolean property, or the default. */
    public boolean boolProperty(String key, boolean dflt) {
        Object v = properties.get(key);
        return v instanceof Boolean b ? b : dflt;
    }
}
