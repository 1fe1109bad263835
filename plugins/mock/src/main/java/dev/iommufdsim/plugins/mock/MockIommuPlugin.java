package dev.iommufdsim.plugins.mock;

import org.pf4j.Plugin;

/** The PF4J plugin of the kernel selftest's mock IOMMU driver. */
public class MockIommuPlugin extends Plugin {
}
