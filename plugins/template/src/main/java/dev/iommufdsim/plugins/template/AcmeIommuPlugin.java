package dev.iommufdsim.plugins.template;

import org.pf4j.Plugin;

/**
 * The PF4J plugin class named by Plugin-Class in the jar's manifest. A driver plugin needs no
 * code here: PF4J finds the {@code @Extension} classes itself.
 */
public class AcmeIommuPlugin extends Plugin {
}
