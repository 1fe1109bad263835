package dev.iommufdsim.dsl;

import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;

/**
 * Error recovery at statement boundaries, jlox's "synchronize": after an error the parser
 * skips to the end of the statement (newline, ';' or the '}' closing the block) and goes on
 * with the next one. ANTLR's default resynchronises on any token that may follow the
 * failing rule, which here includes names and numbers, so one mistake produced a cascade
 * of errors on the following lines.
 */
final class StatementRecovery extends DefaultErrorStrategy {
    private int lastRecoveryIndex = -1;

    /**
     * No early resynchronisation in loops. The default deletes one unexpected token when
     * the one after it fits, and since a newline may follow an operator ({@code NL*} in the
     * grammar) that let `b = )` swallow its newline and run into the next statement. The
     * error is found one step later instead, by the rule that cannot match.
     */
    @Override
    public void sync(Parser recognizer) {
    }

    @Override
    public void recover(Parser recognizer, RecognitionException e) {
        TokenStream in = recognizer.getInputStream();
        if (lastRecoveryIndex == in.index() && in.LA(1) != Token.EOF) {
            // Recovering twice at the same place: no rule can use this token. Drop it so
            // the parse always makes progress.
            recognizer.consume();
        }
        lastRecoveryIndex = in.index();
        beginErrorCondition(recognizer);
        for (int t = in.LA(1); t != Token.EOF && t != IommufdSimLexer.NL && t != IommufdSimLexer.SEMI
                && t != IommufdSimLexer.RBRACE; t = in.LA(1)) {
            recognizer.consume();
        }
        endErrorCondition(recognizer);
    }
}
