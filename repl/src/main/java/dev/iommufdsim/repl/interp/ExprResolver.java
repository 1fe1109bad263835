package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.BinaryOp;
import dev.iommufdsim.dsl.Expr;
import dev.iommufdsim.dsl.SourcePos;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The expression half of the resolver: names to slots or constants, calls to bound
 * built-in or user-function call nodes. Shares the scope and error list of its
 * {@link Resolver}.
 */
final class ExprResolver implements Expr.Visitor<Node> {
    private final Resolver r;
    private final Engine engine;

    ExprResolver(Resolver resolver) {
        this.r = resolver;
        this.engine = resolver.engine;
    }

    private boolean isGlobal(String name) {
        return r.declared.globals.contains(name) || engine.globals.isDefined(name);
    }

    /** A read of a variable (a local, else a global), or an error node. */
    Node variable(String name, SourcePos pos) {
        if (r.scope != null) {
            Integer slot = r.scope.lookup(name);
            if (slot != null) {
                return new ExprNodes.LocalGet(pos, name, slot);
            }
        }
        if (isGlobal(name)) {
            if (r.scope != null) {
                r.scope.readAsGlobal.add(name);
            }
            return new ExprNodes.GlobalGet(pos, name, engine.globals, engine.globals.slot(name));
        }
        return null;
    }

    @Override
    public Node visitName(Expr.Name e) {
        Node v = variable(e.name(), e.pos());
        if (v != null) {
            return v;
        }
        Object constant = engine.table().constant(e.name());
        if (constant != null) {
            return new ExprNodes.Const(e.pos(), constant);
        }
        if (engine.table().lookup(e.name()) != null || isFunction(e.name())) {
            r.error(e.pos(), "'" + e.name() + "' is a function; call it: " + e.name() + "(...)");
        } else {
            Set<String> candidates = new TreeSet<>(r.declared.globals);
            candidates.addAll(engine.globals.defined().keySet());
            candidates.addAll(engine.table().constantNames());
            if (r.scope != null) {
                candidates.addAll(r.scope.names());
            }
            r.error(e.pos(), "unknown name '" + e.name() + "'" + Suggest.didYouMean(e.name(), candidates));
        }
        return new ExprNodes.Const(e.pos(), None.NONE);
    }

    private boolean isFunction(String name) {
        return r.declared.functions.containsKey(name) || engine.userFunction(name) != null;
    }

    @Override
    public Node visitNumber(Expr.NumberLit e) {
        return new ExprNodes.Const(e.pos(), e.value());
    }

    @Override
    public Node visitString(Expr.StringLit e) {
        return new ExprNodes.Const(e.pos(), e.value());
    }

    @Override
    public Node visitBool(Expr.BoolLit e) {
        return new ExprNodes.Const(e.pos(), e.value());
    }

    @Override
    public Node visitNone(Expr.NoneLit e) {
        return new ExprNodes.Const(e.pos(), None.NONE);
    }

    @Override
    public Node visitList(Expr.ListLit e) {
        Node[] elements = new Node[e.elements().size()];
        for (int i = 0; i < elements.length; i++) {
            elements[i] = e.elements().get(i).accept(this);
        }
        return new ExprNodes.ListNode(e.pos(), elements);
    }

    @Override
    public Node visitRecord(Expr.RecordLit e) {
        int n = e.fields().size();
        String[] names = new String[n];
        Node[] values = new Node[n];
        for (int i = 0; i < n; i++) {
            names[i] = e.fields().get(i).name();
            values[i] = e.fields().get(i).value().accept(this);
        }
        return new ExprNodes.RecordNode(e.pos(), names, values);
    }

    @Override
    public Node visitUnary(Expr.Unary e) {
        return new OpNodes.Unary(e.pos(), e.op(), e.operand().accept(this));
    }

    @Override
    public Node visitBinary(Expr.Binary e) {
        Node left = e.left().accept(this);
        Node right = e.right().accept(this);
        if (e.op() == BinaryOp.AND) {
            return new OpNodes.And(e.pos(), left, right);
        } else if (e.op() == BinaryOp.OR) {
            return new OpNodes.Or(e.pos(), left, right);
        }
        return OpNodes.binary(e.pos(), e.op(), left, right, engine);
    }

    @Override
    public Node visitField(Expr.Field e) {
        return new ExprNodes.FieldNode(e.pos(), e.target().accept(this), e.name());
    }

    @Override
    public Node visitIndex(Expr.Index e) {
        return new ExprNodes.IndexNode(e.pos(), e.target().accept(this), e.index().accept(this));
    }

    @Override
    public Node visitCall(Expr.Call e) {
        Builtin b = engine.table().lookup(e.callee());
        if (b != null) {
            return builtinCall(b, e, null);
        }
        UserFunction fn = r.declared.functions.get(e.callee());
        if (fn == null) {
            fn = engine.userFunction(e.callee());
        }
        if (fn != null) {
            return userCall(fn, e);
        }
        Set<String> candidates = new TreeSet<>(engine.table().names());
        candidates.addAll(r.declared.functions.keySet());
        candidates.addAll(engine.functionNames());
        r.error(e.pos(), "unknown function '" + e.callee() + "'" + Suggest.didYouMean(e.callee(), candidates));
        args(e); // still resolve the arguments, for their own errors
        return new ExprNodes.Const(e.pos(), None.NONE);
    }

    /** The call in {@code iommu NAME = driver(...)} or {@code device NAME = kind(...)}. */
    Node declaration(Builtin.Kind kind, String name, Expr.Call call) {
        Builtin b = engine.table().lookup(kind, call.callee());
        if (b == null) {
            String what = kind == Builtin.Kind.IOMMU ? "IOMMU driver" : "device kind";
            List<String> known = engine.table().names(kind);
            String hint = Suggest.didYouMean(call.callee(), known);
            r.error(call.pos(), "unknown " + what + " '" + call.callee() + "'" + hint
                    + (known.isEmpty() ? " (none is registered)" : hint.isEmpty() ? " (known: " + String.join(", ", known) + ")" : ""));
            args(call);
            return new ExprNodes.Const(call.pos(), None.NONE);
        }
        return builtinCall(b, call, name);
    }

    private Node[] args(Expr.Call e) {
        Node[] nodes = new Node[e.args().size()];
        for (int k = 0; k < nodes.length; k++) {
            nodes[k] = e.args().get(k).value().accept(this);
        }
        return nodes;
    }

    private static String[] argNames(Expr.Call e) {
        String[] names = new String[e.args().size()];
        for (int k = 0; k < names.length; k++) {
            names[k] = e.args().get(k).name();
        }
        return names;
    }

    private Node builtinCall(Builtin b, Expr.Call e, String declaredName) {
        Node[] args = args(e);
        CallBinder.Binding binding = CallBinder.bindBuiltin(b, argNames(e));
        engine.countBinding();
        if (report(e, binding)) {
            return new ExprNodes.Const(e.pos(), None.NONE);
        }
        CallSite site = new CallSite(b.name(), e.pos(), declaredName, engine);
        return new CallNodes.BuiltinCall(site, b, args, binding, engine);
    }

    private Node userCall(UserFunction fn, Expr.Call e) {
        Node[] args = args(e);
        String[] names = argNames(e);
        CallBinder.Binding binding = CallBinder.bindUser(fn, names);
        engine.countBinding();
        if (report(e, binding)) {
            return new ExprNodes.Const(e.pos(), None.NONE);
        }
        return new CallNodes.UserCall(e.pos(), r.cell(fn.name), fn, args, names, binding.slotOf(), engine);
    }

    /** Reports the binding's problems at their arguments; true if there were any. */
    private boolean report(Expr.Call e, CallBinder.Binding binding) {
        List<CallBinder.Problem> problems = new ArrayList<>(binding.problems());
        for (CallBinder.Problem p : problems) {
            r.error(p.argIndex() < 0 ? e.pos() : e.args().get(p.argIndex()).pos(), p.message());
        }
        return !problems.isEmpty();
    }
}
