package dev.iommufdsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.spi.DeviceCaps;
import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.HwInfo;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.spi.PagingDomain;
import dev.iommufdsim.kernel.spi.ResvRegion;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Driver ops the kernel cannot fail (destroys, unmap_pages, a PASID rollback):
 * {@link IommuInstanceHandle#tryRun} drops whatever the plugin throws, an Error such as its
 * own assert included, so a broken plugin's destroy never ends a session with a Java stack
 * trace; and a disabled plugin is not called at all.
 */
class CannotFailOpsTest {
    private final PluginStatus plugin = new PluginStatus("p");
    private final IommuInstanceHandle handle = new IommuInstanceHandle("i0", plugin, "drv", new IommuInstance() {
        @Override
        public IommuDriver driver() {
            return null;
        }

        @Override
        public List<ResvRegion> getResvRegions(DeviceInfo dev) {
            return List.of();
        }

        @Override
        public DeviceCaps capabilities(DeviceInfo dev) {
            return new DeviceCaps(true, false, false, 0, true);
        }

        @Override
        public PagingDomain domainAllocPagingFlags(DeviceInfo dev, int flags, int dataType, byte[] data) {
            return null;
        }

        @Override
        public HwInfo hwInfo(DeviceInfo dev, int requestedType) {
            return null;
        }

        @Override
        public void unmapPages(PagingDomain domain, long iova, long size) {
            throw new AssertionError("a plugin's own assert in unmap_pages");
        }
    });

    @Test
    void everyThrowableIsDropped() {
        assertFalse(handle.tryRun("viommu destroy", () -> {
            throw new AssertionError("a plugin's own assert");
        }));
        assertFalse(handle.tryRun("hw_queue destroy", () -> {
            throw new IllegalStateException("a plugin bug");
        }));
        assertFalse(handle.tryRun("remove_dev_pasid", () -> {
            throw new NoClassDefFoundError("Missing");
        }));
        handle.unmapPages(null, 0, 4096); // returns: the AssertionError is dropped
        assertTrue(handle.tryRun("viommu destroy", () -> {
        }));
        assertEquals(null, plugin.disabledReason(), "a throwing destroy does not disable the plugin");
    }

    @Test
    void aDisabledPluginIsNotCalled() {
        plugin.disable("hw_info did not return within 5 s");
        AtomicInteger calls = new AtomicInteger();
        assertFalse(handle.tryRun("viommu destroy", calls::incrementAndGet));
        assertEquals(0, calls.get());
    }
}
