package dev.iommufdsim.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IsCompleteTest {

    @ParameterizedTest
    @CsvSource(delimiterString = "=>", quoteCharacter = '`', value = {
        "x = 1                  => true",
        "``                     => true",
        "# just a comment       => true",
        "f(a,                   => false",
        "f(a                    => false",
        "x = [1, 2              => false",
        "if x {                 => false",
        "if x { y } else        => false",
        "fn f() {\\n  return 1   => false",
        "fn f() {\\n  return 1\\n} => true",
        "x = \"abc              => false",
        "x = \"abc\"            => true",
        "x = 1 +                => false",
        "x = a |                => false",
        "x = a and              => false",
        "x = 0x1000..           => false",
        "x =                    => false",
        "x +=                   => false",
        "x = r.                 => false",
        "x = {a: 1,             => false",
        "x = 1 \\               => false",
        "x = 1 2                => true",
        "x = )                  => true",
        "f(a))                  => true",
        "x = @                  => true",
        "show x                 => true",
        "return                 => true",
        "x = 1 # (open paren in a comment => true",
        "x = \"(\"              => true",
    })
    void completeness(String text, boolean complete) {
        String t = text.stripTrailing().replace("\\n", "\n");
        assertEquals(complete, ScriptParser.isComplete(t), () -> "isComplete(" + t + ")");
    }
}
