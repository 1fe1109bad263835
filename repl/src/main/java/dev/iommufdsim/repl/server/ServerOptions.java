package dev.iommufdsim.repl.server;

import java.io.PrintStream;

/**
 * How a server answers.
 *
 * @param gaps              where not-emulated calls are counted (never null)
 * @param trace             where one line per ioctl is printed, or null
 * @param checkRefsUnpinned answer IOMMU_TEST_OP_MD_CHECK_REFS as a kernel in which no user
 *                          page is pinned (the emulator does not count pins: a kernel gap);
 *                          off by default, when MD_CHECK_REFS is EOPNOTSUPP like every
 *                          other test op without a kernel method
 */
public record ServerOptions(GapLog gaps, PrintStream trace, boolean checkRefsUnpinned) {
    public ServerOptions {
        gaps = gaps == null ? new GapLog() : gaps;
    }

    public static ServerOptions defaults() {
        return new ServerOptions(new GapLog(), null, false);
    }
}
