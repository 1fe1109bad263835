package dev.iommufdsim.repl.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ControlFlowTest {
    final Fixture fx = new Fixture();

    @Test
    void ifElifElse() {
        fx.eval("""
                fn classify(n) {
                  if n < 10 { return "small" } elif n < 100 { return "medium" } else if n < 1000 {
                    return "large"
                  } else {
                    return "huge"
                  }
                }""");
        assertEquals("small", fx.value("classify(1)"));
        assertEquals("medium", fx.value("classify(10)"));
        assertEquals("large", fx.value("classify(999)"));
        assertEquals("huge", fx.value("classify(-1)"));
    }

    @Test
    void forOverAnInclusiveRange() {
        fx.eval("total = 0\nfor i in 0..10 { total += i }");
        assertEquals(55L, fx.engine.variable("total"));
        assertEquals(10L, fx.engine.variable("i"));
    }

    @Test
    void forOverARangeEndingAtTheTopOfTheAddressSpaceEnds() {
        fx.eval("n = 0\nfor a in 0xffff_ffff_ffff_fffe..0xffff_ffff_ffff_ffff { n += 1 }");
        assertEquals(2L, fx.engine.variable("n"));
    }

    @Test
    void anEmptyRangeRunsNothing() {
        fx.eval("n = 0\nfor a in 5..1 { n += 1 }");
        assertEquals(0L, fx.engine.variable("n"));
    }

    @Test
    void forOverAList() {
        fx.eval("s = \"\"\nfor w in [\"a\", \"b\", \"c\"] { s = s + w }");
        assertEquals("abc", fx.engine.variable("s"));
    }

    @Test
    void whileBreakContinue() {
        fx.eval("""
                i = 0
                odd = []
                while true {
                  i += 1
                  if i > 9 { break }
                  if i % 2 == 0 { continue }
                  odd = odd + [i]
                }""");
        assertEquals(List.of(1L, 3L, 5L, 7L, 9L), fx.engine.variable("odd"));
    }

    @Test
    void breakLeavesOnlyTheInnerLoop() {
        fx.eval("""
                pairs = 0
                for a in 1..3 {
                  for b in 1..3 {
                    if b > a { break }
                    pairs += 1
                  }
                }""");
        assertEquals(6L, fx.engine.variable("pairs"));
    }

    @Test
    void functionsAndRecursion() {
        fx.eval("""
                fn fib(n) {
                  if n < 2 { return n }
                  a = fib(n - 1)
                  b = fib(n - 2)
                  return a + b
                }
                fn fact(n) { if n == 0 { return 1 }; return n * fact(n - 1) }
                """);
        assertEquals(610L, fx.value("fib(15)"));
        assertEquals(3628800L, fx.value("fact(10)"));
        assertNull(fx.engine.variable("a"), "locals stay in their function");
    }

    @Test
    void returnFromInsideLoops() {
        fx.eval("""
                fn first_over(list, limit) {
                  for x in list { while true { if x > limit { return x }; break } }
                  return none
                }
                fn find(r) { for x in r { if x == 7 { return x } } }""");
        assertEquals(5L, fx.value("first_over([1, 5, 9], 3)"));
        assertEquals(None.NONE, fx.value("first_over([1], 3)"));
        assertEquals(7L, fx.value("find(0..7)"));
        assertEquals(None.NONE, fx.value("find(0..6)"));
    }

    @Test
    void functionsTakeNamedArgumentsAndMayBeDefinedAfterUse() {
        fx.eval("""
                x = span(length: 4K, start: 0x1000)
                fn span(start, length) { return start..start + length - 1 }""");
        assertEquals(new Range(0x1000, 0x1fff), fx.engine.variable("x"));
    }

    @Test
    void functionsReadGlobalsAssignedLater() {
        fx.eval("fn base_plus(n) { return base + n }\nbase = 0x1000\ny = base_plus(1)");
        assertEquals(0x1001L, fx.engine.variable("y"));
    }

    @Test
    void parametersShadowGlobals() {
        fx.eval("n = 1\nfn f(n) { n = n + 10; return n }\ny = f(5)");
        assertEquals(15L, fx.engine.variable("y"));
        assertEquals(1L, fx.engine.variable("n"));
    }

    @Test
    void replStatePersistsAcrossEntriesAndFailures() {
        assertTrue(fx.eval("x = 1").ok());
        assertEquals(2L, fx.value("x + 1"));
        fx.eval("y = 5\nfail()\ny = 6");
        assertEquals(5L, fx.engine.variable("y"), "what ran before the failure stays");
        fx.eval("z = 1\nw = nosuch()");
        assertNull(fx.engine.variable("z"), "nothing of an entry with static errors runs");
        assertEquals(1L, fx.value("x"));
    }

    @Test
    void redefiningAFunctionAtTheReplReachesEarlierCallers() {
        fx.eval("fn g(a) { return a }\nfn h() { return g(1) }");
        assertEquals(1L, fx.value("h()"));
        fx.eval("fn g(a) { return a + 100 }");
        assertEquals(101L, fx.value("h()"));
        fx.eval("fn g(x, y) { return x }");
        assertEquals("g was redefined as g(x, y) and this call no longer fits: missing argument 'y' in call to g(x, y)",
                fx.runtimeError("h()").getMessage());
    }

    @Test
    void topLevelValuesAreEchoedAndShowIsReported() {
        fx.eval("1 + 1\nx = 3\nnothing()\nif true { 5 }\nshow x * 2");
        assertEquals(List.of(2L), fx.results);
        assertEquals(List.of(6L), fx.shown);
    }

    @Test
    void machineDeclarationsCallTheirBuiltinWithTheDeclaredName() {
        fx.eval("""
                iommu smmu0 = mock(msi_base: 0x1000, pasid_bits: 20)
                device nic0 = pci("0000:01:00.0", iommu: smmu0)""");
        assertEquals("smmu0", fx.lastDeclared);
        Record smmu = (Record) fx.engine.variable("smmu0");
        assertEquals(0x1000L, smmu.field("msi_base"));
        assertEquals(Record.of(null, "pasid_bits", 20L), smmu.field("props"));
        assertEquals("0000:01:00.0", ((Record) fx.engine.variable("nic0")).field("bdf"));
    }

    @Test
    void callsKnowTheirPosition() {
        assertEquals("t.iommu:1:7", fx.value("  x = where()\nx"));
    }
}
