package dev.iommufdsim.repl.cli;

import dev.iommufdsim.repl.interp.Engine;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jline.reader.Candidate;
import org.jline.reader.EOFError;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import org.jline.reader.impl.DefaultParser;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;

/** The JLine side of the console: completion, colouring and multi-line input, all asking the engine. */
final class ConsoleSupport {
    private ConsoleSupport() {
    }

    /** Completion candidates come from the engine (built-ins, argument names, flags, live variables). */
    static final class EngineCompleter implements org.jline.reader.Completer {
        private final Engine engine;

        EngineCompleter(Engine engine) {
            this.engine = engine;
        }

        @Override
        public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
            String text = line.line();
            int cursor = line.cursor();
            for (String c : engine.complete(text, cursor)) {
                boolean argName = c.endsWith(":");
                candidates.add(new Candidate(argName ? c + " " : c, c, null, null, null, null, !argName));
            }
        }
    }

    /** Keeps reading lines while the engine says the statement is incomplete. */
    static final class MultiLineParser extends DefaultParser {
        private final Engine engine;

        MultiLineParser(Engine engine) {
            this.engine = engine;
            setEofOnUnclosedQuote(false);
            setEofOnUnclosedBracket();
        }

        @Override
        public ParsedLine parse(String line, int cursor, ParseContext context) {
            if (context == ParseContext.ACCEPT_LINE && !engine.isComplete(line)) {
                throw new EOFError(-1, cursor, "incomplete statement");
            }
            return super.parse(line, cursor, context);
        }
    }

    /** Syntax colouring: keywords, built-ins, constants, numbers, strings and comments. */
    static final class Highlighter implements org.jline.reader.Highlighter {
        private static final Pattern TOKEN = Pattern.compile(
                "(#.*)|(\"(?:[^\"\\\\]|\\\\.)*\"?)|(\\b0[xX][0-9a-fA-F_]+[KMGT]?\\b|\\b0[bB][01_]+\\b|\\b[0-9][0-9_]*[KMGT]?\\b)|([A-Za-z_][A-Za-z0-9_]*)");
        private static final Set<String> KEYWORDS = Set.of("if", "elif", "else", "for", "in", "while", "fn", "return", "break",
                "continue", "source", "expect", "fails", "show", "iommu", "device", "true", "false", "and", "or", "not", "none");
        private final Engine engine;

        Highlighter(Engine engine) {
            this.engine = engine;
        }

        @Override
        public AttributedString highlight(LineReader reader, String buffer) {
            AttributedStringBuilder sb = new AttributedStringBuilder();
            Matcher m = TOKEN.matcher(buffer);
            int last = 0;
            while (m.find()) {
                sb.append(buffer, last, m.start());
                AttributedStyle style = AttributedStyle.DEFAULT;
                if (m.group(1) != null) {
                    style = AttributedStyle.DEFAULT.foreground(AttributedStyle.BRIGHT).italic();
                } else if (m.group(2) != null) {
                    style = AttributedStyle.DEFAULT.foreground(AttributedStyle.GREEN);
                } else if (m.group(3) != null) {
                    style = AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN);
                } else {
                    String w = m.group(4);
                    if (KEYWORDS.contains(w)) {
                        style = AttributedStyle.BOLD.foreground(AttributedStyle.MAGENTA);
                    } else if (engine.table().lookup(w) != null) {
                        style = AttributedStyle.DEFAULT.foreground(AttributedStyle.BLUE);
                    } else if (engine.table().constant(w) != null) {
                        style = AttributedStyle.DEFAULT.foreground(AttributedStyle.YELLOW);
                    }
                }
                sb.styled(style, m.group());
                last = m.end();
            }
            sb.append(buffer.substring(last));
            return sb.toAttributedString();
        }
    }
}
