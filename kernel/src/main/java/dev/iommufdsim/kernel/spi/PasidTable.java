package dev.iommufdsim.kernel.spi;

import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The PASIDs a driver has set up per device, and what each translates through: the state a
 * driver's {@link IommuInstance#setDevPasid} writes and {@link IommuInstance#removeDevPasid}
 * clears (SMMUv3's CD table beyond SSID 0, VT-d's PASID table beyond RID_PASID). Keyed by
 * device name, since a driver sees a device only as a {@link DeviceInfo}. Not thread-safe:
 * the core calls a driver under its lock.
 *
 * @param <T> what a PASID entry points at (the driver's domain state)
 */
public final class PasidTable<T> {
    private final Map<String, SortedMap<Integer, T>> byDevice = new HashMap<>();

    /** Sets up (or rewrites) the entry of dev's pasid. */
    public void put(DeviceInfo dev, int pasid, T entry) {
        byDevice.computeIfAbsent(dev.name(), k -> new TreeMap<>()).put(pasid, entry);
    }

    /** Tears down the entry of dev's pasid, if any. */
    public void remove(DeviceInfo dev, int pasid) {
        SortedMap<Integer, T> entries = byDevice.get(dev.name());
        if (entries != null) {
            entries.remove(pasid);
            if (entries.isEmpty()) {
                byDevice.remove(dev.name());
            }
        }
    }

    /** The entry of dev's pasid, or null. */
    public T get(DeviceInfo dev, int pasid) {
        SortedMap<Integer, T> entries = byDevice.get(dev.name());
        return entries == null ? null : entries.get(pasid);
    }

    /** dev's entries by PASID, ascending (a copy). */
    public SortedMap<Integer, T> entries(DeviceInfo dev) {
        return new TreeMap<>(byDevice.getOrDefault(dev.name(), new TreeMap<>()));
    }
}
