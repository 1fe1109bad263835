package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.DeclKind;
import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.dsl.Expr;
import dev.iommufdsim.dsl.Script;
import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.dsl.Stmt;
import dev.iommufdsim.kernel.uapi.Errno;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves a parsed script into executable nodes before anything runs, jlox's resolver
 * pass: every name becomes a slot, a constant or a call target once, calls are checked
 * against the table of built-ins (arity, argument names) and bound, and all problems are
 * reported together with their positions. Expressions are left to {@link ExprResolver}.
 */
final class Resolver implements Stmt.Visitor<StmtNode> {
    final Engine engine;
    final List<Diagnostic> errors = new ArrayList<>();
    final Declarations declared;
    private final ExprResolver exprs;
    /** Cells the engine lacks, for functions this script defines. */
    private final Map<String, FunctionCell> newCells = new HashMap<>();
    /** The locals of the function being resolved; null at the top level. */
    FunctionScope scope;
    private int loopDepth;
    /** Whether statements are at the top level of the evaluated text (their values are echoed). */
    private boolean echo;

    Resolver(Engine engine) {
        this.engine = engine;
        this.declared = new Declarations(engine, errors);
        this.exprs = new ExprResolver(this);
    }

    /** Resolves the script; throws {@link StaticErrorException} with every problem found. */
    Program resolve(Script script) {
        declared.script(script);
        echo = true;
        StmtNode body = block(new SourcePos(script.file(), 1, 1), script.statements());
        Map<FunctionCell, UserFunction> definitions = new IdentityHashMap<>();
        for (UserFunction fn : declared.functions.values()) {
            definitions.put(cell(fn.name), fn);
        }
        if (!errors.isEmpty()) {
            throw new StaticErrorException(sorted(errors));
        }
        return new Program(body, definitions, newCells);
    }

    /** By position: files in the order their first error was found, then line and column. */
    private static List<Diagnostic> sorted(List<Diagnostic> list) {
        List<String> files = new ArrayList<>();
        for (Diagnostic d : list) {
            if (!files.contains(d.file())) {
                files.add(d.file());
            }
        }
        List<Diagnostic> out = new ArrayList<>(list);
        out.sort(Comparator.<Diagnostic>comparingInt(d -> files.indexOf(d.file()))
                .thenComparingInt(Diagnostic::line).thenComparingInt(Diagnostic::col));
        return out;
    }

    /** The cell a function name lives in, made (not yet installed in the engine) if new. */
    FunctionCell cell(String name) {
        FunctionCell c = engine.functionCell(name);
        return c != null ? c : newCells.computeIfAbsent(name, FunctionCell::new);
    }

    void error(SourcePos pos, String message) {
        errors.add(Diagnostic.at(pos, message));
    }

    Node expr(Expr e) {
        return e.accept(exprs);
    }

    private StmtNode block(SourcePos pos, List<Stmt> statements) {
        List<StmtNode> nodes = new ArrayList<>(statements.size());
        for (Stmt s : statements) {
            StmtNode n = s.accept(this);
            if (n != null) {
                nodes.add(n);
            }
        }
        return new StmtNodes.Block(pos, nodes.toArray(new StmtNode[0]), engine);
    }

    /** A nested block: never echoed. */
    private StmtNode body(SourcePos pos, List<Stmt> statements) {
        boolean saved = echo;
        echo = false;
        try {
            return block(pos, statements);
        } finally {
            echo = saved;
        }
    }

    /** Where an assignment to the name stores: a global at the top level, a local in a function. */
    Target target(String name, SourcePos pos) {
        if (engine.table().constant(name) != null) {
            error(pos, "cannot assign to '" + name + "': it names a constant");
        }
        if (scope == null) {
            return new Target.Global(name, engine.globals, engine.globals.slot(name));
        }
        Integer slot = scope.lookup(name);
        if (slot == null) {
            if (scope.readAsGlobal.contains(name)) {
                error(pos, "'" + name + "' is read as a global variable earlier in this function;"
                        + " a function cannot assign a global (use another name for the local)");
            }
            slot = scope.declare(name);
        }
        return new Target.Local(name, slot);
    }

    @Override
    public StmtNode visitExpr(Stmt.ExprStmt s) {
        return new StmtNodes.ExprStmt(s.pos(), expr(s.expr()), echo ? engine : null);
    }

    @Override
    public StmtNode visitAssign(Stmt.Assign s) {
        Node value = expr(s.value());
        if (s.op() != null) {
            // Read before the target is declared, so `x += 1` on an unknown local is caught.
            Node current = exprs.variable(s.name(), s.pos());
            value = OpNodes.binary(s.pos(), s.op(), current, value, engine);
        }
        return new StmtNodes.Assign(s.pos(), target(s.name(), s.pos()), value);
    }

    @Override
    public StmtNode visitIf(Stmt.If s) {
        int n = s.branches().size();
        Node[] conditions = new Node[n];
        StmtNode[] bodies = new StmtNode[n];
        for (int i = 0; i < n; i++) {
            Stmt.Branch b = s.branches().get(i);
            conditions[i] = expr(b.condition());
            bodies[i] = body(b.pos(), b.body());
        }
        return new StmtNodes.If(s.pos(), conditions, bodies, body(s.pos(), s.elseBody()));
    }

    @Override
    public StmtNode visitWhile(Stmt.While s) {
        Node condition = expr(s.condition());
        loopDepth++;
        StmtNode body = body(s.pos(), s.body());
        loopDepth--;
        return new StmtNodes.While(s.pos(), condition, body, engine);
    }

    @Override
    public StmtNode visitFor(Stmt.For s) {
        Node iterable = expr(s.iterable());
        Target variable = target(s.variable(), s.pos());
        loopDepth++;
        StmtNode body = body(s.pos(), s.body());
        loopDepth--;
        return new StmtNodes.For(s.pos(), variable, iterable, body, engine);
    }

    @Override
    public StmtNode visitFn(Stmt.Fn s) {
        if (scope != null) {
            error(s.pos(), "functions are defined at the top level of a file, not inside a function");
            return null;
        }
        UserFunction fn = declared.functions.get(s.name());
        if (fn == null || !fn.pos.equals(s.pos())) {
            return null; // a duplicate or misplaced definition, reported by the first pass
        }
        FunctionScope saved = scope;
        int savedLoops = loopDepth;
        boolean savedEcho = echo;
        scope = new FunctionScope();
        loopDepth = 0;
        echo = false;
        for (String p : s.params()) {
            scope.declare(p);
        }
        fn.body = block(s.pos(), s.body());
        fn.frameSize = scope.size();
        scope = saved;
        loopDepth = savedLoops;
        echo = savedEcho;
        return null;
    }

    @Override
    public StmtNode visitReturn(Stmt.Return s) {
        if (scope == null) {
            error(s.pos(), "return outside a function");
        }
        return new StmtNodes.Return(s.pos(), s.value() == null ? null : expr(s.value()));
    }

    @Override
    public StmtNode visitBreak(Stmt.Break s) {
        if (loopDepth == 0) {
            error(s.pos(), "break outside a loop");
        }
        return new StmtNodes.Jump(s.pos(), StmtNode.BREAK);
    }

    @Override
    public StmtNode visitContinue(Stmt.Continue s) {
        if (loopDepth == 0) {
            error(s.pos(), "continue outside a loop");
        }
        return new StmtNodes.Jump(s.pos(), StmtNode.CONTINUE);
    }

    @Override
    public StmtNode visitSource(Stmt.Source s) {
        if (scope != null) {
            error(s.pos(), "source is only allowed outside functions");
            return null;
        }
        Script script = declared.sourced.get(s);
        if (script == null) {
            return null; // could not be read or parsed: reported by the first pass
        }
        int savedLoops = loopDepth;
        loopDepth = 0;
        StmtNode body = body(s.pos(), script.statements());
        loopDepth = savedLoops;
        return body;
    }

    @Override
    public StmtNode visitExpect(Stmt.Expect s) {
        if (s.expr() instanceof Expr.Binary b && b.op().isComparison()) {
            Node compare = new OpNodes.Binary(b.pos(), b.op(), expr(b.left()), expr(b.right()), engine);
            return new CheckNodes.ExpectCompare(s.pos(), (OpNodes.Binary) compare, s.source(), engine);
        }
        return new CheckNodes.Expect(s.pos(), expr(s.expr()), s.source(), engine);
    }

    @Override
    public StmtNode visitExpectFails(Stmt.ExpectFails s) {
        Errno errno = null;
        if (s.errno() != null) {
            errno = engine.table().constant(s.errno()) instanceof Errno e ? e : null;
            if (errno == null) {
                List<String> names = new ArrayList<>();
                for (Errno e : Errno.values()) {
                    names.add(e.name());
                }
                error(s.errnoPos(), "unknown errno '" + s.errno() + "'" + Suggest.didYouMean(s.errno(), names));
            }
        }
        return new CheckNodes.ExpectFails(s.pos(), expr(s.expr()), errno, s.source(), engine);
    }

    @Override
    public StmtNode visitShow(Stmt.Show s) {
        return new CheckNodes.Show(s.pos(), expr(s.expr()), engine);
    }

    @Override
    public StmtNode visitDeclare(Stmt.Declare s) {
        Builtin.Kind kind = s.kind() == DeclKind.IOMMU ? Builtin.Kind.IOMMU : Builtin.Kind.DEVICE;
        Node call = exprs.declaration(kind, s.name(), s.call());
        return new StmtNodes.Assign(s.pos(), target(s.name(), s.pos()), call);
    }
}
