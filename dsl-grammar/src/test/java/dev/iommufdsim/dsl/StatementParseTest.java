package dev.iommufdsim.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatementParseTest {

    static List<Stmt> parse(String text) {
        return ScriptParser.parse(text, "t.iommu").statements();
    }

    static Stmt one(String text) {
        List<Stmt> s = parse(text);
        assertEquals(1, s.size(), () -> "statements: " + s);
        return s.get(0);
    }

    @Test
    void designExampleParses() {
        String example = """
                iommu smmu0 = arm_smmuv3()                 # plugin "arm-smmuv3"
                device nic0 = pci("0000:01:00.0", iommu: smmu0)
                dev  = vfio_bind(nic0)                     # -> dev_id
                ioas = ioas_alloc()
                s2   = hwpt_alloc(dev_id: dev, pt_id: ioas, flags: NEST_PARENT)
                s1   = hwpt_alloc(dev_id: dev, pt_id: s2, data: arm_smmuv3_ste(...))
                vfio_attach(dev, pt_id: s1)
                show ioas_iova_ranges(ioas)                # SW_MSI window 0x8000000..0x80fffff excluded
                expect ioas_map(ioas, iova: 0x8000000, length: 4K, flags: FIXED_IOVA) fails EINVAL
                """;
        List<Stmt> s = parse(example);
        assertEquals(9, s.size());
        Stmt.Declare iommu = assertInstanceOf(Stmt.Declare.class, s.get(0));
        assertEquals(DeclKind.IOMMU, iommu.kind());
        assertEquals("smmu0", iommu.name());
        assertEquals("arm_smmuv3", iommu.call().callee());
        Stmt.Declare dev = assertInstanceOf(Stmt.Declare.class, s.get(1));
        assertEquals(DeclKind.DEVICE, dev.kind());
        assertEquals("pci(\"0000:01:00.0\", iommu: smmu0)", Sexp.of(dev.call()));
        assertInstanceOf(Stmt.Show.class, s.get(7));
        Stmt.ExpectFails ef = assertInstanceOf(Stmt.ExpectFails.class, s.get(8));
        assertEquals("EINVAL", ef.errno());
        assertEquals("ioas_map(ioas, iova: 0x8000000, length: 4K, flags: FIXED_IOVA)", ef.source());
        assertEquals(new SourcePos("t.iommu", 9, 1), ef.pos());
    }

    @Test
    void shebangAndCommentsAreIgnored() {
        List<Stmt> s = parse("#!/usr/bin/env iommufd-sim run\n# a comment\nx = 1 # trailing\n\n");
        assertEquals(1, s.size());
        assertEquals(new SourcePos("t.iommu", 3, 1), s.get(0).pos());
    }

    @Test
    void emptyInputAndWindowsLineEndings() {
        assertEquals(0, parse("").size());
        assertEquals(0, parse("# nothing\n\n").size());
        List<Stmt> s = parse("a = 1\r\nb = [1,\r\n 2]\r\n");
        assertEquals(2, s.size());
        assertEquals(new SourcePos("t.iommu", 2, 1), s.get(1).pos());
    }

    @Test
    void semicolonsAndNewlinesSeparate() {
        assertEquals(3, parse("a = 1; b = 2\n;; c = 3;").size());
    }

    @Test
    void backslashContinuesALine() {
        Stmt.Assign a = (Stmt.Assign) one("x = 1 \\\n  + 2");
        assertEquals("(+ 1 2)", Sexp.of(a.value()));
    }

    @Test
    void assignments() {
        Stmt.Assign a = (Stmt.Assign) one("iova = 0x1000");
        assertEquals("iova", a.name());
        assertNull(a.op());
        Stmt.Assign b = (Stmt.Assign) one("iova += 4K");
        assertEquals(BinaryOp.ADD, b.op());
        assertEquals(BinaryOp.SHL, ((Stmt.Assign) one("x <<= 1")).op());
        assertEquals(BinaryOp.BIT_OR, ((Stmt.Assign) one("f |= READABLE")).op());
    }

    @Test
    void declarationWordsAreStillVariableNames() {
        assertInstanceOf(Stmt.Assign.class, one("device = vfio_bind(nic0)"));
        assertInstanceOf(Stmt.ExprStmt.class, one("iommu"));
    }

    @Test
    void ifElifElse() {
        Stmt.If s = (Stmt.If) one("""
                if a { x = 1 } elif b {
                  x = 2
                } else if c { x = 3 } else {
                  x = 4
                }""");
        assertEquals(3, s.branches().size());
        assertEquals("b", Sexp.of(s.branches().get(1).condition()));
        assertEquals("c", Sexp.of(s.branches().get(2).condition()));
        assertEquals(1, s.elseBody().size());
        Stmt.If plain = (Stmt.If) one("if a { }");
        assertEquals(0, plain.elseBody().size());
    }

    @Test
    void loops() {
        Stmt.For f = (Stmt.For) one("for i in 0..10 { total += i }");
        assertEquals("i", f.variable());
        assertEquals("(.. 0 10)", Sexp.of(f.iterable()));
        assertEquals(1, f.body().size());
        Stmt.For g = (Stmt.For) one("for r in ranges {\n  show r\n  if r.start == 0 { break }\n  continue\n}");
        assertEquals(3, g.body().size());
        assertInstanceOf(Stmt.Continue.class, g.body().get(2));
        Stmt.While w = (Stmt.While) one("while n > 0 { n -= 1 }");
        assertEquals("(> n 0)", Sexp.of(w.condition()));
    }

    @Test
    void functions() {
        Stmt.Fn f = (Stmt.Fn) one("fn map_at(ioas, iova, len) {\n  return ioas_map(ioas, iova: iova, length: len)\n}");
        assertEquals(List.of("ioas", "iova", "len"), f.params());
        Stmt.Return r = (Stmt.Return) f.body().get(0);
        assertEquals("ioas_map(ioas, iova: iova, length: len)", Sexp.of(r.value()));
        Stmt.Fn g = (Stmt.Fn) one("fn g() { return }");
        assertNull(((Stmt.Return) g.body().get(0)).value());
    }

    @Test
    void sourceShowAndExpect() {
        assertEquals("lib/common.iommu", ((Stmt.Source) one("source \"lib/common.iommu\"")).path());
        assertEquals("r.start", Sexp.of(((Stmt.Show) one("show r.start")).expr()).replace("(. r start)", "r.start"));
        Stmt.Expect e = (Stmt.Expect) one("expect a ==  0x1000");
        assertEquals("a ==  0x1000", e.source());
        assertEquals(BinaryOp.EQ, ((Expr.Binary) e.expr()).op());
        Stmt.Expect t = (Stmt.Expect) one("expect ok");
        assertEquals("ok", Sexp.of(t.expr()));
        Stmt.ExpectFails any = (Stmt.ExpectFails) one("expect destroy(9) fails");
        assertNull(any.errno());
        Stmt.ExpectFails one = (Stmt.ExpectFails) one("expect destroy(9) fails ENOENT");
        assertEquals("ENOENT", one.errno());
        assertEquals(new SourcePos("t.iommu", 1, 25), one.errnoPos());
    }
}
