package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.dsl.Script;
import dev.iommufdsim.dsl.ScriptParser;
import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.dsl.SyntaxErrorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The interpreter as a library, JShell-style: it parses, resolves and runs scripts and
 * REPL entries, and reports through an {@link EngineListener}; it never prints and knows
 * no terminal. One engine is one session: variables and functions persist across
 * {@link #eval} calls, and an entry that fails keeps what ran before the failure.
 *
 * <p>Not thread-safe, except {@link #interrupt()}.
 */
public final class Engine {
    /** Default step limit: generous for real scripts, finite for runaway loops. */
    public static final long DEFAULT_STEP_LIMIT = 100_000_000L;
    /** Default limit on nested user-function calls. */
    public static final int DEFAULT_MAX_CALL_DEPTH = 500;
    /** Default limit on the elements of a list or the characters of a string a script builds. */
    public static final int DEFAULT_MAX_LENGTH = 10_000_000;
    /** The longest list or string Java can hold: what "no length limit" means. */
    public static final int LONGEST = Integer.MAX_VALUE - 8;

    private final BuiltinTable table;
    final Globals globals = new Globals();
    private final Map<String, FunctionCell> functions = new HashMap<>();
    private final Map<Class<?>, Object> services = new HashMap<>();
    private ServiceEntry lastService;
    private final List<CompletionContributor> contributors = new ArrayList<>();
    private final Map<String, String> texts = new HashMap<>();
    private final List<Expectation> expectations = new ArrayList<>();
    private EngineListener listener = new EngineListener() { };
    private SourceLoader sourceLoader = SourceLoader.fileSystem();

    private long stepLimit = DEFAULT_STEP_LIMIT;
    private int maxCallDepth = DEFAULT_MAX_CALL_DEPTH;
    private int maxLength = DEFAULT_MAX_LENGTH;
    private long steps;
    private int depth;
    private SourcePos lastPos;
    private volatile boolean interrupted;
    private int passed;
    private int failed;
    private int passedBeforeRun;
    private int failedBeforeRun;
    private Object lastValue = None.NONE;
    private long resolutions;
    private long bindings;

    /** An engine over the given table of built-ins (shared, not copied). */
    public Engine(BuiltinTable table) {
        this.table = Objects.requireNonNull(table);
    }

    public BuiltinTable table() {
        return table;
    }

    public void setListener(EngineListener listener) {
        this.listener = Objects.requireNonNull(listener);
    }

    public void setSourceLoader(SourceLoader loader) {
        this.sourceLoader = Objects.requireNonNull(loader);
    }

    SourceLoader sourceLoader() {
        return sourceLoader;
    }

    /** Statements and calls one run may execute before it stops with "step limit of N exceeded". */
    public void setStepLimit(long limit) {
        this.stepLimit = limit;
    }

    /** Nested user-function calls allowed before "call depth limit of N exceeded". */
    public void setMaxCallDepth(int limit) {
        this.maxCallDepth = limit;
    }

    /**
     * The most elements a list, or characters a string, built by a script may have (at most
     * {@link #LONGEST}). Together with the step limit, which joining charges one step per
     * element copied, it bounds the memory a run can take.
     */
    public void setMaxLength(int limit) {
        this.maxLength = Math.min(limit, LONGEST);
    }

    public long stepLimit() {
        return stepLimit;
    }

    public int maxCallDepth() {
        return maxCallDepth;
    }

    public int maxLength() {
        return maxLength;
    }

    /** Makes a host object (the kernel, the plugin manager) available to built-ins. */
    public <T> void putService(Class<T> type, T service) {
        services.put(type, type.cast(service));
        lastService = null;
    }

    /** The host object registered for the type, or null. */
    public <T> T service(Class<T> type) {
        // Built-ins ask for the same service call after call: remember the last answer.
        ServiceEntry last = lastService;
        if (last != null && last.type() == type) {
            return type.cast(last.service());
        }
        Object service = services.get(type);
        lastService = new ServiceEntry(type, service);
        return type.cast(service);
    }

    private record ServiceEntry(Class<?> type, Object service) {
    }

    // ------------------------------------------------------------------ running

    /**
     * Parses, resolves and runs text: a REPL entry or a whole script. Values of top-level
     * expression statements go to {@link EngineListener#result}.
     */
    public EvalResult eval(String text, String fileName) {
        texts.put(fileName, text);
        Script script;
        try {
            script = ScriptParser.parse(text, fileName);
        } catch (SyntaxErrorException e) {
            return loadError(e.diagnostics());
        }
        return run(script);
    }

    /** Reads and runs a script file; an unreadable file is a load error. */
    public EvalResult runFile(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            return loadError(List.of(new Diagnostic(file.toString(), 1, 1, "cannot read the file: " + e.getMessage())));
        }
        return eval(text, file.toString());
    }

    /** Resolves and runs a parsed script. */
    public EvalResult run(Script script) {
        texts.putIfAbsent(script.file(), script.text());
        Program program;
        try {
            program = resolve(script);
        } catch (StaticErrorException e) {
            return loadError(e.diagnostics);
        }
        commit(program);
        steps = 0;
        depth = 0;
        interrupted = false;
        lastValue = None.NONE;
        lastPos = new SourcePos(script.file(), 1, 1);
        int passedBefore = passed;
        int failedBefore = failed;
        passedBeforeRun = passed;
        failedBeforeRun = failed;
        try {
            program.body().exec(Frame.TOP);
        } catch (RuntimeError e) {
            listener.runtimeError(e);
            return new EvalResult(EvalResult.Status.RUNTIME_ERROR, lastValue, List.of(), e,
                    passed - passedBefore, failed - failedBefore);
        } catch (StackOverflowError e) {
            return javaLimit("too deeply nested: the Java stack ran out (--max-depth, the call depth limit, stops recursion sooner)",
                    passedBefore, failedBefore);
        } catch (OutOfMemoryError e) {
            // What the script built is garbage again once the stack has unwound to here.
            return javaLimit("out of memory (the Java heap is full): lower --max-length or --max-steps,"
                    + " or give Java more memory (JAVA_TOOL_OPTIONS=-Xmx8g)", passedBefore, failedBefore);
        }
        return new EvalResult(EvalResult.Status.OK, lastValue, List.of(), null, passed - passedBefore, failed - failedBefore);
    }

    /** The run ran into a limit of the JVM rather than one of ours: reported as an error at the last statement. */
    private EvalResult javaLimit(String message, int passedBefore, int failedBefore) {
        RuntimeError error = new RuntimeError(lastPos, message);
        listener.runtimeError(error);
        return new EvalResult(EvalResult.Status.RUNTIME_ERROR, lastValue, List.of(), error,
                passed - passedBefore, failed - failedBefore);
    }

    /** Checks a script without running it: its syntax and name errors, or an empty list. */
    public List<Diagnostic> check(Script script) {
        try {
            resolve(script);
            return List.of();
        } catch (StaticErrorException e) {
            return e.diagnostics;
        }
    }

    private Program resolve(Script script) {
        resolutions++;
        return new Resolver(this).resolve(script);
    }

    private void commit(Program program) {
        program.newCells().forEach(functions::putIfAbsent);
        program.definitions().forEach((cell, fn) -> cell.fn = fn);
    }

    private EvalResult loadError(List<Diagnostic> diagnostics) {
        listener.diagnostics(diagnostics);
        return new EvalResult(EvalResult.Status.LOAD_ERROR, None.NONE, diagnostics, null, 0, 0);
    }

    /**
     * Ends a run that its host has given up waiting for, from the host's thread (a driver call
     * that did not return, see the kernel's DriverCallWatch): reports {@code message} as a
     * runtime error at the statement that was running, and returns the run's result. The
     * thread that was running it must never come back into this engine.
     */
    public EvalResult abandon(String message) {
        RuntimeError error = new RuntimeError(lastPos, message);
        listener.runtimeError(error);
        return new EvalResult(EvalResult.Status.RUNTIME_ERROR, lastValue, List.of(), error,
                passed - passedBeforeRun, failed - failedBeforeRun);
    }

    /** Stops the running script at its next statement with "interrupted" (callable from any thread). */
    public void interrupt() {
        interrupted = true;
    }

    /** Whether {@link #interrupt()} was called and the run has not stopped for it yet (from any thread). */
    public boolean interruptPending() {
        return interrupted;
    }

    // ------------------------------------------------------------------ services for the console

    /** {@link ScriptParser#isComplete}: whether the REPL has a whole entry. */
    public boolean isComplete(String text) {
        return ScriptParser.isComplete(text);
    }

    /**
     * Completion candidates for the identifier being typed at {@code cursor}: built-in
     * names, "name:" argument forms inside a call, constants, variables, keywords,
     * depending on the place. Candidates all start with the partial word.
     */
    public List<String> complete(String text, int cursor) {
        return new Completer(this).complete(text, cursor);
    }

    /**
     * Adds a host's source of argument values for {@link #complete} (live object IDs, ...);
     * contributors are asked in the order added.
     */
    public void addCompletionContributor(CompletionContributor contributor) {
        contributors.add(Objects.requireNonNull(contributor));
    }

    List<CompletionContributor> completionContributors() {
        return contributors;
    }

    // ------------------------------------------------------------------ state

    /** The value of a top-level variable, or null if it has none. */
    public Object variable(String name) {
        return globals.get(name);
    }

    /** Top-level variables with values, in order of first assignment. */
    public Map<String, Object> variables() {
        return globals.defined();
    }

    /** Defines or replaces a top-level variable (a host may predefine some). */
    public void setVariable(String name, Object value) {
        globals.set(name, Objects.requireNonNull(value));
    }

    /** Names of the user functions defined so far, sorted. */
    public Set<String> functionNames() {
        Set<String> names = new TreeSet<>();
        functions.forEach((name, cell) -> {
            if (cell.fn != null) {
                names.add(name);
            }
        });
        return names;
    }

    /** The text of a file or entry the engine has read, for showing an error's line; or null. */
    public String sourceText(String fileName) {
        return texts.get(fileName);
    }

    /** Every expectation checked since the engine was made (or reset), in order. */
    public List<Expectation> expectations() {
        return Collections.unmodifiableList(expectations);
    }

    public int passedCount() {
        return passed;
    }

    public int failedCount() {
        return failed;
    }

    public void resetExpectations() {
        expectations.clear();
        passed = 0;
        failed = 0;
    }

    /** Steps the last run executed. */
    public long steps() {
        return steps;
    }

    /** How many times a script was resolved: once per eval/run/check, never per loop iteration. */
    public long resolutions() {
        return resolutions;
    }

    /** How many call sites were bound to their callee's parameters, all runs together. */
    public long bindings() {
        return bindings;
    }

    // ------------------------------------------------------------------ for the nodes

    FunctionCell functionCell(String name) {
        return functions.get(name);
    }

    UserFunction userFunction(String name) {
        FunctionCell c = functions.get(name);
        return c == null ? null : c.fn;
    }

    void rememberText(String fileName, String text) {
        texts.put(fileName, text);
    }

    void countBinding() {
        bindings++;
    }

    void step(SourcePos pos) {
        lastPos = pos;
        if (++steps > stepLimit) {
            throw new RuntimeError(pos, "step limit of " + stepLimit + " exceeded (an endless loop? --max-steps raises the limit)");
        }
        if ((steps & 0x3ff) == 0 && interrupted) {
            interrupted = false;
            throw RuntimeError.interrupted(pos);
        }
    }

    /**
     * Charges work that grows with a value's size: joining lists or strings (each element or
     * character copied is a step, and the result must fit the length limit), looking through
     * or comparing lists (each element is a step). Without it a list grown by one element per
     * iteration takes quadratic time, and all the memory, long before the step limit sees it.
     *
     * @param what   "list" or "string"
     * @param length the size of the result of a join, or of the list looked through
     * @param join   whether a new value of that size is being built
     */
    void charge(String what, long length, boolean join, SourcePos pos) {
        String unit = what.equals("list") ? "element" : "character";
        if (join && length > maxLength) {
            throw new RuntimeError(pos, "a " + what + " of " + length + " " + unit + "s exceeds the length limit of "
                    + maxLength + " (a runaway loop? --max-length raises the limit)");
        }
        steps += length;
        if (steps > stepLimit) {
            throw new RuntimeError(pos, "step limit of " + stepLimit + " exceeded " + (join ? "joining " + what + "s (each "
                    + unit + " copied counts as a step, and a " + what + " grown by one " + unit + " per iteration is copied"
                    + " whole each time" : "looking through a list (each element counts as a step") + "; --max-steps raises"
                    + " the limit)");
        }
        if (interrupted) {
            interrupted = false;
            throw RuntimeError.interrupted(pos);
        }
    }

    void enter(SourcePos pos) {
        if (++depth > maxCallDepth) {
            depth--;
            throw new RuntimeError(pos, "call depth limit of " + maxCallDepth + " exceeded (runaway recursion? --max-depth raises the limit)");
        }
    }

    void exit() {
        depth--;
    }

    void echo(Object value, SourcePos pos) {
        if (value != None.NONE) {
            lastValue = value;
            listener.result(value, pos);
        }
    }

    void show(Object value, SourcePos pos) {
        listener.show(value, pos);
    }

    void expectation(Expectation e) {
        expectations.add(e);
        if (e.passed()) {
            passed++;
        } else {
            failed++;
        }
        listener.expectation(e);
    }
}
