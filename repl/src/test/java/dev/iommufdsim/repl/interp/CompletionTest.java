package dev.iommufdsim.repl.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Completion at the '|' in each input, JShell-style. */
class CompletionTest {
    final Fixture fx = new Fixture();

    /** The last '|' is the cursor (an earlier one is the operator). */
    List<String> complete(String withCursor) {
        int cursor = withCursor.lastIndexOf('|');
        String text = withCursor.substring(0, cursor) + withCursor.substring(cursor + 1);
        return fx.engine.complete(text, cursor);
    }

    @Test
    void builtinNamesAtStatementStart() {
        assertEquals(List.of("ioas_alloc", "ioas_map"), complete("ioas_|"));
        assertEquals(List.of("ioas_alloc", "ioas_map"), complete("x = 1\nioas_|"));
        assertEquals(List.of("ioas_map"), complete("ioas_m|"));
    }

    @Test
    void keywordsAtStatementStart() {
        assertEquals(List.of("show", "source"), complete("s|"));
        assertEquals(List.of("expect"), complete("if x { e|"));
    }

    @Test
    void variablesAndFunctions() {
        fx.eval("iova_base = 0x1000\nfn iota(n) { return n }");
        assertEquals(List.of("iova_base", "iota", "ioas_alloc", "ioas_map"), complete("x = io|"));
    }

    @Test
    void argumentNamesInsideACall() {
        List<String> all = complete("ioas_map(|");
        assertEquals(List.of("ioas_id:", "iova:", "length:", "flags:"), all.subList(0, 4));
        assertTrue(all.contains("add"), "then expression candidates");
        assertEquals(List.of("iova:"), complete("ioas_map(ioas, iov|"));
        assertEquals(List.of("length:", "flags:"), complete("ioas_map(1, iova: 0x1000, |").subList(0, 2));
        assertTrue(complete("ioas_map(1, length: 4K, |").contains("iova:"));
        assertTrue(!complete("ioas_map(1, length: 4K, |").contains("length:"), "already given");
    }

    @Test
    void argumentNamesOfAUserFunction() {
        fx.eval("fn span(start, length) { return start..start + length - 1 }");
        assertEquals(List.of("start:"), complete("span(st|"));
    }

    @Test
    void flagConstantsInAFlagsArgument() {
        assertEquals(List.of("FIXED_IOVA", "READABLE", "WRITEABLE"), complete("ioas_map(1, length: 4K, flags: |").subList(0, 3));
        assertEquals(List.of("FIXED_IOVA"), complete("ioas_map(1, length: 4K, flags: READABLE | FI|"));
        assertEquals(List.of("IOMMU_IOAS_MAP_FIXED_IOVA"), complete("x = IOMMU_|"));
    }

    @Test
    void errnosAfterFails() {
        assertEquals(List.of("EEXIST"), complete("expect fail() fails EE|"));
        assertTrue(complete("expect fail() fails |").contains("EINVAL"));
    }

    @Test
    void declarationKinds() {
        assertEquals(List.of("mock"), complete("iommu smmu0 = |"));
        assertEquals(List.of("pci"), complete("device nic0 = p|"));
        assertEquals(List.of("bdf:", "iommu:"), complete("device nic0 = pci(|").subList(0, 2));
    }

    @Test
    void fieldsOfALiveValue() {
        fx.eval("r = {start: 0x1000, last: 0x1fff}\nrange = 0..1");
        assertEquals(List.of("start"), complete("show r.s|"));
        assertEquals(List.of("start", "last", "length"), complete("x = range.|"));
    }

    @Test
    void nothingInsideStringsCommentsOrNumbers() {
        assertEquals(List.of(), complete("x = \"ioas_|"));
        assertEquals(List.of(), complete("x = 1 # ioas_|"));
        assertEquals(List.of(), complete("x = 12|"));
    }

    @Test
    void cursorInTheMiddleCompletesTheWordBeforeIt() {
        assertEquals(List.of("ioas_alloc", "ioas_map"), complete("ioas_| + 1"));
    }
}
