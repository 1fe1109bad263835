package dev.iommufdsim.repl.server;

import java.io.PrintStream;
import java.time.Duration;

/**
 * How a server answers.
 *
 * @param gaps          where not-emulated calls are counted (never null)
 * @param trace         where one line per ioctl is printed, or null
 * @param maxPluginTime how long one driver plugin call may run on a connection before the call
 *                      is abandoned, its ioctl answered EIO and its plugin disabled (zero: no bound)
 * @param err           where the server says so (never null; the server's stderr)
 */
public record ServerOptions(GapLog gaps, PrintStream trace, Duration maxPluginTime, PrintStream err) {
    /** The same default as the script hosts' --max-plugin-time. */
    public static final Duration DEFAULT_MAX_PLUGIN_TIME = Duration.ofSeconds(5);

    public ServerOptions {
        gaps = gaps == null ? new GapLog() : gaps;
        maxPluginTime = maxPluginTime == null ? DEFAULT_MAX_PLUGIN_TIME : maxPluginTime;
        err = err == null ? System.err : err;
    }

    public ServerOptions(GapLog gaps, PrintStream trace) {
        this(gaps, trace, null, null);
    }

    public static ServerOptions defaults() {
        return new ServerOptions(new GapLog(), null);
    }
}
