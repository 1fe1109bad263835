package dev.iommufdsim.repl.cli;

import dev.iommufdsim.repl.interp.Engine;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jline.reader.Buffer;
import org.jline.reader.Candidate;
import org.jline.reader.CompletingParsedLine;
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

    /**
     * Completion candidates come from the engine (built-ins, argument names, flags, live
     * variables, live object IDs). A completed word gets no space after it, as in JShell:
     * what follows a name is as often {@code (}, {@code ,} or {@code )} as a space; an
     * argument name comes with its {@code ": "}.
     */
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
                candidates.add(new Candidate(argName ? c + " " : c, c, null, null, null, null, false));
            }
        }
    }

    /**
     * Keeps reading lines while the engine says the statement is incomplete. For completion
     * the word is the identifier (or number) at the cursor, as the engine sees it, not the
     * shell word DefaultParser would cut at spaces: in {@code destroy(|} the word is empty
     * and in {@code ioas_map(ioas,fl|} it is {@code fl}.
     */
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
            if (context == ParseContext.COMPLETE) {
                return WordAtCursor.of(line, cursor);
            }
            return super.parse(line, cursor, context);
        }
    }

    /** The identifier around the cursor as the word to complete; candidates are inserted as they are (no shell escaping). */
    record WordAtCursor(String line, int cursor, int start, int end) implements CompletingParsedLine {
        static WordAtCursor of(String line, int cursor) {
            int c = Math.max(0, Math.min(cursor, line.length()));
            int start = c;
            while (start > 0 && isWordChar(line.charAt(start - 1))) {
                start--;
            }
            int end = c;
            while (end < line.length() && isWordChar(line.charAt(end))) {
                end++;
            }
            return new WordAtCursor(line, c, start, end);
        }

        private static boolean isWordChar(char ch) {
            return ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9';
        }

        @Override
        public String word() {
            return line.substring(start, end);
        }

        @Override
        public int wordCursor() {
            return cursor - start;
        }

        @Override
        public int wordIndex() {
            return 0;
        }

        @Override
        public List<String> words() {
            return List.of(word());
        }

        @Override
        public CharSequence escape(CharSequence candidate, boolean complete) {
            return candidate;
        }

        @Override
        public int rawWordCursor() {
            return wordCursor();
        }

        @Override
        public int rawWordLength() {
            return end - start;
        }
    }

    /**
     * Makes {@code )}, {@code ]} and {@code }} plain characters that only outdent a line
     * holding nothing else yet. JLine's own widgets delete up to INDENTATION spaces before
     * the bracket wherever it is typed, which turns {@code [1, 2] }} into {@code [1, 2]}} and
     * {@code "a }"} into {@code "a}"}.
     */
    static void installCloseBrackets(LineReader reader) {
        reader.getWidgets().put(LineReader.INSERT_CLOSE_PAREN, () -> closeBracket(reader, ')'));
        reader.getWidgets().put(LineReader.INSERT_CLOSE_SQUARE, () -> closeBracket(reader, ']'));
        reader.getWidgets().put(LineReader.INSERT_CLOSE_CURLY, () -> closeBracket(reader, '}'));
    }

    private static boolean closeBracket(LineReader reader, char bracket) {
        Buffer buf = reader.getBuffer();
        String before = buf.upToCursor();
        String lineSoFar = before.substring(before.lastIndexOf('\n') + 1);
        Object indentation = reader.getVariable(LineReader.INDENTATION);
        int indent = indentation instanceof Number n ? n.intValue() : 0;
        if (lineSoFar.isBlank()) {
            for (int i = 0; i < indent && buf.prevChar() == ' '; i++) {
                buf.backspace();
            }
        }
        buf.write(bracket);
        return true;
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
