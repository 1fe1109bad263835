package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.PhysDevice;
import java.util.ArrayList;
import java.util.List;

/**
 * The VFIO device cdevs exec and serve offer a program: {@code /dev/vfio/devices/vfioN} is the
 * Nth device the machine declares (declaration order, from 0; selftest mock devices are not
 * VFIO devices). The kernel numbers its cdevs in the order vfio-pci binds the devices
 * (vfio_device_set_name's ida); the declaration order stands for that.
 */
public final class VfioCdevs {
    /** The directory of the cdevs (drivers/vfio/device_cdev.c: the "vfio-dev" class, devnode "vfio/devices/vfioN"). */
    public static final String PREFIX = "/dev/vfio/devices/vfio";

    private VfioCdevs() {
    }

    /** The devices in cdev order: index N is vfioN. */
    public static List<PhysDevice> of(Machine machine) {
        return machine.devices().stream().filter(d -> !d.isSelftestMock()).toList();
    }

    /** One line per cdev, "/dev/vfio/devices/vfio0: nic0 (0000:01:00.0) behind smmu0", for --list-devices and --trace. */
    public static List<String> describe(Machine machine) {
        List<PhysDevice> devs = of(machine);
        List<String> lines = new ArrayList<>(devs.size());
        for (int i = 0; i < devs.size(); i++) {
            PhysDevice d = devs.get(i);
            lines.add(PREFIX + i + ": " + d + " behind " + d.iommu().name());
        }
        return lines;
    }
}
