package dev.iommufdsim.repl.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.dsl.ScriptParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResolverTest {
    final Fixture fx = new Fixture();

    @Test
    void unknownCallSuggestsTheClosestName() {
        assertEquals(List.of("1:1 unknown function 'ioas_mpa'; did you mean 'ioas_map'?"),
                fx.staticErrors("ioas_mpa(1, length: 4K)"));
        assertEquals(List.of("1:5 unknown function 'frobnicate'"), fx.staticErrors("x = frobnicate()"));
    }

    @Test
    void unknownArgumentName() {
        assertEquals(List.of("1:13 no parameter 'iva' in ioas_map(ioas_id, iova: 0, length, flags: 0); did you mean 'iova'?"),
                fx.staticErrors("ioas_map(1, iva: 0x1000, length: 4K)"));
    }

    @Test
    void missingRequiredArgument() {
        assertEquals(List.of("1:1 missing argument 'length' in call to ioas_map(ioas_id, iova: 0, length, flags: 0)"),
                fx.staticErrors("ioas_map(1, iova: 0x1000)"));
    }

    @Test
    void tooManyPositionalArguments() {
        assertEquals(List.of("1:11 too many arguments: add(a, b: 0) takes 2"), fx.staticErrors("add(1, 2, 3)"));
    }

    @Test
    void argumentGivenByPositionAndName() {
        assertEquals(List.of("1:8 argument 'a' is already given by position"), fx.staticErrors("add(1, a: 2)"));
    }

    @Test
    void userFunctionArity() {
        assertEquals(List.of("2:1 missing argument 'b' in call to f(a, b)", "3:9 too many arguments: f(a, b) takes 2"),
                fx.staticErrors("fn f(a, b) { return a }\nf(1)\nf(1, 2, 3)"));
    }

    @Test
    void unknownNamesAndConstants() {
        assertEquals(List.of("1:24 unknown name 'FIXD_IOVA'; did you mean 'FIXED_IOVA'?"),
                fx.staticErrors("x = ioas_map(1, flags: FIXD_IOVA, length: 1)"));
        assertEquals(List.of("2:5 unknown name 'countr'; did you mean 'counter'?"),
                fx.staticErrors("counter = 1\nx = countr + 1"));
        assertEquals(List.of("1:5 'add' is a function; call it: add(...)"), fx.staticErrors("x = add"));
        assertEquals(List.of("1:21 unknown errno 'EINVL'; did you mean 'EINVAL'?"), fx.staticErrors("expect fail() fails EINVL"));
    }

    @Test
    void everyProblemIsReportedBeforeAnythingRuns() {
        List<String> errors = fx.staticErrors("""
                count()
                break
                return 1
                fn f() { continue }
                x = nosuch + add(1, 2, 3)
                EINVAL = 3
                fn add(a) { return a }
                if true { fn g() { } }
                fn h() { fn k() { } }
                fn dup() { }
                fn dup() { }
                iommu s = arm_smmu()
                device d = usb(iommu: s)
                """);
        assertEquals(List.of(
                "2:1 break outside a loop",
                "3:1 return outside a function",
                "4:10 continue outside a loop",
                "5:5 unknown name 'nosuch'",
                "5:24 too many arguments: add(a, b: 0) takes 2",
                "6:1 cannot assign to 'EINVAL': it names a constant",
                "7:1 function 'add' would hide the built-in add(a, b: 0)",
                "8:11 functions are defined at the top level of a file, not inside a block",
                "9:10 functions are defined at the top level of a file, not inside a function",
                "11:1 function 'dup' is already defined at t.iommu:10:1",
                "12:11 unknown IOMMU driver 'arm_smmu' (known: mock)",
                "13:12 unknown device kind 'usb' (known: pci)"), errors);
        assertEquals(0, fx.counter, "nothing ran");
    }

    @Test
    void aFunctionCannotAssignAGlobalItRead() {
        assertEquals(List.of("2:25 'count_' is read as a global variable earlier in this function;"
                        + " a function cannot assign a global (use another name for the local)"),
                fx.staticErrors("count_ = 0\nfn bump() { x = count_; count_ = x + 1 }"));
        assertEquals(List.of("2:13 'total' is read as a global variable earlier in this function;"
                        + " a function cannot assign a global (use another name for the local)"),
                fx.staticErrors("total = 0\nfn bump() { total += 1 }"));
    }

    @Test
    void syntaxErrorsAreLoadErrorsToo() {
        EvalResult r = fx.eval("x = (1");
        assertEquals(EvalResult.Status.LOAD_ERROR, r.status());
        assertEquals("t.iommu:1:7: expected ')' to close '('", r.diagnostics().get(0).toString());
        assertEquals(r.diagnostics(), fx.diagnostics);
    }

    @Test
    void checkResolvesWithoutRunning() {
        assertTrue(fx.engine.check(ScriptParser.parse("count()", "c")).isEmpty());
        assertEquals(0, fx.counter);
        assertEquals(1, fx.engine.check(ScriptParser.parse("cuont()", "c")).size());
    }

    @Test
    void aMillionIterationsResolveOnce() {
        long resolutionsBefore = fx.engine.resolutions();
        EvalResult r = fx.eval("""
                total = 0
                for i in 1..1_000_000 {
                  total = add(total, b: count() & 1)
                }""");
        assertTrue(r.ok(), () -> String.valueOf(r.error()));
        assertEquals(1_000_000L, fx.counter);
        assertEquals(500_000L, fx.engine.variable("total"));
        assertEquals(1, fx.engine.resolutions() - resolutionsBefore);
        assertEquals(2, fx.engine.bindings(), "two call sites, each bound once");
    }
}
