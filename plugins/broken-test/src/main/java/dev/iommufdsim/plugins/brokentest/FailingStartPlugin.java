package dev.iommufdsim.plugins.brokentest;

import org.pf4j.Plugin;

/**
 * A plugin class whose start() throws: the tests repackage this jar with this class as its
 * Plugin-Class to show a plugin that fails to start is reported by name.
 */
public class FailingStartPlugin extends Plugin {
    @Override
    public void start() {
        throw new IllegalStateException("deliberate failure in FailingStartPlugin.start()");
    }
}
