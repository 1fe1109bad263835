package dev.iommufdsim.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SyntaxErrorTest {

    static List<Diagnostic> errors(String text) {
        return assertThrows(SyntaxErrorException.class, () -> ScriptParser.parse(text, "s.iommu")).diagnostics();
    }

    /** "line:col message" of the single error. */
    static String error(String text) {
        List<Diagnostic> d = errors(text);
        assertEquals(1, d.size(), () -> "errors: " + d);
        return d.get(0).line() + ":" + d.get(0).col() + " " + d.get(0).message();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "f(a, b                  | 1:7 expected ')' after argument list",
        "f(a b)                  | 1:5 expected ')' after argument list",
        "x = [1, 2               | 1:10 expected ']' after list elements",
        "x = {a: 1               | 1:10 expected '}' after record fields",
        "x = l[0                 | 1:8 expected ']' after index",
        "x = (1 + 2              | 1:11 expected ')' to close '('",
        "fn f(a { }              | 1:8 expected ')' after parameter list",
        "x =                     | 1:4 expected an expression after '='",
        "x = 1 +                 | 1:8 expected an expression after '+'",
        "show                    | 1:5 expected an expression after 'show'",
        "x = 1 2                 | 1:7 unexpected '2'; a statement ends at a newline or ';'",
        "while x                 | 1:8 expected '{' to start the block",
        "if x { } else           | 1:14 expected '{' or 'if' after 'else'",
        "expect f() fails 3      | 1:18 expected an errno name (EINVAL, EEXIST, ...) after 'fails'",
        "x = \"abc               | 1:5 unterminated string (no closing '\"')",
        "x = @                   | 1:5 unexpected character '@'",
        "x = 4KB                 | 1:5 malformed number '4KB' (numbers are decimal, 0x hex or 0b binary; size suffixes are K, M, G, T)",
        "x = 0x1_0000_0000_0000_0000 | 1:5 number 0x1_0000_0000_0000_0000 does not fit in 64 bits",
        "x = 16777216T           | 1:5 number 16777216T does not fit in 64 bits",
        "x = \"a\\q\"            | 1:5 unknown escape '\\q' in string (use \\n \\t \\r \\0 \\\\ \\\" or \\xHH)",
        "f(a: 1, 2)              | 1:9 positional argument after named arguments",
        "f(a: 1, a: 2)           | 1:9 argument 'a' is given twice",
        "x = {a: 1, a: 2}        | 1:12 field 'a' appears twice in the record",
        "fn f(a, a) { }          | 1:9 parameter 'a' appears twice",
        "foo bar = x()           | 1:1 'foo bar = ...' is not a statement; a declaration starts with 'iommu' or 'device'",
        "a.b = 1                 | 1:5 only a plain variable can be assigned ('name = value'); records and lists are immutable",
        "}                       | 1:1 unexpected '}' (no block is open)",
        "for x 0..1 { }          | 1:7 unexpected '0'; expected 'in'",
        "source foo              | 1:8 unexpected 'foo'; expected a string",
    })
    void messagesInTheUsersTerms(String text, String expected) {
        assertEquals(expected, error(text.strip()));
    }

    @Test
    void missingBraceIsReportedWhereTheBlockShouldHaveClosed() {
        assertEquals("2:8 expected '}' to close the block opened at line 1", error("fn f() {\n  a = 1\n"));
    }

    @Test
    void elseOnItsOwnLine() {
        assertEquals("3:1 'else' must be on the same line as the '}' before it", error("if x {\n}\nelse {\n}"));
    }

    @Test
    void operatorStartingALine() {
        assertEquals("2:1 unexpected '+' at the start of a statement"
                + " (to continue an expression on the next line, end the line with the operator)", error("x = 1\n+ 2"));
    }

    @Test
    void recoversAndReportsEveryBadLine() {
        List<Diagnostic> d = errors("""
                a = 1
                b = )
                c = 3 4
                d = 5
                if x { e = ) }
                f(1""");
        assertEquals(List.of(
                "s.iommu:2:5: expected an expression after '='",
                "s.iommu:3:7: unexpected '4'; a statement ends at a newline or ';'",
                "s.iommu:5:12: expected an expression after '='",
                "s.iommu:6:4: expected ')' after argument list"),
                d.stream().map(Diagnostic::toString).collect(Collectors.toList()));
    }

    @Test
    void exceptionMessageListsAllWithoutStackTrace() {
        SyntaxErrorException e = assertThrows(SyntaxErrorException.class, () -> ScriptParser.parse("x = )\ny = )", "f"));
        assertEquals("f:1:5: expected an expression after '='\nf:2:5: expected an expression after '='", e.getMessage());
        assertEquals(0, e.getStackTrace().length);
    }
}
