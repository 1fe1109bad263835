package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;
import java.util.List;

/** Statement nodes for blocks, assignment and control flow. */
final class StmtNodes {
    private StmtNodes() {
    }

    /** A statement list; each statement executed is one step against the engine's limit. */
    static final class Block extends StmtNode {
        private final StmtNode[] statements;
        private final Engine engine;

        Block(SourcePos pos, StmtNode[] statements, Engine engine) {
            super(pos);
            this.statements = statements;
            this.engine = engine;
        }

        @Override
        int exec(Frame f) {
            for (StmtNode s : statements) {
                engine.step(s.pos);
                int status = s.exec(f);
                if (status != NORMAL) {
                    return status;
                }
            }
            return NORMAL;
        }
    }

    /** An expression for its effect; at the top level of the evaluated text its value is echoed. */
    static final class ExprStmt extends StmtNode {
        private final Node expr;
        private final Engine echoTo;

        ExprStmt(SourcePos pos, Node expr, Engine echoTo) {
            super(pos);
            this.expr = expr;
            this.echoTo = echoTo;
        }

        @Override
        int exec(Frame f) {
            Object v = expr.eval(f);
            if (echoTo != null) {
                echoTo.echo(v, pos);
            }
            return NORMAL;
        }
    }

    /** Assignment and machine declarations (whose value is the declaring built-in's result). */
    static final class Assign extends StmtNode {
        private final Target target;
        private final Node value;

        Assign(SourcePos pos, Target target, Node value) {
            super(pos);
            this.target = target;
            this.value = value;
        }

        @Override
        int exec(Frame f) {
            target.set(f, value.eval(f));
            return NORMAL;
        }
    }

    static final class If extends StmtNode {
        private final Node[] conditions;
        private final StmtNode[] bodies;
        private final StmtNode elseBody;

        If(SourcePos pos, Node[] conditions, StmtNode[] bodies, StmtNode elseBody) {
            super(pos);
            this.conditions = conditions;
            this.bodies = bodies;
            this.elseBody = elseBody;
        }

        @Override
        int exec(Frame f) {
            for (int i = 0; i < conditions.length; i++) {
                if (Values.truthy(conditions[i].eval(f))) {
                    return bodies[i].exec(f);
                }
            }
            return elseBody.exec(f);
        }
    }

    /** Loops count a step per iteration too, so that even an empty body meets the limit. */
    static final class While extends StmtNode {
        private final Node condition;
        private final StmtNode body;
        private final Engine engine;

        While(SourcePos pos, Node condition, StmtNode body, Engine engine) {
            super(pos);
            this.condition = condition;
            this.body = body;
            this.engine = engine;
        }

        @Override
        int exec(Frame f) {
            while (Values.truthy(condition.eval(f))) {
                engine.step(pos);
                int status = body.exec(f);
                if (status == BREAK) {
                    break;
                } else if (status == RETURN) {
                    return RETURN;
                }
            }
            return NORMAL;
        }
    }

    /** {@code for x in a..b} (inclusive, unsigned, safe up to 2^64-1) and {@code for x in list}. */
    static final class For extends StmtNode {
        private final Target variable;
        private final Node iterable;
        private final StmtNode body;
        private final Engine engine;

        For(SourcePos pos, Target variable, Node iterable, StmtNode body, Engine engine) {
            super(pos);
            this.variable = variable;
            this.iterable = iterable;
            this.body = body;
            this.engine = engine;
        }

        @Override
        int exec(Frame f) {
            Object over = iterable.eval(f);
            if (over instanceof Range r) {
                if (r.isEmpty()) {
                    return NORMAL;
                }
                for (long i = r.start(); ; i++) {
                    engine.step(pos);
                    variable.set(f, i);
                    int status = body.exec(f);
                    if (status == RETURN) {
                        return RETURN;
                    } else if (status == BREAK || i == r.last()) {
                        break;
                    }
                }
                return NORMAL;
            } else if (over instanceof List<?> list) {
                for (Object v : list) {
                    engine.step(pos);
                    variable.set(f, v);
                    int status = body.exec(f);
                    if (status == BREAK) {
                        break;
                    } else if (status == RETURN) {
                        return RETURN;
                    }
                }
                return NORMAL;
            }
            throw new RuntimeError(iterable.pos, "for needs a range (a..b) or a list, got " + Values.typeName(over));
        }
    }

    static final class Return extends StmtNode {
        private final Node value;

        Return(SourcePos pos, Node value) {
            super(pos);
            this.value = value;
        }

        @Override
        int exec(Frame f) {
            f.returnValue = value == null ? None.NONE : value.eval(f);
            return RETURN;
        }
    }

    /** {@code break} and {@code continue}: nothing to do but say so. */
    static final class Jump extends StmtNode {
        private final int status;

        Jump(SourcePos pos, int status) {
            super(pos);
            this.status = status;
        }

        @Override
        int exec(Frame f) {
            return status;
        }
    }
}
