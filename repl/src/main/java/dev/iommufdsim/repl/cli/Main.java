package dev.iommufdsim.repl.cli;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.builtins.MachineBuiltins;
import dev.iommufdsim.repl.host.Limits;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.render.JsonRenderer;
import dev.iommufdsim.repl.render.TextRenderer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The command line: no subcommand starts the REPL; `run FILE...` is batch mode; `plugins`
 * lists the driver plugins. Exit codes: 0 ok, 1 a failed expectation, 2 usage, syntax or
 * load error.
 */
@Command(name = "iommufd-sim", mixinStandardHelpOptions = true, version = "iommufd-sim 0.1.0",
        description = "An emulated Linux iommufd driven by a small scripting language.",
        subcommands = {Main.Run.class, Main.Plugins.class, Main.Diff.class, Main.Replay.class, Main.ConformanceCmd.class,
                Main.Serve.class, Main.Exec.class, Main.Train.class})
public final class Main implements Callable<Integer> {
    @Option(names = "--plugins", paramLabel = "DIR", description = "another directory of driver plugin jars (repeatable);"
            + " also $" + PluginHost.ENV_PLUGINS)
    List<Path> pluginDirs = new ArrayList<>();

    /** The --profile default (QuickRun uses it too). */
    static final String DEFAULT_PROFILE = "mainline";

    @Option(names = "--profile", paramLabel = "NAME", defaultValue = DEFAULT_PROFILE,
            description = "kernel behaviour to follow: mainline, v6.7 or seed (default: ${DEFAULT-VALUE})")
    String profile;

    @Option(names = "--json", description = "machine-readable output: one JSON object per line")
    boolean json;

    @CommandLine.Mixin
    LimitOptions limitOptions = new LimitOptions();

    private PrintStream out = System.out;
    private PrintStream err = System.err;

    PluginHost loadPlugins() {
        return PluginHost.load(PluginHost.defaultDirs(pluginDirs));
    }

    KernelProfile kernelProfile() {
        KernelProfile p = KernelProfile.byName(profile);
        if (p == null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "unknown profile '" + profile + "' (known: mainline, v6.7, seed)");
        }
        return p;
    }

    /** The limits the options before the subcommand set, then the subcommand's own. */
    Limits limits(LimitOptions sub) {
        return sub.over(limitOptions.over(Limits.DEFAULT));
    }

    @Override
    public Integer call() {
        KernelProfile kp = kernelProfile();
        Limits limits = limits(new LimitOptions());
        PluginHost plugins = loadPlugins();
        return new Console(() -> Sim.create(plugins, kp, limits), json).run();
    }

    /** `run FILE...`. */
    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run scripts in batch mode (no terminal needed).")
    static final class Run implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main main;

        @Parameters(arity = "1..*", paramLabel = "FILE", description = "scripts to run, each in a fresh simulator")
        List<Path> files;

        @Option(names = "--junit", paramLabel = "FILE", description = "also write a JUnit XML report of the expectations")
        Path junit;

        @CommandLine.Mixin
        LimitOptions limitOptions;

        @Override
        public Integer call() throws Exception {
            KernelProfile kp = main.kernelProfile();
            Limits limits = main.limits(limitOptions);
            return runFiles(main.out, main.json, kp, limits, main.loadPlugins(), files, junit);
        }

        /** What `run` does once its command line is parsed (by picocli, or by {@link QuickRun}). */
        static int runFiles(PrintStream out, boolean json, KernelProfile kp, Limits limits, PluginHost plugins, List<Path> files,
                            Path junit) throws java.io.IOException {
            BatchRunner runner = new BatchRunner(out, json, () -> Sim.create(plugins, kp, limits));
            List<BatchRunner.FileReport> reports = runner.runAll(files);
            int rc = runner.summarize(reports);
            if (junit != null) {
                BatchRunner.writeJunit(junit, reports);
            }
            return rc;
        }
    }

    /**
     * `train FILE` (hidden): the launcher's start-up cache training run. The JVM records the
     * classes a run loads, and one run must stand for both ways users start: FILE runs as `run`
     * runs it, then the REPL reads standard input (the launcher feeds it FILE) on the terminal it
     * would open, with a throw-away history file.
     */
    @Command(name = "train", hidden = true)
    static final class Train implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main main;

        @Parameters(arity = "1", paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() throws Exception {
            KernelProfile kp = main.kernelProfile();
            Limits limits = main.limits(new LimitOptions());
            PluginHost plugins = main.loadPlugins();
            Run.runFiles(main.out, false, kp, limits, plugins, List.of(file), null);
            Path history = java.nio.file.Files.createTempFile("iommufd-sim-train", ".history");
            try (org.jline.terminal.Terminal t = org.jline.terminal.TerminalBuilder.builder().system(true).dumb(true).build()) {
                return new Console(() -> Sim.create(plugins, kp, limits), false).run(t, history);
            } finally {
                java.nio.file.Files.deleteIfExists(history);
            }
        }
    }

    /** `diff FILE`: one script under several profiles, the statements whose outcome differs. */
    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = "Run a script under several kernel-behaviour profiles; print every statement whose outcome differs.")
    static final class Diff implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main main;

        @Parameters(arity = "1", paramLabel = "FILE", description = "the script")
        Path file;

        @Option(names = "--profiles", paramLabel = "LIST", defaultValue = "mainline,v6.7,seed", split = ",",
                description = "profiles to compare (default: ${DEFAULT-VALUE})")
        List<String> profiles;

        @CommandLine.Mixin
        LimitOptions limitOptions;

        @Override
        public Integer call() throws Exception {
            List<KernelProfile> list = new ArrayList<>();
            for (String p : profiles) {
                KernelProfile kp = KernelProfile.byName(p);
                if (kp == null) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "unknown profile '" + p + "' (known: mainline, v6.7, seed)");
                }
                list.add(kp);
            }
            Limits limits = main.limits(limitOptions);
            return ProfileDiff.run(main.out, main.loadPlugins(), file, list, limits);
        }
    }

    /** `plugins`. */
    @Command(name = "plugins", mixinStandardHelpOptions = true, description = "List the driver plugins: id, version, drivers, errors.")
    static final class Plugins implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main main;

        @Override
        public Integer call() {
            Object list = MachineBuiltins.plugins(main.loadPlugins());
            main.out.println(main.json ? JsonRenderer.render(list) : TextRenderer.render(list));
            return 0;
        }
    }

    /** `replay FILE.ops...`: kernel-oracle operation lists through the emulator (tools/kernel-oracle). */
    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Run kernel-oracle operation lists (.ops) through the emulator and print exactly what the oracle"
                    + " runner prints on the real kernel, so diff against FILE.ops.out compares.")
    static final class Replay implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main main;

        @Parameters(arity = "1..*", paramLabel = "FILE.ops", description = "operation lists, each in a fresh machine")
        List<Path> files;

        @Option(names = "--check", description = "compare each file with the kernel's FILE.ops.out beside it; exit 1 on a difference")
        boolean check;

        @Override
        public Integer call() {
            return dev.iommufdsim.repl.replay.ReplayCommand.run(
                    dev.iommufdsim.repl.replay.OpsReplay.withPlugins(main.loadPlugins(), main.kernelProfile()), files, check, main.out);
        }
    }

    /**
     * `conformance [--plugin NAME] [FILE|DIR|CASE...]`: the kernel selftest cases ported to scripts
     * and the vendor-neutral driver rules (scripts/conformance, see {@link Conformance}).
     */
    @Command(name = "conformance", mixinStandardHelpOptions = true,
            description = {"Run the conformance suite (scripts/conformance): the Linux 7.2 iommufd selftest cases ported to"
                    + " scripts on the mock driver, and the vendor-neutral rules (neutral/) against the driver --plugin names.",
                    "Prints one line per case (fixture.variant.test): PASS, FAIL with the first differing value, SKIP, XFAIL"
                    + " (a known emulator bug, never counted as passing) or XPASS (a known failure that passes).",
                    "Exit 0 when nothing failed, 1 on FAIL or XPASS, 2 when a script does not load or nothing matches."})
    static final class ConformanceCmd implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main main;

        @Option(names = "--plugin", paramLabel = "NAME", defaultValue = Conformance.DEFAULT_DRIVER,
                description = "the driver the vendor-neutral scripts run against: a driver name (arm_smmuv3), a plugin id"
                        + " (arm-smmuv3) or a unique prefix (acme) (default: ${DEFAULT-VALUE})")
        String plugin;

        @Option(names = "--junit", paramLabel = "FILE", description = "also write a JUnit XML report, one testcase per case")
        Path junit;

        @Option(names = "--suite", paramLabel = "DIR", description = "the suite directory (default: scripts/conformance of the project)")
        Path suite;

        @Option(names = "--list", description = "list the selected cases without running them")
        boolean list;

        @CommandLine.Mixin
        LimitOptions limitOptions;

        @Parameters(arity = "0..*", paramLabel = "FILE|CASE",
                description = "scripts or directories (relative to the suite, .sim optional: iommufd_ioas, neutral), or case names"
                        + " (fixture.variant.test, fixture.test or test; * matches anything); default: the whole suite")
        List<String> selection = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            KernelProfile kp = main.kernelProfile();
            Limits limits = main.limits(limitOptions);
            PluginHost plugins = main.loadPlugins();
            String driver = resolveDriver(plugins, kp, plugin);
            if (driver == null) {
                throw new CommandLine.ParameterException(new CommandLine(this), "no driver '" + plugin + "' among the loaded plugins ("
                        + String.join(", ", Sim.create(plugins, kp).session().machine().driverNames())
                        + "); add a plugins directory with --plugins DIR");
            }
            Path dir = suite != null ? suite : Conformance.defaultSuiteDir();
            return Conformance.withPlugins(plugins, kp, limits, driver).command(main.out, main.json, dir, selection, junit, list);
        }

        /** A driver name, the only driver of a plugin with that id, or the one driver whose name starts with it. */
        static String resolveDriver(PluginHost plugins, KernelProfile kp, String name) {
            List<String> drivers = Sim.create(plugins, kp).session().machine().driverNames();
            if (drivers.contains(name)) {
                return name;
            }
            for (PluginHost.LoadedPlugin p : plugins.plugins()) {
                if (p.id().equals(name) && p.drivers().size() == 1) {
                    return p.drivers().get(0);
                }
            }
            List<String> prefixed = drivers.stream().filter(d -> d.startsWith(name)).toList();
            return prefixed.size() == 1 ? prefixed.get(0) : null;
        }
    }

    /** `serve`: the emulated /dev/iommu on a UNIX socket, for programs run with the shim (docs/exec.md). */
    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Serve an emulated /dev/iommu on a UNIX socket: programs run with LD_PRELOAD=the shim and"
                    + " IOMMUFD_SIM_SOCKET=the socket get a fresh iommufd context per open, on one shared machine.")
    static final class Serve implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main main;

        @Option(names = "--socket", paramLabel = "PATH", description = "where to listen (default: $XDG_RUNTIME_DIR/iommufd-sim.sock)")
        Path socket;

        @CommandLine.Mixin
        ServerFlags flags;

        @Override
        public Integer call() throws Exception {
            Path s = socket != null ? socket : dev.iommufdsim.repl.server.ExecCommand.defaultSocket();
            dev.iommufdsim.kernel.Machine m = flags.machine(main);
            if (m == null) {
                return BatchRunner.EXIT_LOAD;
            }
            return dev.iommufdsim.repl.server.ExecCommand.serve(m, s, flags.trace, flags.maxPluginTime(main), main.out, main.err);
        }
    }

    /** The server options `serve` and `exec` share. */
    static final class ServerFlags {
        @Option(names = "--trace", description = "print every ioctl and its result on stderr")
        boolean trace;

        @Option(names = "--max-plugin-time", paramLabel = "SECONDS", converter = LimitOptions.Seconds.class, description = "a driver plugin"
                + " call still running after this long is abandoned, its ioctl answered EIO and its plugin disabled (default: 5;"
                + " 0: no limit)")
        java.time.Duration maxPluginTime;

        @Option(names = "--machine", paramLabel = "FILE", description = "a script run on the server's machine before anything"
                + " else: its iommu and device declarations (each device is /dev/vfio/devices/vfioN, in declaration order)")
        Path machineFile;

        java.time.Duration maxPluginTime(Main main) {
            return maxPluginTime != null ? maxPluginTime : main.limits(new LimitOptions()).maxPluginTime();
        }

        /**
         * The server's machine: the plugins' drivers, then what --machine FILE declares. The file
         * runs as `run` runs a script, its output and errors on stderr (the program's stdout stays
         * its own); null when it did not load, failed a call or an expectation (said on stderr).
         */
        dev.iommufdsim.kernel.Machine machine(Main main) {
            PluginHost plugins = main.loadPlugins();
            KernelProfile kp = main.kernelProfile();
            if (machineFile == null) {
                return dev.iommufdsim.repl.server.ExecCommand.machine(plugins, kp);
            }
            Sim sim = Sim.create(plugins, kp, main.limits(new LimitOptions()));
            BatchRunner runner = new BatchRunner(main.err, false, () -> sim);
            BatchRunner.FileReport r = runner.runAll(List.of(machineFile)).get(0);
            boolean failed = !r.diagnostics().isEmpty() || r.error() != null || r.expectations().stream().anyMatch(e -> !e.passed());
            return failed ? null : sim.session().machine();
        }
    }

    /** `exec -- PROGRAM ARGS...`: a real program against the emulator (docs/exec.md). */
    @Command(name = "exec", mixinStandardHelpOptions = true,
            description = "Run a program with its /dev/iommu served by the emulator (a private server, the shim preloaded);"
                    + " its output is relayed and its exit status returned.")
    static final class Exec implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main main;

        @Parameters(arity = "0..*", paramLabel = "PROGRAM", description = "the program and its arguments (after --)")
        List<String> command = new ArrayList<>();

        @Option(names = "--list-devices", description = "print which declared device each /dev/vfio/devices/vfioN is (see --machine);"
                + " without a PROGRAM, only that")
        boolean listDevices;

        @Option(names = "--shim", paramLabel = "FILE", description = "a prebuilt libiommufd-sim-shim.so (default: native/build, built on first use)")
        Path shim;

        @Option(names = "--junit", paramLabel = "FILE",
                description = "read the program's output as TAP (e.g. a kernel selftest) and write its results to FILE as a JUnit report")
        Path junit;

        @CommandLine.Mixin
        ServerFlags flags;

        @Override
        public Integer call() throws Exception {
            if (command.isEmpty() && !listDevices) {
                throw new CommandLine.ParameterException(new CommandLine(this), "Missing required parameter: 'PROGRAM'");
            }
            dev.iommufdsim.kernel.Machine m = flags.machine(main);
            if (m == null) {
                return BatchRunner.EXIT_LOAD;
            }
            if (listDevices) {
                dev.iommufdsim.repl.server.VfioCdevs.describe(m).forEach(main.out::println);
                main.out.flush();
                if (command.isEmpty()) {
                    return 0;
                }
            }
            return dev.iommufdsim.repl.server.ExecCommand.run(m, command,
                    new dev.iommufdsim.repl.server.ExecCommand.Options(shim, flags.trace, true, junit), flags.maxPluginTime(main),
                    main.out, main.err);
        }
    }

    /** Runs the command line and returns the exit code (tests call this; main exits with it). */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        Integer quick = QuickRun.tryRun(out, err, args); // plain `run FILE...` and the bare REPL skip picocli's start-up cost
        if (quick != null) {
            return quick;
        }
        Main m = new Main();
        m.out = out;
        m.err = err;
        CommandLine cl = new CommandLine(m);
        if (cl.getSubcommands().containsKey("exec")) {
            cl.getSubcommands().get("exec").setStopAtPositional(true); // exec PROGRAM -x: -x is the program's
        }
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> executionError(err, ex));
        cl.setParameterExceptionHandler((ex, parsedArgs) -> usageError(err, ex));
        return cl.execute(args);
    }

    /** `iommufd-sim` alone as picocli runs it (QuickRun calls it): the options' defaults, then {@link #call()}. */
    static int replWithDefaults(PrintStream out, PrintStream err) {
        Main m = new Main();
        m.out = out;
        m.err = err;
        m.profile = DEFAULT_PROFILE;
        try {
            return m.call();
        } catch (Exception ex) {
            return executionError(err, ex);
        }
    }

    /** A command line picocli cannot parse: one line on stderr (with picocli's suggestions), exit 2. */
    private static int usageError(PrintStream err, CommandLine.ParameterException ex) {
        err.println("iommufd-sim: " + problem(ex) + " (" + ex.getCommandLine().getCommandSpec().qualifiedName()
                + " --help lists the options)");
        return BatchRunner.EXIT_LOAD;
    }

    /** picocli's complaint, with its best suggestion for a mistyped option. */
    static String problem(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            return ex.getMessage() + "; did you mean " + u.getSuggestions().get(0) + "?";
        }
        return ex.getMessage();
    }

    /** A command failed with an exception: one line on stderr, exit 2 (QuickRun uses it too). */
    static int executionError(PrintStream err, Exception ex) {
        err.println("iommufd-sim: " + ex.getMessage());
        return BatchRunner.EXIT_LOAD;
    }

    public static void main(String[] args) {
        System.exit(execute(System.out, System.err, args));
    }
}
