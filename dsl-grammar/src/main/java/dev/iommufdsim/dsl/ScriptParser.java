package dev.iommufdsim.dsl;

import static dev.iommufdsim.dsl.IommufdSimLexer.*;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;

/**
 * The parser front end: source text in, an immutable {@link Script} out, or a
 * {@link SyntaxErrorException} listing every syntax error with its position. Scripts and
 * REPL entries go through the same rule, so they never diverge.
 */
public final class ScriptParser {

    private ScriptParser() {
    }

    /**
     * Parses a whole script or REPL entry.
     *
     * @param source   the text
     * @param fileName the name positions will carry ("setup.iommu", "&lt;repl&gt;")
     * @throws SyntaxErrorException with all syntax errors, in source order
     */
    public static Script parse(String source, String fileName) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        SyntaxErrorListener listener = new SyntaxErrorListener(fileName, diagnostics);
        CharStream chars = CharStreams.fromString(source, fileName);
        IommufdSimLexer lexer = new IommufdSimLexer(chars);
        lexer.removeErrorListeners();
        lexer.addErrorListener(listener);
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        IommufdSimParser parser = new IommufdSimParser(tokens);
        parser.removeErrorListeners();

        // Stage 1: SLL prediction, giving up at the first error. Nearly every correct input
        // parses here, and SLL is much faster than full LL.
        parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
        parser.setErrorHandler(new BailErrorStrategy());
        IommufdSimParser.ScriptContext tree;
        try {
            tree = parser.script();
        } catch (ParseCancellationException e) {
            // Stage 2: full LL with error recovery, for a real error (reported with all the
            // others) or for the rare input only full LL can parse.
            tokens.seek(0);
            parser.reset();
            parser.addErrorListener(listener);
            parser.setErrorHandler(new StatementRecovery());
            parser.getInterpreter().setPredictionMode(PredictionMode.LL);
            tree = parser.script();
        }
        if (!diagnostics.isEmpty()) {
            throw new SyntaxErrorException(sorted(diagnostics));
        }
        Script script = new AstBuilder(fileName, chars, diagnostics).script(tree, source);
        if (!diagnostics.isEmpty()) {
            throw new SyntaxErrorException(sorted(diagnostics));
        }
        return script;
    }

    private static List<Diagnostic> sorted(List<Diagnostic> list) {
        list.sort(Comparator.comparingInt(Diagnostic::line).thenComparingInt(Diagnostic::col));
        return list;
    }

    /**
     * Whether the REPL has a whole entry: false while a bracket, brace or parenthesis is
     * open, a string is unterminated, or the text ends with a binary operator, a comma or
     * a backslash (so the console keeps reading lines); true otherwise, including for text
     * with a real syntax error, so that it gets parsed and reported.
     */
    public static boolean isComplete(String text) {
        IommufdSimLexer lexer = new IommufdSimLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        int depth = 0;
        Token last = null;
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
            switch (t.getType()) {
                case LPAREN, LBRACK, LBRACE -> depth++;
                case RPAREN, RBRACK, RBRACE -> {
                    if (--depth < 0) {
                        return true; // a stray closer will not be fixed by more lines
                    }
                }
                default -> {
                }
            }
            if (t.getType() != NL) {
                last = t;
            }
        }
        if (depth > 0) {
            return false;
        }
        if (last == null) {
            return true;
        }
        if (last.getType() == ERROR_CHAR && last.getText().equals("\\")) {
            return false; // a continuation backslash with no newline after it yet
        }
        return !continues(last.getType());
    }

    /** Tokens after which a statement cannot end. */
    private static boolean continues(int type) {
        return switch (type) {
            case UNTERMINATED_STRING,
                 PLUS, MINUS, STAR, SLASH, PERCENT, AMP, PIPE, CARET, TILDE, BANG, SHL, SHR,
                 EQ, NE, LT, LE, GT, GE, ANDAND, OROR, AND, OR, NOT, IN, DOTDOT, DOT,
                 ASSIGN, PLUS_ASSIGN, MINUS_ASSIGN, STAR_ASSIGN, SLASH_ASSIGN, PERCENT_ASSIGN,
                 AMP_ASSIGN, PIPE_ASSIGN, CARET_ASSIGN, SHL_ASSIGN, SHR_ASSIGN,
                 COMMA, COLON, ELSE, ELIF -> true;
            default -> false;
        };
    }
}
