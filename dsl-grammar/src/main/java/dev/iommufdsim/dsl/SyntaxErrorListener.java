package dev.iommufdsim.dsl;

import static dev.iommufdsim.dsl.IommufdSimLexer.*;

import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.RuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * The one place syntax errors go: turns ANTLR's reports ("mismatched input ... expecting
 * {...}") into messages in the user's terms and records them as diagnostics. Only the
 * first error of a line is kept; the ones after it are mostly the parser's recovery
 * echoing the same mistake.
 */
final class SyntaxErrorListener extends BaseErrorListener {
    private final String file;
    private final List<Diagnostic> diagnostics;
    private int lastLine = -1;
    private boolean reportedAtEof;

    SyntaxErrorListener(String file, List<Diagnostic> diagnostics) {
        this.file = file;
        this.diagnostics = diagnostics;
    }

    @Override
    public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line,
                            int charPositionInLine, String msg, RecognitionException e) {
        if (!(recognizer instanceof Parser parser) || !(offendingSymbol instanceof Token token)) {
            // The lexer never fails (ERROR_CHAR takes any character), but be safe.
            add(line, charPositionInLine + 1, msg);
            return;
        }
        if (token.getType() == Token.EOF) {
            // Recovery at the end of input produces one follow-up per open rule.
            if (reportedAtEof) {
                return;
            }
            reportedAtEof = true;
        }
        Message m = message(parser, token);
        add(m.line, m.col, m.text);
    }

    private void add(int line, int col, String message) {
        if (line == lastLine) {
            return;
        }
        lastLine = line;
        diagnostics.add(new Diagnostic(file, line, col, message));
    }

    private record Message(int line, int col, String text) {
    }

    private Message message(Parser parser, Token token) {
        int line = token.getLine();
        int col = token.getCharPositionInLine() + 1;
        switch (token.getType()) {
            case UNTERMINATED_STRING:
                return new Message(line, col, "unterminated string (no closing '\"')");
            case ERROR_CHAR:
                return new Message(line, col, "unexpected character '" + token.getText() + "'");
            case BAD_NUMBER:
                return new Message(line, col, "malformed number '" + token.getText()
                        + "' (numbers are decimal, 0x hex or 0b binary; size suffixes are K, M, G, T)");
            default:
                break;
        }
        IntervalSet expected = parser.getExpectedTokens();
        // The token before the offending one (not the parser's LT(-1): a failed prediction
        // reports a token further on than the parser has consumed).
        Token prev = previous(parser, token);
        boolean hasPrev = prev != null;
        String closer = closerMessage(parser, expected, token);
        String text;
        if (closer != null) {
            text = closer;
        } else if (hasPrev && prev.getType() == FAILS) {
            text = "expected an errno name (EINVAL, EEXIST, ...) after 'fails'";
        } else if (hasPrev && prev.getType() == ELSE && (token.getType() == Token.EOF || token.getType() == NL)) {
            text = "expected '{' or 'if' after 'else'";
        } else if ((token.getType() == ELSE || token.getType() == ELIF) && startsLine(parser, token)) {
            text = "'" + token.getText() + "' must be on the same line as the '}' before it";
        } else if (token.getType() == RBRACE && parser.getContext() instanceof IommufdSimParser.ScriptContext) {
            text = "unexpected '}' (no block is open)";
        } else if (isAssignment(token.getType())) {
            text = "only a plain variable can be assigned ('name = value'); records and lists are immutable";
        } else if (parser.getContext() instanceof IommufdSimParser.SepContext) {
            text = "unexpected " + describe(token) + "; a statement ends at a newline or ';'";
        } else if (isBinaryOperator(token.getType()) && startsLine(parser, token)) {
            text = "unexpected " + describe(token) + " at the start of a statement"
                    + " (to continue an expression on the next line, end the line with the operator)";
        } else if (expectsExpression(expected)) {
            text = hasPrev ? "expected an expression after '" + prev.getText() + "'" : "expected an expression";
        } else if (expected.contains(LBRACE) && !atStatementStart(expected)) {
            text = hasPrev && prev.getType() == ELSE ? "expected '{' after 'else'" : "expected '{' to start the block";
        } else if (atStatementStart(expected)) {
            text = "unexpected " + describe(token);
        } else if (expected.contains(NL) || expected.contains(Token.EOF)) {
            text = "unexpected " + describe(token) + "; a statement ends at a newline or ';'";
        } else {
            text = "unexpected " + describe(token) + expectedList(parser, expected);
        }
        // "Expected X" after the last good token reads better at the place X was due,
        // when the offending token is on a later line or the end of input.
        if (text.startsWith("expected") && hasPrev
                && (token.getType() == Token.EOF || token.getLine() > endLine(prev))) {
            return new Message(endLine(prev), endCol(prev) + 1, text);
        }
        return new Message(line, col, text);
    }

    /** A message for a missing closing bracket, or null when that is not what is wrong. */
    private static String closerMessage(Parser parser, IntervalSet expected, Token token) {
        RuleContext ctx = parser.getContext();
        if (ctx == null) {
            return null;
        }
        int rule = ctx.getRuleIndex();
        if (expected.contains(RPAREN) && (rule == IommufdSimParser.RULE_argList
                || rule == IommufdSimParser.RULE_call || rule == IommufdSimParser.RULE_arg)) {
            return "expected ')' after argument list";
        }
        if (expected.contains(RPAREN) && (rule == IommufdSimParser.RULE_paramList
                || ctx instanceof IommufdSimParser.FnStmtContext)) {
            return "expected ')' after parameter list";
        }
        if (expected.contains(RPAREN) && rule == IommufdSimParser.RULE_primary && !expectsExpression(expected)) {
            return "expected ')' to close '('";
        }
        if (expected.contains(RBRACK) && rule == IommufdSimParser.RULE_primary && !expectsExpression(expected)) {
            return "expected ']' after list elements";
        }
        if (expected.contains(RBRACK) && rule == IommufdSimParser.RULE_expr && !expectsExpression(expected)) {
            return "expected ']' after index";
        }
        if (expected.contains(RBRACE) && rule == IommufdSimParser.RULE_primary) {
            return "expected '}' after record fields";
        }
        if (expected.contains(RBRACE) && rule == IommufdSimParser.RULE_block
                && token.getType() == Token.EOF) {
            Token open = ((IommufdSimParser.BlockContext) ctx).getStart();
            return "expected '}' to close the block opened at line " + open.getLine();
        }
        return null;
    }

    /** True where only an expression can come (not also a statement, as in a block). */
    private static boolean expectsExpression(IntervalSet expected) {
        return expected.contains(NUMBER) && expected.contains(ID) && expected.contains(LPAREN)
                && !expected.contains(IF);
    }

    /** True where a statement may start (the only keyword-led construct besides else-if). */
    private static boolean atStatementStart(IntervalSet expected) {
        return expected.contains(WHILE);
    }

    /** The last token before this one that is not a newline, or null. */
    private static Token previous(Parser parser, Token token) {
        for (int i = token.getTokenIndex() - 1; i >= 0; i--) {
            Token t = parser.getTokenStream().get(i);
            if (t.getType() != NL) {
                return t;
            }
        }
        return null;
    }

    /** Whether the token is the first of its line (a statement start, then). */
    private static boolean startsLine(Parser parser, Token token) {
        int i = token.getTokenIndex() - 1;
        if (i < 0) {
            return true;
        }
        int type = parser.getTokenStream().get(i).getType();
        return type == NL || type == SEMI;
    }

    private static boolean isAssignment(int type) {
        return type >= PLUS_ASSIGN && type <= SHR_ASSIGN || type == ASSIGN;
    }

    private static boolean isBinaryOperator(int type) {
        return switch (type) {
            case PLUS, STAR, SLASH, PERCENT, AMP, PIPE, CARET, SHL, SHR, EQ, NE, LT, LE, GT, GE,
                 ANDAND, OROR, AND, OR, DOTDOT, DOT, COMMA -> true;
            default -> false;
        };
    }

    private static String describe(Token t) {
        return switch (t.getType()) {
            case Token.EOF -> "end of input";
            case NL -> t.getText().isEmpty() ? "end of statement" : "end of line";
            default -> "'" + t.getText() + "'";
        };
    }

    private static String expectedList(Parser parser, IntervalSet expected) {
        List<String> names = new ArrayList<>();
        for (int type : expected.toList()) {
            if (type == NL || type == SEMI) {
                continue;
            }
            String name = type == Token.EOF ? "end of input" : parser.getVocabulary().getLiteralName(type);
            if (name == null) {
                name = switch (type) {
                    case ID -> "a name";
                    case NUMBER -> "a number";
                    case STRING -> "a string";
                    default -> parser.getVocabulary().getDisplayName(type);
                };
            }
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        if (names.isEmpty() || names.size() > 6) {
            return "";
        }
        if (names.size() == 1) {
            return "; expected " + names.get(0);
        }
        return "; expected " + String.join(", ", names.subList(0, names.size() - 1))
                + " or " + names.get(names.size() - 1);
    }

    private static int endLine(Token t) {
        String s = t.getText();
        int n = t.getLine();
        for (int i = 0; s != null && i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }

    /** The 1-based column of the token's last character. */
    private static int endCol(Token t) {
        String s = t.getText() == null ? "" : t.getText();
        int nl = s.lastIndexOf('\n');
        return nl < 0 ? t.getCharPositionInLine() + s.length() : s.length() - nl - 1;
    }
}
