package dev.iommufdsim.dsl;

import java.util.List;

/** Statement nodes. Immutable; blocks are plain lists of statements. */
public sealed interface Stmt {

    SourcePos pos();

    <R> R accept(Visitor<R> visitor);

    /** One method per node kind, so adding a node makes the compiler list every pass. */
    interface Visitor<R> {
        R visitExpr(ExprStmt s);

        R visitAssign(Assign s);

        R visitIf(If s);

        R visitWhile(While s);

        R visitFor(For s);

        R visitFn(Fn s);

        R visitReturn(Return s);

        R visitBreak(Break s);

        R visitContinue(Continue s);

        R visitSource(Source s);

        R visitExpect(Expect s);

        R visitExpectFails(ExpectFails s);

        R visitShow(Show s);

        R visitDeclare(Declare s);
    }

    /** An expression evaluated for its effect (or, at the REPL, for its echoed value). */
    record ExprStmt(Expr expr, SourcePos pos) implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitExpr(this);
        }
    }

    /** {@code name = value}, or {@code name op= value} when {@code op} is not null. */
    record Assign(String name, BinaryOp op, Expr value, SourcePos pos) implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitAssign(this);
        }
    }

    /** {@code if}, its {@code elif}/{@code else if} branches in order, and the else body (empty if none). */
    record If(List<Branch> branches, List<Stmt> elseBody, SourcePos pos) implements Stmt {
        public If {
            branches = List.copyOf(branches);
            elseBody = List.copyOf(elseBody);
        }

        public <R> R accept(Visitor<R> v) {
            return v.visitIf(this);
        }
    }

    /** One condition and the body it guards. */
    record Branch(Expr condition, List<Stmt> body, SourcePos pos) {
        public Branch {
            body = List.copyOf(body);
        }
    }

    record While(Expr condition, List<Stmt> body, SourcePos pos) implements Stmt {
        public While {
            body = List.copyOf(body);
        }

        public <R> R accept(Visitor<R> v) {
            return v.visitWhile(this);
        }
    }

    /** {@code for variable in iterable { body }}: over a range (inclusive) or a list. */
    record For(String variable, Expr iterable, List<Stmt> body, SourcePos pos) implements Stmt {
        public For {
            body = List.copyOf(body);
        }

        public <R> R accept(Visitor<R> v) {
            return v.visitFor(this);
        }
    }

    /** {@code fn name(params) { body }}; parameter names are unique (checked by the parser). */
    record Fn(String name, List<String> params, List<Stmt> body, SourcePos pos) implements Stmt {
        public Fn {
            params = List.copyOf(params);
            body = List.copyOf(body);
        }

        public <R> R accept(Visitor<R> v) {
            return v.visitFn(this);
        }
    }

    /** {@code return} with a value, or with {@code value == null}. */
    record Return(Expr value, SourcePos pos) implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitReturn(this);
        }
    }

    record Break(SourcePos pos) implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitBreak(this);
        }
    }

    record Continue(SourcePos pos) implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitContinue(this);
        }
    }

    /** {@code source "path"}; the path is relative to the including file. */
    record Source(String path, SourcePos pos) implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitSource(this);
        }
    }

    /**
     * {@code expect expr}: holds when expr is truthy. When expr is a comparison the
     * interpreter reports both sides ({@code expect a == b}: expected b, actual a).
     *
     * @param source the expression as written, for reports
     */
    record Expect(Expr expr, String source, SourcePos pos) implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitExpect(this);
        }
    }

    /**
     * {@code expect expr fails ERRNO}: holds when evaluating expr raises that errno from a
     * uAPI call ({@code errno == null}: any errno).
     */
    record ExpectFails(Expr expr, String errno, SourcePos errnoPos, String source, SourcePos pos)
            implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitExpectFails(this);
        }
    }

    record Show(Expr expr, SourcePos pos) implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitShow(this);
        }
    }

    /** {@code iommu smmu0 = arm_smmuv3(...)} or {@code device nic0 = pci(...)}. */
    record Declare(DeclKind kind, String name, Expr.Call call, SourcePos pos) implements Stmt {
        public <R> R accept(Visitor<R> v) {
            return v.visitDeclare(this);
        }
    }
}
