package dev.iommufdsim.repl.server;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.server.FakeProcess.Struct;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * What the dispatcher tests share: the real plugin jars, a fresh mainline machine and context
 * per test, and a program (a {@link FakeProcess}) whose struct page is at {@link #S}. A test
 * class maps its other pages, then calls {@link #open(FakeProcess)} in its {@code @BeforeEach}.
 */
abstract class DispatcherFixture {
    /** Where the structs go. */
    static final long S = 0x7000_0000_0000L;

    static PluginHost plugins;
    FakeProcess p;
    GapLog gaps;
    IoctlDispatcher d;

    @BeforeAll
    static void loadPlugins() {
        plugins = PluginHost.load(List.of(TestPaths.pluginsDir()));
    }

    /** A new machine with the plugins' drivers, one context on it, and its dispatcher for process (S mapped here). */
    void open(FakeProcess process) {
        p = process.map(S, 0x2000, true);
        gaps = new GapLog();
        d = new IoctlDispatcher(ExecCommand.machine(plugins, KernelProfile.MAINLINE).open(), new ServerOptions(gaps, null));
    }

    /** ioctl(fd, cmd, S) with the struct s at S. */
    long ioctl(int cmd, Struct s) {
        p.put(S, s.bytes());
        return d.ioctl(cmd, S, p);
    }

    /** An iommufd ioctl: _IO(';', nr) with the struct s at S. */
    long iommufd(int nr, Struct s) {
        return ioctl(0x3b00 | nr, s);
    }
}
