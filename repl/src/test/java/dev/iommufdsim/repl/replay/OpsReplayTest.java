package dev.iommufdsim.repl.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.cli.Main;
import dev.iommufdsim.repl.host.PluginHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's format details the replay reproduces (iommufd-ops.c), without a kernel. */
class OpsReplayTest {
    private static OpsReplay replay;

    @BeforeAll
    static void load() {
        replay = OpsReplay.withPlugins(PluginHost.load(List.of(TestPaths.pluginsDir())));
    }

    @Test
    void strtoullLikeGlibc() {
        assertEquals(8, CParse.strtoull("010"));
        assertEquals(0, CParse.strtoull("09"));
        assertEquals(0, CParse.strtoull("0x"));
        assertEquals(0, CParse.strtoull("0x0x10"));
        assertEquals(12, CParse.strtoull("12abc"));
        assertEquals(-1L, CParse.strtoull("-1"));
        assertEquals(-1L, CParse.strtoull("0xffffffffffffffffff"));
        assertEquals(-1L, CParse.strtoull("-0xffffffffffffffffff"));
        assertEquals(0xfffffffffffff000L, CParse.strtoull("-0x1000"));
        assertEquals(0xffffffffffffffffL, CParse.strtoull("18446744073709551615"));
        assertEquals(-1L, CParse.strtoull("18446744073709551616"));
    }

    @Test
    void tokensAndReads() {
        assertArrayEquals(new String[] {"a", "=", "ioas_alloc"}, CParse.tokens("a = ioas_alloc# x y\n"));
        assertArrayEquals(new String[] {"x", "y"}, CParse.tokens("\tx \t y \n"));
        assertEquals(32, CParse.tokens("t ".repeat(40)).length);
        String longLine = "ioas_alloc " + "x".repeat(1500) + "\nioas_alloc\n";
        assertEquals(3, CParse.fgetsReads(longLine).size());
    }

    @Test
    void capturesSkipsAndFormats() {
        String out = replay.run("""
                # comment line counts
                i = ioas_alloc
                bad = ioas_map $i va 0
                ioas_unmap $i $bad 0x1000
                ioas_map $i va $nope|FIXED_IOVA
                s = mock_domain $i
                destroy $s_hwpt
                get_hw_info $s_idev data_len=4
                ioas_iova_ranges $i num_iovas=0
                ioas_unmap $i 0x1000 0x1000
                option HUGE_PAGES GET $i
                check_refs va 0x1000 1
                ioas_alloc
                """);
        assertEquals("""
                2: ioas_alloc ok id=1
                3: ioas_map err EINVAL
                4: ioas_unmap skipped (undefined $bad)
                5: ioas_map skipped (undefined $nope|FIXED_IOVA)
                6: mock_domain ok stdev=2 hwpt=4 idev=3
                7: destroy err EBUSY
                8: get_hw_info ok type=0xfeedbeef data_len=8 flags=0x0 test_reg=0x0 capabilities=0x9 max_pasid_log2=0
                9: ioas_iova_ranges err EMSGSIZE num_iovas=1 alignment=0x800 ranges=
                10: ioas_unmap err ENOENT length=0x1000
                11: option ok val64=1
                12: check_refs err ENOSYS-emulator
                13: ioas_alloc ok id=5
                """, out);
    }

    @Test
    void contextsAndEbadf() {
        String out = replay.run("""
                ioas_alloc
                open
                ioas_alloc
                close 1
                ioas_alloc
                ioas_unmap 1 0 -1
                use 0
                ioas_alloc
                """);
        assertEquals("""
                1: ioas_alloc ok id=1
                2: open ok ctx=1
                3: ioas_alloc ok id=1
                4: close ok
                5: ioas_alloc err EBADF
                6: ioas_unmap err EBADF length=0xffffffffffffffff
                7: use ok
                8: ioas_alloc ok id=2
                """, out);
    }

    @Test
    void runnerExitsOnInputErrors() {
        assertEquals("1: ioas_alloc ok id=1\n2: unknown op frob\n", replay.run("ioas_alloc\nfrob 1\nioas_alloc\n"));
        assertEquals("1: missing argument 3\n", replay.run("ioas_map 1 va\nioas_alloc\n"));
        assertEquals("1: unknown word BOGUS\n", replay.run("ioas_map 1 va 0x1000 flags=BOGUS\n"));
        assertEquals("1: ioas_alloc ok id=1\n2: unknown $x-1\n", replay.run("x = ioas_alloc\ndestroy $x-1\n"));
    }

    @Test
    void cliReplayAndCheck(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.ops");
        Files.writeString(f, "i = ioas_alloc\nioas_map $i va 0x1000\n");
        Files.writeString(dir.resolve("a.ops.out"), "1: ioas_alloc ok id=1\n2: ioas_map ok iova=0x1000\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        int rc = Main.execute(ps, ps, "--plugins", TestPaths.pluginsDir().toString(), "replay", f.toString());
        assertEquals(0, rc);
        assertEquals("1: ioas_alloc ok id=1\n2: ioas_map ok iova=0x1000\n", out.toString(StandardCharsets.UTF_8));
        out.reset();
        rc = Main.execute(ps, ps, "--plugins", TestPaths.pluginsDir().toString(), "replay", "--check", f.toString());
        assertEquals(0, rc, out.toString(StandardCharsets.UTF_8));
        Files.writeString(dir.resolve("a.ops.out"), "1: ioas_alloc ok id=1\n2: ioas_map ok iova=0x2000\n");
        out.reset();
        rc = Main.execute(ps, ps, "--plugins", TestPaths.pluginsDir().toString(), "replay", "--check", f.toString());
        assertEquals(1, rc);
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("-2: ioas_map ok iova=0x2000"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void nestingOpsFormat() {
        String out = replay.run("""
                i = ioas_alloc
                s = mock_domain $i
                p = hwpt_alloc $s_idev $i flags=NEST_PARENT
                n = hwpt_alloc $s_idev $p iotlb=7
                k = hwpt_invalidate $n entries=1,0:2
                check_iotlb $n 1 $k
                check_iotlb $n 0 7
                hwpt_invalidate $n entries=0 entry_len=0x100000
                v = viommu_alloc $s_idev $p
                viommu_alloc $s_idev $p in_data=0x1234
                vdevice_alloc $v $s_idev 0x99
                viommu_invalidate $v entries=0x99/all,0x98/0
                check_dev_cache $s_idev 3 0
                f = fault_alloc
                fd_close $f
                fd_close $f
                q = veventq_alloc $v depth=0
                hwpt_invalidate 99 all data_uptr=0x1234
                close 0
                hwpt_invalidate $n entries=1,2
                """);
        assertEquals("""
                1: ioas_alloc ok id=1
                2: mock_domain ok stdev=2 hwpt=4 idev=3
                3: hwpt_alloc ok id=5
                4: hwpt_alloc ok id=6
                5: hwpt_invalidate err EOPNOTSUPP entry_num=1
                6: check_iotlb skipped (undefined $k)
                7: check_iotlb ok
                8: hwpt_invalidate ok entry_num=0
                9: viommu_alloc ok id=7
                10: viommu_alloc ok id=8 out_data=0x1234
                11: vdevice_alloc ok id=9
                12: viommu_invalidate err EINVAL entry_num=1
                13: check_dev_cache ok
                14: fault_alloc ok id=10
                15: fd_close ok
                16: fd_close err EBADF
                17: veventq_alloc err EINVAL
                18: hwpt_invalidate err ENOSYS-emulator
                19: close ok
                20: hwpt_invalidate err EBADF entry_num=2
                """, out);
    }

    @Test
    void nestGeneratorUsesServedOps() {
        for (int i = 0; i < 20; i++) {
            String a = OpsGenerator.generate(OpsGenerator.fileSeed(11, i), OpsGenerator.Theme.NEST, 20, 50);
            assertEquals(a, OpsGenerator.generate(OpsGenerator.fileSeed(11, i), OpsGenerator.Theme.NEST, 20, 50));
            for (String line : a.lines().filter(l -> !l.startsWith("#")).toList()) {
                String[] t = CParse.tokens(line);
                String op = t.length > 2 && t[1].equals("=") ? t[2] : t[0];
                assertTrue(OpsReplay.SERVED_OPS.contains(op), line);
            }
        }
        assertEquals(OpsGenerator.Theme.AUTO, OpsGenerator.themeOf(7), "NEST stays out of the default rotation");
    }

    @Test
    void generatorIsDeterministic() {
        String a = OpsGenerator.generate(OpsGenerator.fileSeed(7, 3), OpsGenerator.themeOf(3), 20, 50);
        assertEquals(a, OpsGenerator.generate(OpsGenerator.fileSeed(7, 3), OpsGenerator.themeOf(3), 20, 50));
        long ops = a.lines().filter(l -> !l.startsWith("#")).count();
        assertTrue(ops >= 20 && ops <= 50, a);
        for (String line : a.lines().filter(l -> !l.startsWith("#")).toList()) {
            String[] t = CParse.tokens(line);
            String op = t.length > 2 && t[1].equals("=") ? t[2] : t[0];
            assertTrue(OpsReplay.SERVED_OPS.contains(op), line);
        }
    }
}
