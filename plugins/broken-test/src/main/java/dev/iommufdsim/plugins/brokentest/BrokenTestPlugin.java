package dev.iommufdsim.plugins.brokentest;

import org.pf4j.Plugin;

/** The PF4J plugin of the deliberately broken drivers. */
public class BrokenTestPlugin extends Plugin {
}
