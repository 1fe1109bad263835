package dev.iommufdsim.kernel;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;

/**
 * Whether a driver plugin may still be called. A host shares one per loaded plugin between
 * its machines; it disables a plugin whose driver call it gave up on ({@link DriverCallWatch}),
 * since that plugin's code is still running somewhere, in a state nobody knows. From then on
 * every call into the plugin's drivers fails at once with EIO, saying why.
 */
public final class PluginStatus {
    private final String pluginId;
    private volatile String disabled;

    public PluginStatus(String pluginId) {
        this.pluginId = pluginId;
    }

    /** The PF4J plugin id ("arm-smmuv3"), or "builtin". */
    public String pluginId() {
        return pluginId;
    }

    /** Disables the plugin for good; {@code why} completes "driver plugin 'x' is disabled: ". */
    public void disable(String why) {
        disabled = why;
    }

    /** Why the plugin was disabled, or null while it is enabled. */
    public String disabledReason() {
        return disabled;
    }

    /** Fails with EIO when the plugin is disabled (one volatile read otherwise). */
    void checkEnabled(String driverName, String hook) {
        String why = disabled;
        if (why != null) {
            throw new IommufdException(Errno.EIO, String.format("driver plugin '%s' (%s) is disabled, %s not called: %s",
                    pluginId, driverName, hook, why));
        }
    }

    @Override
    public String toString() {
        return pluginId + (disabled == null ? "" : " (disabled: " + disabled + ")");
    }
}
