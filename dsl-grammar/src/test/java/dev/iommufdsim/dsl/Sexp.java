package dev.iommufdsim.dsl;

import java.util.stream.Collectors;

/** Prints expressions as S-expressions so tests can state the tree's shape in one line. */
final class Sexp implements Expr.Visitor<String> {
    static String of(Expr e) {
        return e.accept(new Sexp());
    }

    @Override
    public String visitNumber(Expr.NumberLit e) {
        return Long.toUnsignedString(e.value());
    }

    @Override
    public String visitString(Expr.StringLit e) {
        return '"' + e.value() + '"';
    }

    @Override
    public String visitBool(Expr.BoolLit e) {
        return Boolean.toString(e.value());
    }

    @Override
    public String visitNone(Expr.NoneLit e) {
        return "none";
    }

    @Override
    public String visitName(Expr.Name e) {
        return e.name();
    }

    @Override
    public String visitList(Expr.ListLit e) {
        return e.elements().stream().map(Sexp::of).collect(Collectors.joining(" ", "[", "]"));
    }

    @Override
    public String visitRecord(Expr.RecordLit e) {
        return e.fields().stream().map(f -> f.name() + ": " + of(f.value()))
                .collect(Collectors.joining(", ", "{", "}"));
    }

    @Override
    public String visitUnary(Expr.Unary e) {
        return "(" + e.op().symbol() + " " + of(e.operand()) + ")";
    }

    @Override
    public String visitBinary(Expr.Binary e) {
        return "(" + e.op().symbol() + " " + of(e.left()) + " " + of(e.right()) + ")";
    }

    @Override
    public String visitCall(Expr.Call e) {
        return e.args().stream().map(a -> (a.isNamed() ? a.name() + ": " : "") + of(a.value()))
                .collect(Collectors.joining(", ", e.callee() + "(", ")"));
    }

    @Override
    public String visitField(Expr.Field e) {
        return "(. " + of(e.target()) + " " + e.name() + ")";
    }

    @Override
    public String visitIndex(Expr.Index e) {
        return "([] " + of(e.target()) + " " + of(e.index()) + ")";
    }
}
