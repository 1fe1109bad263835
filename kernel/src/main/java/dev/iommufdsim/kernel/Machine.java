package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EEXIST;
import static dev.iommufdsim.kernel.uapi.Errno.ENODEV;
import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.spi.DeviceInfo;
import dev.iommufdsim.kernel.spi.IommuDriver;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The emulated host: the drivers the plugins provide, the IOMMU instances and devices a
 * script declares, their iommu groups, and the iommufd contexts opened on /dev/iommu. The
 * machine outlives contexts, as hardware outlives file descriptors.
 */
public final class Machine {
    /** The driver name the selftest's mock devices use (drivers/iommu/iommufd/selftest.c). */
    public static final String MOCK_DRIVER = "mock";

    private record DriverEntry(PluginStatus plugin, IommuDriver driver) {
    }

    private final Map<String, DriverEntry> drivers = new LinkedHashMap<>();
    private final Map<String, IommuInstanceHandle> instances = new LinkedHashMap<>();
    private final Map<String, PhysDevice> devices = new LinkedHashMap<>();
    private final Map<String, IommuGroup> namedGroups = new LinkedHashMap<>();
    private final List<IommufdCtx> contexts = new ArrayList<>();
    private int nextGroupId;
    private int nextMockDev;
    private int opened;
    private IommuInstanceHandle selftestIommu;
    private final KernelProfile profile;
    /** The FOLL_PIN counts of user pages: kernel-wide, as the page refcounts they model. */
    private final UserPagePins userPagePins = new UserPagePins();
    /** The process a script's contexts act for: all memory mapped, anonymous. */
    private final UserMemory scriptProcess = new AnonMemory();

    public Machine() {
        this(KernelProfile.MAINLINE);
    }

    public Machine(KernelProfile profile) {
        this.profile = profile;
    }

    public KernelProfile profile() {
        return profile;
    }

    /** The pins the kernel holds on user pages, over every context. */
    public UserPagePins userPagePins() {
        return userPagePins;
    }

    /** The memory of the process every context opened here acts for until told otherwise. */
    UserMemory scriptProcess() {
        return scriptProcess;
    }

    /** Makes a driver available under its name; the plugin id is for error messages. */
    public void registerDriver(String pluginId, IommuDriver driver) {
        registerDriver(new PluginStatus(pluginId), driver);
    }

    /** Makes a driver available under its name, from a plugin whose status the host shares between machines. */
    public void registerDriver(PluginStatus plugin, IommuDriver driver) {
        drivers.put(driver.name(), new DriverEntry(plugin, driver));
    }

    public List<String> driverNames() {
        return List.copyOf(drivers.keySet());
    }

    public IommuDriver driver(String name) {
        DriverEntry e = drivers.get(name);
        return e == null ? null : e.driver();
    }

    /**
     * Declares an IOMMU instance: the driver's probe with the declaration's properties.
     *
     * @throws IommufdException ENODEV for an unknown driver, EEXIST for a taken name, or
     *                          the driver's own refusal
     */
    public IommuInstanceHandle declareIommu(String name, String driverName, Map<String, Object> properties) {
        if (instances.containsKey(name)) {
            throw fail(EEXIST, "an IOMMU instance named '%s' already exists", name);
        }
        DriverEntry e = drivers.get(driverName);
        if (e == null) {
            throw fail(ENODEV, "no IOMMU driver '%s' (loaded: %s)", driverName, String.join(", ", drivers.keySet()));
        }
        Map<String, Object> props = properties == null ? Map.of() : Map.copyOf(properties);
        IommuInstance inst = IommuInstanceHandle.contain(e.plugin(), driverName, "probe", () -> e.driver().probe(name, props));
        if (inst == null) {
            throw fail(Errno.EIO, "driver plugin '%s' (%s) probe returned no instance", e.plugin().pluginId(), driverName);
        }
        IommuInstanceHandle h = new IommuInstanceHandle(name, e.plugin(), driverName, inst);
        instances.put(name, h);
        return h;
    }

    public IommuInstanceHandle iommu(String name) {
        IommuInstanceHandle h = instances.get(name);
        if (h == null) {
            throw fail(ENOENT, "no IOMMU instance named '%s'", name);
        }
        return h;
    }

    public List<IommuInstanceHandle> iommus() {
        return List.copyOf(instances.values());
    }

    /**
     * Declares a device behind an IOMMU instance.
     *
     * @param group a group name shared by devices that cannot be isolated from each other,
     *              or null for a group of its own (the usual case with ACS)
     */
    public PhysDevice declareDevice(String name, String iommuName, String bdf, String group, Map<String, Object> properties) {
        if (devices.containsKey(name)) {
            throw fail(EEXIST, "a device named '%s' already exists", name);
        }
        IommuInstanceHandle iommu = iommu(iommuName);
        IommuGroup g = group == null ? new IommuGroup(nextGroupId++) : namedGroups.computeIfAbsent(group, k -> new IommuGroup(nextGroupId++));
        PhysDevice dev = new PhysDevice(new DeviceInfo(name, bdf, properties == null ? Map.of() : properties), iommu, g, false);
        // Ask the driver once now, so a broken plugin is reported at declaration time.
        iommu.getResvRegions(dev.info());
        iommu.capabilities(dev.info());
        g.add(dev);
        devices.put(name, dev);
        return dev;
    }

    public PhysDevice device(String name) {
        PhysDevice d = devices.get(name);
        if (d == null) {
            throw fail(ENOENT, "no device named '%s'", name);
        }
        return d;
    }

    public List<PhysDevice> devices() {
        return List.copyOf(devices.values());
    }

    /** mock_dev_create(): a new selftest mock device in a group of its own. */
    PhysDevice createMockDevice(int devFlags) {
        IommuInstanceHandle iommu = selftestIommu();
        IommuGroup g = new IommuGroup(nextGroupId++);
        PhysDevice dev = new PhysDevice(new DeviceInfo("mock" + nextMockDev++, null, Map.of("dev_flags", (long) devFlags)), iommu, g, true);
        g.add(dev);
        return dev;
    }

    /** mock_dev_destroy(). */
    void destroyMockDevice(PhysDevice dev) {
        dev.group().remove(dev);
    }

    /** The selftest's mock IOMMU instance (mock_iommu_device), probed on first use. */
    IommuInstanceHandle selftestIommu() {
        if (selftestIommu == null) {
            DriverEntry e = drivers.get(MOCK_DRIVER);
            if (e == null) {
                throw fail(ENODEV, "the selftest needs the '%s' driver plugin, which is not loaded", MOCK_DRIVER);
            }
            selftestIommu = new IommuInstanceHandle("mock_iommu", e.plugin(), MOCK_DRIVER, e.driver().probe("mock_iommu", Map.of()));
        }
        return selftestIommu;
    }

    /** open("/dev/iommu"): a fresh iommufd context following the machine's profile. */
    public IommufdCtx open() {
        return open(profile);
    }

    /** open("/dev/iommu") on a kernel that follows another profile (to compare designs side by side). */
    public IommufdCtx open(KernelProfile ctxProfile) {
        IommufdCtx ctx = new IommufdCtx(this, ++opened, ctxProfile);
        contexts.add(ctx);
        return ctx;
    }

    void closed(IommufdCtx ctx) {
        contexts.remove(ctx);
    }

    public List<IommufdCtx> contexts() {
        return Collections.unmodifiableList(contexts);
    }
}
