package dev.iommufdsim.dsl;

import dev.iommufdsim.dsl.IommufdSimParser.ArgContext;
import dev.iommufdsim.dsl.IommufdSimParser.BlockContext;
import dev.iommufdsim.dsl.IommufdSimParser.CallContext;
import dev.iommufdsim.dsl.IommufdSimParser.ElifClauseContext;
import dev.iommufdsim.dsl.IommufdSimParser.FieldContext;
import dev.iommufdsim.dsl.IommufdSimParser.StatementContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.Interval;

/**
 * Turns a parse tree without syntax errors into the AST. Checks that the grammar leaves to
 * a later step (number range, escapes, positional-after-named, duplicate names, the
 * declaration word) are reported here into the same diagnostics list as syntax errors.
 */
final class AstBuilder {
    private final String file;
    private final CharStream chars;
    private final List<Diagnostic> diagnostics;
    private final Literals literals = new Literals();
    private final ExprBuilder exprs = new ExprBuilder();

    AstBuilder(String file, CharStream chars, List<Diagnostic> diagnostics) {
        this.file = file;
        this.chars = chars;
        this.diagnostics = diagnostics;
    }

    Script script(IommufdSimParser.ScriptContext ctx, String text) {
        return new Script(file, text, statements(ctx.statement()));
    }

    SourcePos pos(Token t) {
        return new SourcePos(file, t.getLine(), t.getCharPositionInLine() + 1);
    }

    void error(Token t, String message) {
        diagnostics.add(Diagnostic.at(pos(t), message));
    }

    private List<Stmt> statements(List<StatementContext> list) {
        List<Stmt> out = new ArrayList<>(list.size());
        for (StatementContext s : list) {
            out.add(statement(s));
        }
        return out;
    }

    private List<Stmt> block(BlockContext b) {
        return statements(b.statement());
    }

    private Stmt statement(StatementContext ctx) {
        SourcePos pos = pos(ctx.getStart());
        if (ctx instanceof IommufdSimParser.ExprStmtContext c) {
            return new Stmt.ExprStmt(expr(c.expr()), pos);
        } else if (ctx instanceof IommufdSimParser.AssignStmtContext c) {
            return new Stmt.Assign(c.ID().getText(), assignOp(c.op.getStart()), expr(c.expr()), pos);
        } else if (ctx instanceof IommufdSimParser.IfStmtContext c) {
            List<Stmt.Branch> branches = new ArrayList<>();
            branches.add(new Stmt.Branch(expr(c.expr()), block(c.block()), pos));
            for (ElifClauseContext e : c.elifClause()) {
                branches.add(new Stmt.Branch(expr(e.expr()), block(e.block()), pos(e.expr().getStart())));
            }
            List<Stmt> elseBody = c.elseClause() == null ? List.of() : block(c.elseClause().block());
            return new Stmt.If(branches, elseBody, pos);
        } else if (ctx instanceof IommufdSimParser.WhileStmtContext c) {
            return new Stmt.While(expr(c.expr()), block(c.block()), pos);
        } else if (ctx instanceof IommufdSimParser.ForStmtContext c) {
            return new Stmt.For(c.ID().getText(), expr(c.expr()), block(c.block()), pos);
        } else if (ctx instanceof IommufdSimParser.FnStmtContext c) {
            return fn(c, pos);
        } else if (ctx instanceof IommufdSimParser.ReturnStmtContext c) {
            return new Stmt.Return(c.expr() == null ? null : expr(c.expr()), pos);
        } else if (ctx instanceof IommufdSimParser.BreakStmtContext) {
            return new Stmt.Break(pos);
        } else if (ctx instanceof IommufdSimParser.ContinueStmtContext) {
            return new Stmt.Continue(pos);
        } else if (ctx instanceof IommufdSimParser.SourceStmtContext c) {
            String path = literals.string(c.STRING().getText());
            if (path == null) {
                error(c.STRING().getSymbol(), literals.error);
                path = "";
            }
            return new Stmt.Source(path, pos);
        } else if (ctx instanceof IommufdSimParser.ExpectStmtContext c) {
            if (c.FAILS() == null) {
                return new Stmt.Expect(expr(c.expr()), text(c.expr()), pos);
            }
            String errno = c.errno == null ? null : c.errno.getText();
            SourcePos errnoPos = c.errno == null ? pos(c.FAILS().getSymbol()) : pos(c.errno);
            return new Stmt.ExpectFails(expr(c.expr()), errno, errnoPos, text(c.expr()), pos);
        } else if (ctx instanceof IommufdSimParser.ShowStmtContext c) {
            return new Stmt.Show(expr(c.expr()), pos);
        } else if (ctx instanceof IommufdSimParser.DeclStmtContext c) {
            DeclKind kind = DeclKind.byKeyword(c.kind.getText());
            if (kind == null) {
                error(c.kind, "'" + c.kind.getText() + " " + c.target.getText()
                        + " = ...' is not a statement; a declaration starts with 'iommu' or 'device'");
                kind = DeclKind.DEVICE;
            }
            return new Stmt.Declare(kind, c.target.getText(), call(c.call()), pos);
        }
        throw new IllegalStateException("statement form without an AST node: " + ctx.getClass());
    }

    private Stmt fn(IommufdSimParser.FnStmtContext c, SourcePos pos) {
        List<String> params = new ArrayList<>();
        if (c.paramList() != null) {
            Set<String> seen = new HashSet<>();
            for (var id : c.paramList().ID()) {
                if (!seen.add(id.getText())) {
                    error(id.getSymbol(), "parameter '" + id.getText() + "' appears twice");
                }
                params.add(id.getText());
            }
        }
        return new Stmt.Fn(c.ID().getText(), params, block(c.block()), pos);
    }

    private static BinaryOp assignOp(Token t) {
        return switch (t.getType()) {
            case IommufdSimLexer.ASSIGN -> null;
            case IommufdSimLexer.PLUS_ASSIGN -> BinaryOp.ADD;
            case IommufdSimLexer.MINUS_ASSIGN -> BinaryOp.SUB;
            case IommufdSimLexer.STAR_ASSIGN -> BinaryOp.MUL;
            case IommufdSimLexer.SLASH_ASSIGN -> BinaryOp.DIV;
            case IommufdSimLexer.PERCENT_ASSIGN -> BinaryOp.MOD;
            case IommufdSimLexer.AMP_ASSIGN -> BinaryOp.BIT_AND;
            case IommufdSimLexer.PIPE_ASSIGN -> BinaryOp.BIT_OR;
            case IommufdSimLexer.CARET_ASSIGN -> BinaryOp.BIT_XOR;
            case IommufdSimLexer.SHL_ASSIGN -> BinaryOp.SHL;
            case IommufdSimLexer.SHR_ASSIGN -> BinaryOp.SHR;
            default -> throw new IllegalStateException("assignment operator " + t.getText());
        };
    }

    /** The source text of a rule as written, whitespace and all (for expectation reports). */
    private String text(ParserRuleContext ctx) {
        return chars.getText(Interval.of(ctx.getStart().getStartIndex(), ctx.getStop().getStopIndex()));
    }

    Expr expr(IommufdSimParser.ExprContext ctx) {
        return exprs.visit(ctx);
    }

    Expr.Call call(CallContext ctx) {
        List<Expr.Arg> args = new ArrayList<>();
        if (ctx.argList() != null) {
            boolean sawNamed = false;
            Set<String> names = new HashSet<>();
            for (ArgContext a : ctx.argList().arg()) {
                SourcePos pos = pos(a.getStart());
                if (a.name() != null) {
                    String name = a.name().getText();
                    if (!names.add(name)) {
                        error(a.getStart(), "argument '" + name + "' is given twice");
                    }
                    sawNamed = true;
                    args.add(new Expr.Arg(name, expr(a.expr()), pos));
                } else {
                    if (sawNamed) {
                        error(a.getStart(), "positional argument after named arguments");
                    }
                    args.add(new Expr.Arg(null, expr(a.expr()), pos));
                }
            }
        }
        return new Expr.Call(ctx.ID().getText(), args, pos(ctx.ID().getSymbol()));
    }

    /** Builds expressions; a visitor because the expression rules are many and nested. */
    private final class ExprBuilder extends IommufdSimBaseVisitor<Expr> {

        @Override
        public Expr visitPrimaryExpr(IommufdSimParser.PrimaryExprContext ctx) {
            return visit(ctx.primary());
        }

        @Override
        public Expr visitFieldExpr(IommufdSimParser.FieldExprContext ctx) {
            return new Expr.Field(visit(ctx.expr()), ctx.name().getText(), pos(ctx.name().getStart()));
        }

        @Override
        public Expr visitIndexExpr(IommufdSimParser.IndexExprContext ctx) {
            return new Expr.Index(visit(ctx.expr(0)), visit(ctx.expr(1)), pos(ctx.LBRACK().getSymbol()));
        }

        @Override
        public Expr visitUnaryExpr(IommufdSimParser.UnaryExprContext ctx) {
            UnaryOp op = switch (ctx.op.getType()) {
                case IommufdSimLexer.MINUS -> UnaryOp.NEG;
                case IommufdSimLexer.TILDE -> UnaryOp.BIT_NOT;
                default -> UnaryOp.NOT;
            };
            return new Expr.Unary(op, visit(ctx.expr()), pos(ctx.op));
        }

        @Override
        public Expr visitNotExpr(IommufdSimParser.NotExprContext ctx) {
            return new Expr.Unary(UnaryOp.NOT, visit(ctx.expr()), pos(ctx.NOT().getSymbol()));
        }

        @Override
        public Expr visitBinaryExpr(IommufdSimParser.BinaryExprContext ctx) {
            return new Expr.Binary(binaryOp(ctx.op), visit(ctx.expr(0)), visit(ctx.expr(1)), pos(ctx.op));
        }

        @Override
        public Expr visitNumberLit(IommufdSimParser.NumberLitContext ctx) {
            Long v = literals.number(ctx.getText());
            if (v == null) {
                error(ctx.getStart(), literals.error);
                v = 0L;
            }
            return new Expr.NumberLit(v, pos(ctx.getStart()));
        }

        @Override
        public Expr visitStringLit(IommufdSimParser.StringLitContext ctx) {
            String s = literals.string(ctx.getText());
            if (s == null) {
                error(ctx.getStart(), literals.error);
                s = "";
            }
            return new Expr.StringLit(s, pos(ctx.getStart()));
        }

        @Override
        public Expr visitBoolLit(IommufdSimParser.BoolLitContext ctx) {
            return new Expr.BoolLit(ctx.TRUE() != null, pos(ctx.getStart()));
        }

        @Override
        public Expr visitNoneLit(IommufdSimParser.NoneLitContext ctx) {
            return new Expr.NoneLit(pos(ctx.getStart()));
        }

        @Override
        public Expr visitCallExpr(IommufdSimParser.CallExprContext ctx) {
            return call(ctx.call());
        }

        @Override
        public Expr visitNameExpr(IommufdSimParser.NameExprContext ctx) {
            return new Expr.Name(ctx.getText(), pos(ctx.getStart()));
        }

        @Override
        public Expr visitParenExpr(IommufdSimParser.ParenExprContext ctx) {
            return visit(ctx.expr());
        }

        @Override
        public Expr visitListLit(IommufdSimParser.ListLitContext ctx) {
            List<Expr> elements = new ArrayList<>();
            for (var e : ctx.expr()) {
                elements.add(visit(e));
            }
            return new Expr.ListLit(elements, pos(ctx.getStart()));
        }

        @Override
        public Expr visitRecordLit(IommufdSimParser.RecordLitContext ctx) {
            List<Expr.FieldInit> fields = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (FieldContext f : ctx.field()) {
                String name = f.name().getText();
                if (!names.add(name)) {
                    error(f.getStart(), "field '" + name + "' appears twice in the record");
                }
                fields.add(new Expr.FieldInit(name, visit(f.expr()), pos(f.getStart())));
            }
            return new Expr.RecordLit(fields, pos(ctx.getStart()));
        }
    }

    private static BinaryOp binaryOp(Token t) {
        return switch (t.getType()) {
            case IommufdSimLexer.STAR -> BinaryOp.MUL;
            case IommufdSimLexer.SLASH -> BinaryOp.DIV;
            case IommufdSimLexer.PERCENT -> BinaryOp.MOD;
            case IommufdSimLexer.PLUS -> BinaryOp.ADD;
            case IommufdSimLexer.MINUS -> BinaryOp.SUB;
            case IommufdSimLexer.SHL -> BinaryOp.SHL;
            case IommufdSimLexer.SHR -> BinaryOp.SHR;
            case IommufdSimLexer.AMP -> BinaryOp.BIT_AND;
            case IommufdSimLexer.CARET -> BinaryOp.BIT_XOR;
            case IommufdSimLexer.PIPE -> BinaryOp.BIT_OR;
            case IommufdSimLexer.DOTDOT -> BinaryOp.RANGE;
            case IommufdSimLexer.EQ -> BinaryOp.EQ;
            case IommufdSimLexer.NE -> BinaryOp.NE;
            case IommufdSimLexer.LT -> BinaryOp.LT;
            case IommufdSimLexer.LE -> BinaryOp.LE;
            case IommufdSimLexer.GT -> BinaryOp.GT;
            case IommufdSimLexer.GE -> BinaryOp.GE;
            case IommufdSimLexer.IN -> BinaryOp.IN;
            case IommufdSimLexer.AND, IommufdSimLexer.ANDAND -> BinaryOp.AND;
            case IommufdSimLexer.OR, IommufdSimLexer.OROR -> BinaryOp.OR;
            default -> throw new IllegalStateException("binary operator " + t.getText());
        };
    }
}
