package dev.iommufdsim.repl.host;

import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.PluginStatus;
import dev.iommufdsim.kernel.spi.IommuDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pf4j.DefaultPluginManager;
import org.pf4j.PluginManager;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;

/**
 * Finds the driver plugins (PF4J plugin jars) in the plugins directories, starts them and
 * registers their {@link IommuDriver} extensions with a machine. A plugin that fails to load
 * or start is reported by name with its cause, and the others still load. When two
 * directories hold a plugin with the same id, the one in the earlier directory wins (so
 * {@code --plugins DIR} overrides the default directory) and the other is reported as a
 * duplicate. The same rule holds for driver names: when two plugins (with different ids)
 * provide a driver of the same name, the one from the earlier directory (then the earlier
 * jar name) is registered and the other plugin's driver is reported, so which driver a
 * script declares never depends on the order PF4J happens to start plugins in.
 */
public final class PluginHost {
    /** Environment variable with extra plugin directories, separated by the path separator. */
    public static final String ENV_PLUGINS = "IOMMUFD_SIM_PLUGINS";
    /** System property the launcher sets to the project's plugins directory. */
    public static final String PROP_PLUGINS_DIR = "iommufdsim.pluginsDir";

    /** One plugin as `plugins` lists it. */
    public record LoadedPlugin(String id, String version, String state, List<String> drivers, String error, Path path) {
    }

    private record DriverEntry(PluginStatus plugin, IommuDriver driver) {
    }

    private final List<LoadedPlugin> plugins = new ArrayList<>();
    /** One status per started plugin, shared by every machine: a plugin disabled in one is disabled in all. */
    private final Map<String, PluginStatus> statuses = new LinkedHashMap<>();
    private final List<DriverEntry> drivers = new ArrayList<>();
    private final List<Path> dirs;

    private PluginHost(List<Path> dirs) {
        this.dirs = List.copyOf(dirs);
    }

    /** The plugin directories for this run: the given ones, $IOMMUFD_SIM_PLUGINS, the default. */
    public static List<Path> defaultDirs(List<Path> extra) {
        List<Path> out = new ArrayList<>(extra);
        String env = System.getenv(ENV_PLUGINS);
        if (env != null && !env.isBlank()) {
            for (String p : env.split(java.io.File.pathSeparator)) {
                if (!p.isBlank()) {
                    out.add(Path.of(p));
                }
            }
        }
        String prop = System.getProperty(PROP_PLUGINS_DIR);
        if (prop != null && !prop.isBlank()) {
            out.add(Path.of(prop));
        }
        return out;
    }

    /** Loads and starts every plugin found in dirs (directories that do not exist are skipped). */
    public static PluginHost load(List<Path> dirs) {
        PluginHost host = new PluginHost(dirs);
        List<Path> existing = dirs.stream().filter(Files::isDirectory).map(Path::toAbsolutePath).distinct().toList();
        if (existing.isEmpty()) {
            return host;
        }
        PluginManager pm = new DirectoryOrderPluginManager(existing);
        try {
            pm.loadPlugins();
            pm.startPlugins();
        } catch (RuntimeException | LinkageError e) {
            host.plugins.add(new LoadedPlugin("?", "?", "FAILED", List.of(), "plugin loading failed: " + e, null));
        }
        host.reportUnloadable(existing, pm);
        List<PluginWrapper> inOrder = new ArrayList<>(pm.getPlugins());
        inOrder.sort(java.util.Comparator.<PluginWrapper>comparingInt(w -> DirectoryOrderPluginManager.rootIndex(existing, w.getPluginPath()))
                .thenComparing(w -> w.getPluginPath().getFileName().toString()));
        for (PluginWrapper w : inOrder) {
            host.collect(pm, w);
        }
        return host;
    }

    /**
     * PF4J's plugin repository lists the plugin paths of all roots in one order (by file age),
     * and of two plugins with the same id the first listed is loaded: order them by directory,
     * then by name, so the earlier directory wins whatever the files' ages.
     */
    private static final class DirectoryOrderPluginManager extends DefaultPluginManager {
        DirectoryOrderPluginManager(List<Path> roots) {
            super(roots);
        }

        @Override
        protected org.pf4j.PluginRepository createPluginRepository() {
            org.pf4j.PluginRepository all = super.createPluginRepository();
            List<Path> roots = getPluginsRoots();
            return new org.pf4j.PluginRepository() {
                @Override
                public List<Path> getPluginPaths() {
                    List<Path> paths = new ArrayList<>(all.getPluginPaths());
                    paths.sort(java.util.Comparator.<Path>comparingInt(p -> rootIndex(roots, p)).thenComparing(p -> p.getFileName().toString()));
                    return paths;
                }

                @Override
                public boolean deletePluginPath(Path pluginPath) {
                    return all.deletePluginPath(pluginPath);
                }
            };
        }

        private static int rootIndex(List<Path> roots, Path p) {
            Path abs = p.toAbsolutePath().normalize();
            for (int i = 0; i < roots.size(); i++) {
                if (abs.startsWith(roots.get(i).toAbsolutePath().normalize())) {
                    return i;
                }
            }
            return roots.size();
        }
    }

    /** The Plugin-Id in a jar's manifest, or null when it has none or is no readable jar. */
    private static String manifestPluginId(Path jar) {
        try (java.util.jar.JarFile f = new java.util.jar.JarFile(jar.toFile())) {
            java.util.jar.Manifest mf = f.getManifest();
            return mf == null ? null : mf.getMainAttributes().getValue("Plugin-Id");
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Jars in the directories that PF4J did not turn into a plugin: a second copy of a loaded
     * plugin id (DUPLICATE), or no plugin at all (INVALID: no descriptor, bad jar).
     */
    private void reportUnloadable(List<Path> existing, PluginManager pm) {
        List<Path> known = pm.getPlugins().stream().map(w -> w.getPluginPath().toAbsolutePath().normalize()).toList();
        for (Path dir : existing) {
            try (var s = Files.list(dir)) {
                for (Path p : s.sorted().toList()) {
                    String n = p.getFileName().toString();
                    if ((n.endsWith(".jar") || n.endsWith(".zip")) && !known.contains(p.toAbsolutePath().normalize())) {
                        String id = n.endsWith(".jar") ? manifestPluginId(p) : null;
                        PluginWrapper loaded = id == null ? null : pm.getPlugin(id);
                        if (loaded != null) {
                            plugins.add(new LoadedPlugin(n, "?", "DUPLICATE", List.of(), String.format(
                                    "plugin '%s' is already loaded from %s (an earlier directory wins)", id, loaded.getPluginPath()), p));
                            continue;
                        }
                        plugins.add(new LoadedPlugin(n, "?", "INVALID", List.of(),
                                "not a valid PF4J plugin (no Plugin-Id in its manifest, or not a readable jar)", p));
                    }
                }
            } catch (java.io.IOException e) {
                plugins.add(new LoadedPlugin(dir.toString(), "?", "FAILED", List.of(), "cannot list plugin directory: " + e.getMessage(), dir));
            }
        }
    }

    private void collect(PluginManager pm, PluginWrapper w) {
        String id = w.getPluginId();
        String version = w.getDescriptor().getVersion();
        if (w.getPluginState() != PluginState.STARTED) {
            Throwable cause = w.getFailedException();
            plugins.add(new LoadedPlugin(id, version, w.getPluginState().toString(), List.of(),
                    cause == null ? "not started" : cause.toString(), w.getPluginPath()));
            return;
        }
        List<String> names = new ArrayList<>();
        List<String> taken = new ArrayList<>();
        String error = null;
        try {
            PluginStatus status = statuses.computeIfAbsent(id, PluginStatus::new);
            for (IommuDriver d : pm.getExtensions(IommuDriver.class, id)) {
                String name = d.name();
                LoadedPlugin owner = providerOf(name);
                if (owner != null) {
                    taken.add(String.format("driver '%s' is already provided by plugin '%s' from %s (an earlier directory wins)",
                            name, owner.id(), owner.path()));
                    continue;
                }
                names.add(name);
                drivers.add(new DriverEntry(status, d));
            }
        } catch (RuntimeException | LinkageError e) {
            error = "its drivers could not be created: " + e;
        }
        String state = error == null ? "STARTED" : "FAILED";
        if (error == null && !taken.isEmpty()) {
            error = String.join("; ", taken);
            state = names.isEmpty() ? "DUPLICATE" : "STARTED";
        }
        if (names.isEmpty() && error == null) {
            error = "provides no IommuDriver extension";
            state = "FAILED";
        }
        plugins.add(new LoadedPlugin(id, version, state, List.copyOf(names), error, w.getPluginPath()));
    }

    /** The plugin already registering a driver of this name, or null. */
    private LoadedPlugin providerOf(String driverName) {
        for (LoadedPlugin p : plugins) {
            if (p.drivers().contains(driverName)) {
                return p;
            }
        }
        return null;
    }

    /** Makes every loaded driver available to the machine. */
    public void registerInto(Machine machine) {
        for (DriverEntry e : drivers) {
            machine.registerDriver(e.plugin(), e.driver());
        }
    }

    /** The plugins found, as loaded; a plugin disabled since then has the state DISABLED and the reason as its error. */
    public List<LoadedPlugin> plugins() {
        List<LoadedPlugin> out = new ArrayList<>(plugins.size());
        for (LoadedPlugin p : plugins) {
            PluginStatus status = statuses.get(p.id());
            String why = status == null ? null : status.disabledReason();
            out.add(why == null ? p : new LoadedPlugin(p.id(), p.version(), "DISABLED", p.drivers(), why, p.path()));
        }
        return List.copyOf(out);
    }

    public List<Path> dirs() {
        return dirs;
    }
}
