package dev.iommufdsim.repl.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.dsl.SourcePos;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceTest {
    final Fixture fx = new Fixture();

    @Test
    void sourcedFilesShareTheGlobalsAndDefineFunctions() {
        fx.files.put("lib.iommu", "base = 0x1000\nfn page(n) { return base + n * 4K }\n");
        EvalResult r = fx.eval("source \"lib.iommu\"\nx = page(2)");
        assertTrue(r.ok(), () -> r.toString());
        assertEquals(0x3000L, fx.engine.variable("x"));
        assertEquals(0x1000L, fx.engine.variable("base"));
    }

    @Test
    void functionsOfASourcedFileAreKnownBeforeTheSourceRuns() {
        fx.files.put("lib.iommu", "fn two() { return 2 }");
        assertTrue(fx.eval("fn use() { return two() }\nsource \"lib.iommu\"\nx = use()").ok());
        assertEquals(2L, fx.engine.variable("x"));
    }

    @Test
    void errorsInsideCarryTheSourcedFilesPositions() {
        fx.files.put("bad.iommu", "x = 1\ny = (2\n");
        assertEquals(List.of("2:7 expected ')' to close '('"), fx.staticErrors("source \"bad.iommu\""));
        assertEquals("bad.iommu", fx.diagnostics.get(0).file());

        fx.files.put("unknown.iommu", "\n  nosuch()");
        assertEquals("unknown.iommu", fx.eval("source \"unknown.iommu\"").diagnostics().get(0).file());

        fx.files.put("fails.iommu", "a = 1\nfail()");
        RuntimeError e = fx.runtimeError("source \"fails.iommu\"");
        assertEquals(new SourcePos("fails.iommu", 2, 1), e.pos());
        assertEquals("a = 1\nfail()", fx.engine.sourceText("fails.iommu"));
    }

    @Test
    void missingFilesAndCycles() {
        assertEquals(List.of("1:1 cannot read \"nope.iommu\": no such file"), fx.staticErrors("source \"nope.iommu\""));
        fx.files.put("a.iommu", "source \"b.iommu\"");
        fx.files.put("b.iommu", "source \"a.iommu\"");
        assertEquals(List.of("1:1 \"a.iommu\" sources itself (through b.iommu <- a.iommu <- t.iommu)"),
                fx.staticErrors("source \"a.iommu\""));
    }

    @Test
    void sourceInALoopIsParsedOnce() {
        fx.files.put("inc.iommu", "n += 1");
        fx.eval("n = 0\nfor i in 1..100 { source \"inc.iommu\" }");
        assertEquals(100L, fx.engine.variable("n"));
        assertEquals(1, fx.engine.resolutions());
    }

    @Test
    void aLibrarySourcedTwiceIsNotADuplicateDefinition() {
        fx.files.put("lib.iommu", "fn one() { return 1 }");
        assertTrue(fx.eval("source \"lib.iommu\"\nsource \"lib.iommu\"\nx = one()").ok());
        assertEquals(1L, fx.engine.variable("x"));
    }

    @Test
    void sourceIsNotAllowedInFunctions() {
        fx.files.put("x.iommu", "");
        assertEquals(List.of("1:10 source is only allowed outside functions"), fx.staticErrors("fn f() { source \"x.iommu\" }"));
    }
}
