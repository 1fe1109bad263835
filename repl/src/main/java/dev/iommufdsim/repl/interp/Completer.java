package dev.iommufdsim.repl.interp;

import static dev.iommufdsim.dsl.IommufdSimLexer.*;

import dev.iommufdsim.dsl.IommufdSimLexer;
import dev.iommufdsim.kernel.uapi.Errno;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;

/**
 * Completion for the console: looks at the tokens before the cursor to tell the place
 * (statement start, inside a call's parentheses, after a dot, after {@code fails}) and
 * offers what fits there, from the table of built-ins, the engine's live state and the
 * host's {@link CompletionContributor}s.
 */
final class Completer {
    private static final List<String> STATEMENT_KEYWORDS = List.of(
            "break", "continue", "device", "expect", "fn", "for", "if", "iommu", "return", "show", "source", "while");

    private final Engine engine;
    private final BuiltinTable table;

    Completer(Engine engine) {
        this.engine = engine;
        this.table = engine.table();
    }

    List<String> complete(String text, int cursor) {
        String before = text.substring(0, Math.min(cursor, text.length()));
        int start = before.length();
        while (start > 0 && isIdentifierChar(before.charAt(start - 1))) {
            start--;
        }
        String word = before.substring(start);
        List<Token> tokens = tokens(before.substring(0, start));
        Token last = tokens.isEmpty() ? null : tokens.get(tokens.size() - 1);
        int lastEnd = last == null ? 0 : last.getStopIndex() + 1;
        if (last != null && last.getType() == UNTERMINATED_STRING || before.substring(lastEnd, start).contains("#")) {
            return List.of(); // inside a string or a comment
        }
        Set<String> out = new LinkedHashSet<>();
        int prev = last == null ? NL : last.getType();
        if (!word.isEmpty() && Character.isDigit(word.charAt(0))) {
            // A number: only values the host knows for this argument (live object IDs) fit.
            ArgPlace place = place(tokens);
            if (place != null && place.param() != null) {
                out.addAll(contributed(place.callee(), place.param()));
            }
        } else if (prev == DOT) {
            fields(tokens, out);
        } else if (prev == FAILS) {
            errnos(out);
        } else if (declarationKind(tokens, tokens.size()) != null) {
            out.addAll(table.names(declarationKind(tokens, tokens.size())));
        } else if (!call(tokens, word, out)) {
            if (prev == NL || prev == SEMI || prev == LBRACE || prev == RBRACE) {
                if (prev == RBRACE) {
                    out.add("elif");
                    out.add("else");
                }
                expression(word, out);
                out.addAll(STATEMENT_KEYWORDS);
            } else {
                expression(word, out);
            }
        }
        List<String> result = new ArrayList<>();
        for (String c : out) {
            if (c.startsWith(word)) {
                result.add(c);
            }
        }
        return result;
    }

    /** Variables, functions, built-ins; constants too once a letter is typed (there are many). */
    private void expression(String word, Set<String> out) {
        out.addAll(new TreeSet<>(engine.variables().keySet()));
        out.addAll(engine.functionNames());
        out.addAll(table.names());
        if (!word.isEmpty()) {
            out.addAll(table.constantNames());
        }
    }

    private void errnos(Set<String> out) {
        for (String name : table.constantNames()) {
            if (table.constant(name) instanceof Errno) {
                out.add(name);
            }
        }
    }

    /** After {@code variable.}: the fields of the variable's current value. */
    private void fields(List<Token> tokens, Set<String> out) {
        if (tokens.size() >= 2 && tokens.get(tokens.size() - 2).getType() == ID) {
            Object v = engine.variable(tokens.get(tokens.size() - 2).getText());
            if (v != null) {
                out.addAll(ExprNodes.fieldNames(v));
            }
        }
    }

    /**
     * Where the cursor is in a call: the callee, its parameters, the arguments given so far
     * at the call's own depth, and the parameter the argument being typed fills (null if
     * none fits).
     *
     * @param atArgStart whether the cursor is at the start of an argument (nothing typed
     *                   in it yet but the partial word)
     */
    private record ArgPlace(String callee, Builtin builtin, List<String> params, Set<String> used, int positional,
                            boolean atArgStart, String param) {
    }

    /** The call whose parentheses hold the end of the tokens, or null when the cursor is not in a call. */
    private ArgPlace place(List<Token> tokens) {
        Deque<Integer> open = new ArrayDeque<>();
        for (int i = 0; i < tokens.size(); i++) {
            int t = tokens.get(i).getType();
            if (t == LPAREN || t == LBRACK || t == LBRACE) {
                open.push(i);
            } else if ((t == RPAREN || t == RBRACK || t == RBRACE) && !open.isEmpty()) {
                open.pop();
            }
        }
        if (open.isEmpty() || tokens.get(open.peek()).getType() != LPAREN) {
            return null;
        }
        int paren = open.peek();
        if (paren == 0 || tokens.get(paren - 1).getType() != ID) {
            return null;
        }
        String callee = tokens.get(paren - 1).getText();
        Builtin.Kind kind = declarationKind(tokens, paren - 1);
        Builtin b = table.lookup(kind == null ? Builtin.Kind.FUNCTION : kind, callee);
        List<String> params = new ArrayList<>();
        if (b != null) {
            b.params().forEach(p -> params.add(p.name()));
        } else if (engine.userFunction(callee) != null) {
            params.addAll(engine.userFunction(callee).params);
        }
        // The arguments so far, at the call's own depth: names used, positionals given.
        Set<String> used = new TreeSet<>();
        int positional = 0;
        int argStart = paren + 1;
        int depth = 0;
        for (int i = paren + 1; i < tokens.size(); i++) {
            int t = tokens.get(i).getType();
            if (t == LPAREN || t == LBRACK || t == LBRACE) {
                depth++;
            } else if (t == RPAREN || t == RBRACK || t == RBRACE) {
                depth--;
            } else if (depth == 0 && t == COMMA) {
                if (isNamed(tokens, argStart)) {
                    used.add(tokens.get(argStart).getText());
                } else {
                    positional++;
                }
                argStart = i + 1;
            }
        }
        boolean atArgStart = argStart == tokens.size();
        String param;
        if (!atArgStart && isNamed(tokens, argStart)) {
            param = tokens.get(argStart).getText();
        } else {
            param = positional < params.size() ? params.get(positional) : null;
        }
        return new ArgPlace(callee, b, params, used, positional, atArgStart, param);
    }

    /**
     * Inside the parentheses of a call: unused "name:" forms at an argument's start, the
     * parameter's constants and the host's values for it (live object IDs) in its value.
     * False when the cursor is not in a call.
     */
    private boolean call(List<Token> tokens, String word, Set<String> out) {
        ArgPlace place = place(tokens);
        if (place == null) {
            return false;
        }
        if (place.atArgStart()) {
            List<String> params = place.params();
            for (int i = place.positional(); i < params.size(); i++) {
                if (!place.used().contains(params.get(i))) {
                    out.add(params.get(i) + ":");
                }
            }
        }
        Builtin b = place.builtin();
        String param = place.param();
        if (param != null) {
            if (b != null && b.paramIndex(param) >= 0) {
                out.addAll(b.params().get(b.paramIndex(param)).constants());
            }
            out.addAll(contributed(place.callee(), param));
        }
        expression(word, out);
        return true;
    }

    /** What the host's contributors offer for the argument; a contributor that fails offers nothing. */
    private List<String> contributed(String callee, String param) {
        List<String> values = new ArrayList<>();
        for (CompletionContributor c : engine.completionContributors()) {
            try {
                values.addAll(c.argumentValues(callee, param));
            } catch (RuntimeException e) {
                // Completion is a convenience: a broken contributor must not break typing.
            }
        }
        return values;
    }

    private static boolean isNamed(List<Token> tokens, int at) {
        return at + 1 < tokens.size() && tokens.get(at + 1).getType() == COLON;
    }

    /**
     * The kind of built-in called at {@code tokens[end]} when the tokens before it are
     * {@code iommu NAME =} or {@code device NAME =} at a statement start; else null.
     */
    private static Builtin.Kind declarationKind(List<Token> tokens, int end) {
        if (end < 3 || tokens.get(end - 1).getType() != ASSIGN || tokens.get(end - 2).getType() != ID
                || tokens.get(end - 3).getType() != ID) {
            return null;
        }
        if (end > 3) {
            int t = tokens.get(end - 4).getType();
            if (t != NL && t != SEMI && t != LBRACE && t != RBRACE) {
                return null;
            }
        }
        return switch (tokens.get(end - 3).getText()) {
            case "iommu" -> Builtin.Kind.IOMMU;
            case "device" -> Builtin.Kind.DEVICE;
            default -> null;
        };
    }

    /** The tokens of the text, without the zero-width statement ends the lexer adds. */
    private static List<Token> tokens(String text) {
        IommufdSimLexer lexer = new IommufdSimLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        List<Token> out = new ArrayList<>();
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
            if (t.getType() != NL || !t.getText().isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    private static boolean isIdentifierChar(char c) {
        return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
    }
}
