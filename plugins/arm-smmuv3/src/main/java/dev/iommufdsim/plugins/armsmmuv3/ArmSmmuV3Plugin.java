package dev.iommufdsim.plugins.armsmmuv3;

import org.pf4j.Plugin;

/** The PF4J plugin of the ARM SMMUv3 driver model. */
public class ArmSmmuV3Plugin extends Plugin {
}
