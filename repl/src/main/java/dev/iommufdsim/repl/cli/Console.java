package dev.iommufdsim.repl.cli;

import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.Engine;
import dev.iommufdsim.repl.interp.EngineListener;
import dev.iommufdsim.repl.interp.Expectation;
import dev.iommufdsim.repl.interp.RuntimeError;
import dev.iommufdsim.repl.render.JsonRenderer;
import dev.iommufdsim.repl.render.TextRenderer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The interactive console: a thin JLine client of the engine. Completion, "is the input
 * complete?" and evaluation are engine services; this class reads lines, renders results
 * and keeps history. A failed call never ends the session; Ctrl-C cancels the line (or
 * interrupts a running statement), Ctrl-D leaves.
 */
public final class Console {
    static final String HISTORY = ".iommufd-sim_history";

    private final Supplier<Sim> sims;
    private final boolean json;

    public Console(Supplier<Sim> sims, boolean json) {
        this.sims = sims;
        this.json = json;
    }

    public int run() {
        try (Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build()) {
            return run(terminal, Path.of(System.getProperty("user.home"), HISTORY));
        } catch (IOException e) {
            System.err.println("iommufd-sim: cannot open the terminal: " + e.getMessage());
            return BatchRunner.EXIT_LOAD;
        }
    }

    /** The loop on a given terminal and history file (tests pass a dumb terminal). */
    public int run(Terminal terminal, Path historyFile) {
        Sim sim = sims.get();
        Engine engine = sim.engine();
        PrintWriter out = terminal.writer();
        engine.setListener(listener(out, engine, !terminal.getType().startsWith(Terminal.TYPE_DUMB)));
        LineReader reader = reader(terminal, engine, historyFile);
        // While an entry runs (outside readLine, which installs its own handler and puts
        // this one back), Ctrl-C stops the entry at its next steps and the session goes on.
        terminal.handle(Terminal.Signal.INT, s -> engine.interrupt());
        out.println("iommufd-sim: an emulated Linux iommufd. `help` lists the calls, `help NAME` explains one, Ctrl-D leaves.");
        out.flush();
        int n = 0;
        while (true) {
            String line;
            try {
                line = reader.readLine("iommufd> ");
            } catch (UserInterruptException e) {
                continue;
            } catch (EndOfFileException e) {
                break;
            }
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.equals("exit") || trimmed.equals("quit")) {
                break;
            }
            if (trimmed.equals("help") || trimmed.startsWith("help ")) {
                out.println(Help.text(engine.table(), trimmed.substring(4).strip()));
                out.flush();
                continue;
            }
            if (trimmed.equals("limits") || trimmed.startsWith("limits -")) {
                out.println(limits(sim, trimmed.substring(6).strip()));
                out.flush();
                continue;
            }
            n++;
            sim.eval(line, "<stdin:" + n + ">");
            out.flush();
        }
        try {
            reader.getHistory().save();
        } catch (IOException e) {
            out.println("iommufd-sim: history not saved: " + e.getMessage());
        }
        out.flush();
        return BatchRunner.EXIT_OK;
    }

    /**
     * {@code limits [OPTIONS]}: the options of the command line that set the limits, applied
     * to the next entries; prints the limits in force, or what is wrong with the options.
     */
    static String limits(Sim sim, String args) {
        LimitOptions options = new LimitOptions();
        try {
            if (!args.isEmpty()) {
                new picocli.CommandLine(options).parseArgs(args.split("\\s+"));
            }
            sim.setLimits(options.over(sim.limits()));
        } catch (picocli.CommandLine.ParameterException e) {
            return "error: " + Main.problem(e) + " (help limits)";
        }
        return "limits: " + sim.limits();
    }

    /** The line reader on the engine's services: completion, colouring, multi-line input, history. */
    static LineReader reader(Terminal terminal, Engine engine, Path historyFile) {
        LineReader reader = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("iommufd-sim")
                .completer(new ConsoleSupport.EngineCompleter(engine))
                .highlighter(new ConsoleSupport.Highlighter(engine))
                .parser(new ConsoleSupport.MultiLineParser(engine))
                .variable(LineReader.HISTORY_FILE, historyFile)
                .variable(LineReader.SECONDARY_PROMPT_PATTERN, "%P ... ")
                .variable(LineReader.INDENTATION, 2)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .build();
        ConsoleSupport.installCloseBrackets(reader);
        return reader;
    }

    private EngineListener listener(PrintWriter out, Engine engine, boolean overwriteEcho) {
        return new EngineListener() {
            @Override
            public void result(Object value, SourcePos pos) {
                out.println(json ? JsonRenderer.render(value) : TextRenderer.render(value));
            }

            @Override
            public void show(Object value, SourcePos pos) {
                out.println(json ? JsonRenderer.render(value) : TextRenderer.render(value));
            }

            @Override
            public void expectation(Expectation e) {
                out.println((e.passed() ? "ok: " : "FAILED: ") + e.source() + (e.passed() ? "" : ": " + e.message()));
            }

            @Override
            public void runtimeError(RuntimeError error) {
                if (error.isInterrupt()) {
                    // One line; on a real terminal it goes over the "^C" the tty echoed.
                    out.println((overwriteEcho ? "\r" : "") + "interrupted at " + error.pos());
                    return;
                }
                marker(out, engine, error.pos());
                out.println("error: " + error.getMessage());
            }

            @Override
            public void diagnostics(List<Diagnostic> diagnostics) {
                for (Diagnostic d : diagnostics) {
                    marker(out, engine, d.pos());
                    out.println("error: " + d.message());
                }
            }
        };
    }

    /** The offending line with a caret under the column, as jlox and JShell show errors. */
    private static void marker(PrintWriter out, Engine engine, SourcePos pos) {
        String text = engine.sourceText(pos.file());
        if (text == null) {
            return;
        }
        String[] lines = text.split("\n", -1);
        if (pos.line() < 1 || pos.line() > lines.length) {
            return;
        }
        out.println("  " + lines[pos.line() - 1]);
        out.println("  " + " ".repeat(Math.max(0, pos.col() - 1)) + "^");
    }
}
