package dev.iommufdsim.repl.cli;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.builtins.MachineBuiltins;
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
        subcommands = {Main.Run.class, Main.Plugins.class, Main.Diff.class, Main.Replay.class})
public final class Main implements Callable<Integer> {
    @Option(names = "--plugins", paramLabel = "DIR", description = "another directory of driver plugin jars (repeatable);"
            + " also $" + PluginHost.ENV_PLUGINS)
    List<Path> pluginDirs = new ArrayList<>();

    @Option(names = "--profile", paramLabel = "NAME", defaultValue = "mainline",
            description = "kernel behaviour to follow: mainline, v6.7 or seed (default: ${DEFAULT-VALUE})")
    String profile;

    @Option(names = "--json", description = "machine-readable output: one JSON object per line")
    boolean json;

    private PrintStream out = System.out;

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

    @Override
    public Integer call() {
        KernelProfile kp = kernelProfile();
        PluginHost plugins = loadPlugins();
        return new Console(() -> Sim.create(plugins, kp), json).run();
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

        @Override
        public Integer call() throws Exception {
            KernelProfile kp = main.kernelProfile();
            PluginHost plugins = main.loadPlugins();
            BatchRunner runner = new BatchRunner(main.out, main.json, () -> Sim.create(plugins, kp));
            List<BatchRunner.FileReport> reports = runner.runAll(files);
            int rc = runner.summarize(reports);
            if (junit != null) {
                BatchRunner.writeJunit(junit, reports);
            }
            return rc;
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
            return ProfileDiff.run(main.out, main.loadPlugins(), file, list);
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

    /** Runs the command line and returns the exit code (tests call this; main exits with it). */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        Main m = new Main();
        m.out = out;
        CommandLine cl = new CommandLine(m);
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            err.println("iommufd-sim: " + ex.getMessage());
            return BatchRunner.EXIT_LOAD;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(System.out, System.err, args));
    }
}
