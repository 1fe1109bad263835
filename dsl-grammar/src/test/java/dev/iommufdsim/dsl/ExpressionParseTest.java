package dev.iommufdsim.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExpressionParseTest {

    static Expr expr(String text) {
        Script s = ScriptParser.parse("x = " + text, "t");
        return ((Stmt.Assign) s.statements().get(0)).value();
    }

    static long number(String text) {
        return ((Expr.NumberLit) expr(text)).value();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0 | 0",
        "42 | 42",
        "1_000_000 | 1000000",
        "0x8000_0000 | 2147483648",
        "0XfF | 255",
        "0b1010 | 10",
        "0b1111_0000 | 240",
        "4K | 4096",
        "4k | 4096",
        "2M | 2097152",
        "1G | 1073741824",
        "1T | 1099511627776",
        "16_383T | 18013298997854208",
    })
    void numbers(String text, String value) {
        assertEquals(Long.parseUnsignedLong(value), number(text));
    }

    @Test
    void largestNumbersAreUnsigned64Bit() {
        assertEquals(-1L, number("0xffff_ffff_ffff_ffff"));
        assertEquals(-1L, number("18446744073709551615"));
        assertEquals(Long.MIN_VALUE, number("8388608T"));
    }

    @Test
    void stringsDecodeEscapes() {
        assertEquals("a\"b\\c\nd\te\0f\u001b", ((Expr.StringLit) expr("\"a\\\"b\\\\c\\nd\\te\\0f\\x1b\"")).value());
        assertEquals("two\nlines", ((Expr.StringLit) expr("\"two\nlines\"")).value());
    }

    @ParameterizedTest
    @CsvSource(delimiterString = "=>", value = {
        "true => true",
        "none => none",
        "[1, 2, 3,] => [1 2 3]",
        "[] => []",
        "{start: 0x1000, last: 0x1fff} => {start: 4096, last: 8191}",
        "{} => {}",
        "0x1000..0x1fff => (.. 4096 8191)",
        "a..a + len - 1 => (.. a (- (+ a len) 1))",
        "1 + 2 * 3 => (+ 1 (* 2 3))",
        "(1 + 2) * 3 => (* (+ 1 2) 3)",
        "10 - 2 - 3 => (- (- 10 2) 3)",
        "1 << 12 + 1 => (<< 1 (+ 12 1))",
        "a | b & c ^ d => (| a (^ (& b c) d))",
        "FIXED_IOVA | READABLE == f => (== (| FIXED_IOVA READABLE) f)",
        "a < b and b <= c or not d => (or (and (< a b) (<= b c)) (not d))",
        "a && b || !c => (or (and a b) (not c))",
        "not a == b => (not (== a b))",
        "!a == b => (== (not a) b)",
        "-x.y => (- (. x y))",
        "~0 >> 60 => (>> (~ 0) 60)",
        "a % b / c => (/ (% a b) c)",
        "x in 0..9 => (in x (.. 0 9))",
        "r.out_iova => (. r out_iova)",
        "l[0].start => (. ([] l 0) start)",
        "f()[1] => ([] f() 1)",
        "r.in => (. r in)",
        "a != b >= c => (>= (!= a b) c)",
    })
    void shapes(String text, String sexp) {
        assertEquals(sexp, Sexp.of(expr(text)));
    }

    @Test
    void callsTakePositionalThenNamedArguments() {
        Expr.Call c = (Expr.Call) expr("ioas_map(ioas, iova: 0x1000, length: 4K, flags: FIXED_IOVA | READABLE)");
        assertEquals("ioas_map(ioas, iova: 4096, length: 4096, flags: (| FIXED_IOVA READABLE))", Sexp.of(c));
        assertEquals(4, c.args().size());
        assertEquals(new SourcePos("t", 1, 20), c.args().get(1).pos());
    }

    @Test
    void keywordsMayNameArguments() {
        assertEquals("pci(\"0000:01:00.0\", iommu: smmu0, if: 1)",
                Sexp.of(expr("pci(\"0000:01:00.0\", iommu: smmu0, if: 1)")));
    }

    @Test
    void ellipsisEndsAnArgumentList() {
        assertEquals("f()", Sexp.of(expr("f(...)")));
        assertEquals("f(1, a: 2)", Sexp.of(expr("f(1, a: 2, ...)")));
    }

    @Test
    void argumentsMaySpanLines() {
        assertEquals("f(1, b: 2)", Sexp.of(expr("f(1,\n   b: 2\n)")));
        assertEquals("[1 2]", Sexp.of(expr("[\n1,\n2\n]")));
        assertEquals("{a: 1, b: 2}", Sexp.of(expr("{\n a: 1,\n b: 2,\n}")));
        assertEquals("(+ 1 2)", Sexp.of(expr("1 +\n  2")));
        assertEquals("(and a b)", Sexp.of(expr("a and\n b")));
    }

    @Test
    void positionsPointAtOperatorsAndNames() {
        Expr.Binary b = (Expr.Binary) expr("a  +  b");
        assertEquals(new SourcePos("t", 1, 8), b.pos());
        Expr.Call c = (Expr.Call) expr("  foo(1)");
        assertEquals(new SourcePos("t", 1, 7), c.pos());
        assertInstanceOf(Expr.Name.class, b.left());
    }
}
