package dev.iommufdsim.repl.host;

import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.uapi.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * What a script or a REPL session works on: one emulated machine with the plugins' drivers,
 * the iommufd contexts it opened (the current one receives the uAPI calls), and the loaded
 * plugins. Built-ins reach it as an engine service.
 */
public final class Session {
    private final Machine machine;
    private final PluginHost plugins;
    private final List<IommufdCtx> opened = new ArrayList<>();
    private IommufdCtx current;

    public Session(PluginHost plugins, KernelProfile profile) {
        this.plugins = plugins;
        this.machine = new Machine(profile);
        plugins.registerInto(machine);
    }

    public Machine machine() {
        return machine;
    }

    public PluginHost plugins() {
        return plugins;
    }

    /** The context uAPI calls go to; the first call opens /dev/iommu. */
    public IommufdCtx ctx() {
        if (current == null) {
            current = open();
        }
        return current;
    }

    /** Another open of /dev/iommu; it becomes the current context. Returns it. */
    public IommufdCtx open() {
        return open(machine.profile());
    }

    /** Another open of /dev/iommu on a kernel following another profile. */
    public IommufdCtx open(KernelProfile profile) {
        IommufdCtx c = machine.open(profile);
        opened.add(c);
        current = c;
        return c;
    }

    /** entry_num as the last IOMMU_HWPT_INVALIDATE wrote it back (also after a failure). */
    public long lastEntryNum;

    /** Makes context number n current. */
    public IommufdCtx use(int n) {
        IommufdCtx c = context(n);
        current = c;
        return c;
    }

    /** close() of context n (the current one if n is 0). */
    public void close(int n) {
        IommufdCtx c = n == 0 ? ctx() : context(n);
        c.close();
        if (c == current) {
            current = null;
        }
    }

    public IommufdCtx context(int n) {
        for (IommufdCtx c : opened) {
            if (c.number() == n && !c.isClosed()) {
                return c;
            }
        }
        throw fail(Errno.EBADF, "no open iommufd context %d", n);
    }

    public List<IommufdCtx> contexts() {
        return opened.stream().filter(c -> !c.isClosed()).toList();
    }

    /** The current context without opening one, or null. */
    public IommufdCtx currentOrNull() {
        return current;
    }
}
