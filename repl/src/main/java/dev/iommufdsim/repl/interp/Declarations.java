package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.dsl.Script;
import dev.iommufdsim.dsl.ScriptParser;
import dev.iommufdsim.dsl.Stmt;
import dev.iommufdsim.dsl.SyntaxErrorException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The resolver's first pass: what a script (with the files it sources) declares at the
 * top level, so that the second pass can resolve a use that comes before its definition
 * (a function defined at the end, a global a function reads but the script assigns later).
 * Sourced files are read and parsed here, once.
 */
final class Declarations {
    /** Variables the script assigns outside functions. */
    final Set<String> globals = new HashSet<>();
    /** Functions the script defines, by name, in order. */
    final Map<String, UserFunction> functions = new LinkedHashMap<>();
    /** The parsed file of each source statement (statement identity: records compare by value). */
    final Map<Stmt.Source, Script> sourced = new IdentityHashMap<>();

    private final Engine engine;
    private final List<Diagnostic> errors;
    private final Deque<String> sourcing = new ArrayDeque<>();

    Declarations(Engine engine, List<Diagnostic> errors) {
        this.engine = engine;
        this.errors = errors;
    }

    void script(Script script) {
        sourcing.push(script.file());
        statements(script.statements(), false);
        sourcing.pop();
    }

    private void statements(List<Stmt> list, boolean nested) {
        for (Stmt s : list) {
            statement(s, nested);
        }
    }

    private void statement(Stmt s, boolean nested) {
        if (s instanceof Stmt.Assign a) {
            globals.add(a.name());
        } else if (s instanceof Stmt.Declare d) {
            globals.add(d.name());
        } else if (s instanceof Stmt.For f) {
            globals.add(f.variable());
            statements(f.body(), true);
        } else if (s instanceof Stmt.While w) {
            statements(w.body(), true);
        } else if (s instanceof Stmt.If i) {
            for (Stmt.Branch b : i.branches()) {
                statements(b.body(), true);
            }
            statements(i.elseBody(), true);
        } else if (s instanceof Stmt.Fn fn) {
            function(fn, nested);
        } else if (s instanceof Stmt.Source src) {
            source(src);
        }
    }

    private void function(Stmt.Fn fn, boolean nested) {
        if (nested) {
            errors.add(Diagnostic.at(fn.pos(), "functions are defined at the top level of a file, not inside a block"));
            return;
        }
        Builtin b = engine.table().lookup(fn.name());
        if (b != null) {
            errors.add(Diagnostic.at(fn.pos(), "function '" + fn.name() + "' would hide the built-in " + b.signature()));
            return;
        }
        UserFunction earlier = functions.get(fn.name());
        if (earlier != null && earlier.pos.equals(fn.pos())) {
            return; // the same file sourced twice: the same definition again
        }
        if (earlier != null) {
            errors.add(Diagnostic.at(fn.pos(), "function '" + fn.name() + "' is already defined at " + earlier.pos));
            return;
        }
        functions.put(fn.name(), new UserFunction(fn.name(), fn.params(), fn.pos()));
    }

    private void source(Stmt.Source src) {
        String including = sourcing.peek();
        SourceLoader.Loaded file;
        try {
            file = engine.sourceLoader().load(including, src.path());
        } catch (IOException | RuntimeException e) {
            String why = e instanceof NoSuchFileException ? "no such file" : String.valueOf(e.getMessage());
            errors.add(Diagnostic.at(src.pos(), "cannot read \"" + src.path() + "\": " + why));
            return;
        }
        if (sourcing.contains(file.fileName())) {
            errors.add(Diagnostic.at(src.pos(), "\"" + src.path() + "\" sources itself (through "
                    + String.join(" <- ", sourcing) + ")"));
            return;
        }
        engine.rememberText(file.fileName(), file.text());
        Script script;
        try {
            script = ScriptParser.parse(file.text(), file.fileName());
        } catch (SyntaxErrorException e) {
            errors.addAll(e.diagnostics());
            return;
        }
        sourced.put(src, script);
        script(script);
    }
}
