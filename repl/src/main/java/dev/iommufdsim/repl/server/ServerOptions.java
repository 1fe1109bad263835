package dev.iommufdsim.repl.server;

import java.io.PrintStream;

/**
 * How a server answers.
 *
 * @param gaps  where not-emulated calls are counted (never null)
 * @param trace where one line per ioctl is printed, or null
 */
public record ServerOptions(GapLog gaps, PrintStream trace) {
    public ServerOptions {
        gaps = gaps == null ? new GapLog() : gaps;
    }

    public static ServerOptions defaults() {
        return new ServerOptions(new GapLog(), null);
    }
}
