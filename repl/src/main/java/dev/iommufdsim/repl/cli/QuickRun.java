package dev.iommufdsim.repl.cli;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.host.Limits;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;

/**
 * Start-up only: the plain form of {@code run},
 * {@code [--plugins DIR]... [--json] [--profile NAME] run FILE...}, and the REPL without
 * arguments, parsed here without building picocli's command model. Picocli is compiled for
 * Java 5, so the JVM verifies its classes with the old type-inferencing verifier and neither a
 * CDS archive nor an AOT cache can hold them: building the model of every subcommand cost about
 * a third of a cold {@code run}.
 *
 * <p>After parsing, it does exactly what picocli would have made happen:
 * {@link Main.Run#runFiles} with the same arguments, or {@link Main#call()} with the options'
 * defaults, and an exception ends as in {@link Main#execute}'s handler. Every other command
 * line gets null, and {@link Main#execute} hands it to picocli unchanged: any other option or
 * subcommand, {@code --junit}, a repeated {@code --json} or {@code --profile}, an argument
 * starting with {@code -} or {@code @} (options, {@code --}, argument files), an option value
 * that is a subcommand name (picocli reports those as missing values), an unknown profile, a
 * path the file system rejects, or any {@code picocli.*} system property set.
 */
final class QuickRun {
    private QuickRun() {
    }

    /** The exit code of the run or the REPL, or null when picocli must handle this command line. */
    static Integer tryRun(PrintStream out, PrintStream err, String[] args) {
        if (picocliTuned()) {
            return null;
        }
        if (args.length == 0) {
            return Main.replWithDefaults(out, err); // the REPL
        }
        List<Path> pluginDirs = new ArrayList<>();
        String profile = null;
        boolean json = false;
        int i = 0;
        for (; i < args.length && !"run".equals(args[i]); i++) {
            switch (args[i]) {
                case "--json" -> {
                    if (json) {
                        return null; // picocli: option overwritten
                    }
                    json = true;
                }
                case "--plugins", "--profile" -> {
                    String value = i + 1 < args.length ? args[i + 1] : null;
                    if (value == null || !plain(value) || subcommandNames().contains(value)) {
                        return null;
                    }
                    if (args[i].equals("--profile")) {
                        if (profile != null) {
                            return null;
                        }
                        profile = value;
                    } else {
                        Path dir = path(value);
                        if (dir == null) {
                            return null;
                        }
                        pluginDirs.add(dir);
                    }
                    i++;
                }
                default -> {
                    return null;
                }
            }
        }
        if (i + 1 >= args.length) {
            return null; // no `run`, or `run` without a file
        }
        List<Path> files = new ArrayList<>();
        for (int f = i + 1; f < args.length; f++) {
            Path p = plain(args[f]) ? path(args[f]) : null;
            if (p == null) {
                return null;
            }
            files.add(p);
        }
        KernelProfile kp = KernelProfile.byName(profile == null ? Main.DEFAULT_PROFILE : profile);
        if (kp == null) {
            return null;
        }
        try {
            return Main.Run.runFiles(out, json, kp, Limits.DEFAULT, PluginHost.load(PluginHost.defaultDirs(pluginDirs)), files, null);
        } catch (Exception ex) {
            return Main.executionError(err, ex);
        }
    }

    /** Neither an option nor a picocli @argument file. */
    private static boolean plain(String arg) {
        return !arg.startsWith("-") && !arg.startsWith("@");
    }

    private static Path path(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /**
     * The names and aliases of Main's subcommands, from their annotations (read only when an
     * option has a value, so that a new subcommand needs no change here).
     */
    private static Set<String> subcommandNames() {
        Set<String> names = new HashSet<>();
        for (Class<?> c : Main.class.getAnnotation(Command.class).subcommands()) {
            Command sub = c.getAnnotation(Command.class);
            names.add(sub.name());
            names.addAll(List.of(sub.aliases()));
        }
        return names;
    }

    /** A picocli.* system property (trace, trimQuotes, ...) changes how picocli parses: leave it to picocli. */
    private static boolean picocliTuned() {
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.startsWith("picocli.")) {
                return true;
            }
        }
        return false;
    }
}
