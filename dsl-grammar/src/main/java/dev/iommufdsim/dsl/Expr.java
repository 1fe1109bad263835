package dev.iommufdsim.dsl;

import java.util.List;

/**
 * Expression nodes. Immutable; each carries the position users should be pointed at (for
 * a binary expression, its operator; for a call, the callee's name).
 */
public sealed interface Expr {

    SourcePos pos();

    <R> R accept(Visitor<R> visitor);

    /** One method per node kind, so adding a node makes the compiler list every pass. */
    interface Visitor<R> {
        R visitNumber(NumberLit e);

        R visitString(StringLit e);

        R visitBool(BoolLit e);

        R visitNone(NoneLit e);

        R visitName(Name e);

        R visitList(ListLit e);

        R visitRecord(RecordLit e);

        R visitUnary(Unary e);

        R visitBinary(Binary e);

        R visitCall(Call e);

        R visitField(Field e);

        R visitIndex(Index e);
    }

    /** An unsigned 64-bit number, held in a long. */
    record NumberLit(long value, SourcePos pos) implements Expr {
        public <R> R accept(Visitor<R> v) {
            return v.visitNumber(this);
        }
    }

    /** A string, escapes already decoded. */
    record StringLit(String value, SourcePos pos) implements Expr {
        public <R> R accept(Visitor<R> v) {
            return v.visitString(this);
        }
    }

    record BoolLit(boolean value, SourcePos pos) implements Expr {
        public <R> R accept(Visitor<R> v) {
            return v.visitBool(this);
        }
    }

    /** The literal {@code none}, the value of calls that return nothing. */
    record NoneLit(SourcePos pos) implements Expr {
        public <R> R accept(Visitor<R> v) {
            return v.visitNone(this);
        }
    }

    /** A variable or, when no variable has that name, a constant (EINVAL, FIXED_IOVA). */
    record Name(String name, SourcePos pos) implements Expr {
        public <R> R accept(Visitor<R> v) {
            return v.visitName(this);
        }
    }

    record ListLit(List<Expr> elements, SourcePos pos) implements Expr {
        public ListLit {
            elements = List.copyOf(elements);
        }

        public <R> R accept(Visitor<R> v) {
            return v.visitList(this);
        }
    }

    /** {@code {start: 0x1000, last: 0x1fff}}; field names are unique (checked by the parser). */
    record RecordLit(List<FieldInit> fields, SourcePos pos) implements Expr {
        public RecordLit {
            fields = List.copyOf(fields);
        }

        public <R> R accept(Visitor<R> v) {
            return v.visitRecord(this);
        }
    }

    /** One {@code name: value} of a record literal. */
    record FieldInit(String name, Expr value, SourcePos pos) {
    }

    record Unary(UnaryOp op, Expr operand, SourcePos pos) implements Expr {
        public <R> R accept(Visitor<R> v) {
            return v.visitUnary(this);
        }
    }

    /** Also ranges ({@link BinaryOp#RANGE}) and the short-circuit {@code and}/{@code or}. */
    record Binary(BinaryOp op, Expr left, Expr right, SourcePos pos) implements Expr {
        public <R> R accept(Visitor<R> v) {
            return v.visitBinary(this);
        }
    }

    /**
     * {@code callee(args)}: a built-in or a user function, decided by the resolver.
     * Positional arguments come first (the parser enforces it).
     */
    record Call(String callee, List<Arg> args, SourcePos pos) implements Expr {
        public Call {
            args = List.copyOf(args);
        }

        public <R> R accept(Visitor<R> v) {
            return v.visitCall(this);
        }
    }

    /** One argument; {@code name} is null for a positional one. */
    record Arg(String name, Expr value, SourcePos pos) {
        public boolean isNamed() {
            return name != null;
        }
    }

    /** {@code target.name}. */
    record Field(Expr target, String name, SourcePos pos) implements Expr {
        public <R> R accept(Visitor<R> v) {
            return v.visitField(this);
        }
    }

    /** {@code target[index]}. */
    record Index(Expr target, Expr index, SourcePos pos) implements Expr {
        public <R> R accept(Visitor<R> v) {
            return v.visitIndex(this);
        }
    }
}
