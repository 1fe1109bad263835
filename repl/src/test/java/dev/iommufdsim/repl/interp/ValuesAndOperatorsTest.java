package dev.iommufdsim.repl.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.kernel.uapi.Errno;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValuesAndOperatorsTest {
    final Fixture fx = new Fixture();

    /** Each line is an expression that must evaluate to true. */
    @ParameterizedTest
    @CsvSource(delimiterString = "=>", value = {
        "1 + 2 * 3 == 7",
        "(1 + 2) * 3 == 9",
        "0 - 1 == 0xffff_ffff_ffff_ffff",
        "-1 == 0xffff_ffff_ffff_ffff",
        "0xffff_ffff_ffff_ffff + 2 == 1",
        "0x8000_0000_0000_0000 * 2 == 0",
        "0xffff_ffff_ffff_ffff > 1",
        "-1 > 0",
        "0x8000_0000_0000_0000 >= 0x7fff_ffff_ffff_ffff",
        "0xffff_ffff_ffff_ffff / 2 == 0x7fff_ffff_ffff_ffff",
        "-1 % 10 == 5",
        "7 / 2 == 3 and 7 % 2 == 1",
        "1 << 63 == 0x8000_0000_0000_0000",
        "1 << 64 == 0",
        "~0 >> 63 == 1",
        "-1 >> 64 == 0",
        "(0xf0 & 0x3c) == 0x30 and (0xf0 | 0x0f) == 0xff and (0xff ^ 0x0f) == 0xf0",
        "FIXED_IOVA | READABLE == 3",
        "4K == 4096 and 2M == 0x200000 and 1G == 1 << 30",
        "\"io\" + \"as\" == \"ioas\"",
        "\"id \" + 7 == \"id 7\"",
        "\"a\" < \"b\"",
        "[1, 2] + [3] == [1, 2, 3]",
        "[1, [2, 3]] == [1, [2, 3]]",
        "[1, 2] != [2, 1]",
        "{a: 1, b: 2} == {b: 2, a: 1}",
        "{a: 1} != {a: 2}",
        "0x1000..0x1fff == 0x1000..0x1fff",
        "0x1000..0x1fff != 0x1000..0x2000",
        "(0x1000..0x1fff).length == 4K",
        "(0x1000..0x1fff).start == 0x1000 and (0x1000..0x1fff).last == 0x1fff",
        "0x1800 in 0x1000..0x1fff",
        "not (0x2000 in 0x1000..0x1fff)",
        "2 in [1, 2, 3]",
        "\"b\" in {a: 1, b: 2}",
        "\"oa\" in \"ioas\"",
        "[1, 2, 3][2] == 3",
        "[1, 2, 3].length == 3",
        "{start: 5}.start == 5",
        "{start: 5}[\"start\"] == 5",
        "\"abc\"[1] == \"b\"",
        "EINVAL == EINVAL and EINVAL != EEXIST",
        "EINVAL.number == 22",
        "1 != \"1\"",
        "none == nothing()",
        "true and not false",
        "!0 and !none and ![] and !\"\"",
        "(1 or fail()) == true",
        "(0 and fail()) == false",
        "add(1) == 1 and add(1, 2) == 3 and add(b: 5, a: 1) == 6",
    })
    void holds(String expr) {
        assertEquals(true, fx.value(expr), expr);
    }

    @Test
    void valuesHaveTheirJavaTypes() {
        assertEquals(4096L, fx.value("4K"));
        assertEquals(List.of(1L, "a"), fx.value("[1, \"a\"]"));
        assertEquals(new Record(null, Map.of("a", 1L)), fx.value("{a: 1}"));
        assertEquals(new Range(0x1000, 0x1fff), fx.value("0x1000..0x1fff"));
        assertEquals(Errno.EINVAL, fx.value("EINVAL"));
        assertEquals(None.NONE, fx.value("none"));
    }

    @Test
    void printing() {
        assertEquals("4095", Values.repr(4095L));
        assertEquals("0x1000", Values.repr(4096L));
        assertEquals("0xffffffffffffffff", Values.repr(-1L));
        assertEquals("0x1000..0x1fff", new Range(0x1000, 0x1fff).toString());
        assertEquals("0..10", new Range(0, 10).toString());
        assertEquals("{start: 0x1000, name: \"a\\\"b\"}", fx.value("{start: 4K, name: \"a\\\"b\"}").toString());
        assertEquals("[1, \"x\", none, EINVAL]", Values.repr(fx.value("[1, \"x\", none, EINVAL]")));
        assertEquals("iova_range{start: 0, last: 0x1fff}", Record.of("iova_range", "start", 0L, "last", 0x1fffL).toString());
    }

    @Test
    void divisionByZeroStopsWithItsPosition() {
        RuntimeError e = fx.runtimeError("x = 1\ny = x /  (x - 1)");
        assertEquals("t.iommu:2:7: division by zero", e.toString());
        assertEquals("t.iommu:1:7: modulo by zero", fx.runtimeError("x = 1 % 0").toString());
    }

    @Test
    void typeMistakesAreRuntimeErrors() {
        assertEquals("'+' needs numbers, got number and bool", fx.runtimeError("x = 1 + true").getMessage());
        assertEquals("cannot compare list and number with '<' (numbers and strings only)",
                fx.runtimeError("x = [1] < 2").getMessage());
        assertEquals("record has no field 'c' (fields: a, b)", fx.runtimeError("x = {a: 1, b: 2}.c").getMessage());
        assertEquals("index 3 is out of range for a list of 3", fx.runtimeError("x = [1, 2, 3][3]").getMessage());
        assertEquals("add: a must be a number, got string \"x\"", fx.runtimeError("add(\"x\")").getMessage());
        assertEquals("broken: internal error: java.lang.IllegalStateException: bug in the host",
                fx.runtimeError("broken()").getMessage());
    }
}
