package dev.iommufdsim.plugins.intelvtd;

import org.pf4j.Plugin;

/** The PF4J plugin of the Intel VT-d driver model. */
public class IntelVtdPlugin extends Plugin {
}
