package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `exec --machine FILE`: the declarations run before the program, the cdev numbering, errors in the file (no program runs). */
class ExecMachineFileTest {
    @TempDir
    Path dir;

    private record Run(int rc, String out, String err) {
    }

    private Run exec(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = new String[args.length + 2];
        argv[0] = "--plugins";
        argv[1] = TestPaths.pluginsDir().toString();
        System.arraycopy(args, 0, argv, 2, args.length);
        int rc = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), argv);
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path file(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void devicesAreNumberedInDeclarationOrder() throws Exception {
        Path m = file("m.sim", """
                iommu smmu0 = arm_smmuv3()
                iommu vtd0 = intel_vtd()
                device gpu0 = pci("0000:02:00.0", iommu: vtd0)
                device nic0 = pci("0000:01:00.0", iommu: smmu0)
                """);
        Run r = exec("exec", "--machine", m.toString(), "--list-devices");
        assertEquals(0, r.rc(), r.err());
        assertEquals("""
                /dev/vfio/devices/vfio0: gpu0 (0000:02:00.0) behind vtd0
                /dev/vfio/devices/vfio1: nic0 (0000:01:00.0) behind smmu0
                """, r.out());
    }

    @Test
    void anErrorInTheMachineFileIsOneLineAndStatus2WithoutRunningTheProgram() throws Exception {
        Path mark = dir.resolve("ran");
        Path bad = file("bad.sim", "iommu smmu0 = arm_smmuv3()\ndevice nic0 = pci(\"0000:01:00.0\", iommu: smmu9)\n");
        Run r = exec("exec", "--machine", bad.toString(), "--", "touch", mark.toString());
        assertEquals(2, r.rc());
        assertEquals(bad + ":2:42: unknown name 'smmu9'; did you mean 'smmu0'?\n", r.err());
        assertEquals("", r.out());
        assertEquals(false, Files.exists(mark), "the program must not run");

        Path twice = file("twice.sim", "iommu smmu0 = arm_smmuv3()\niommu smmu0 = arm_smmuv3()\n");
        r = exec("exec", "--machine", twice.toString(), "--", "touch", mark.toString());
        assertEquals(2, r.rc());
        assertEquals(true, r.err().startsWith(twice + ":2:"), r.err());
        assertEquals(false, Files.exists(mark), "the program must not run");

        Path expect = file("expect.sim", "expect 1 == 2\n");
        assertEquals(2, exec("exec", "--machine", expect.toString(), "--", "touch", mark.toString()).rc());
        assertEquals(2, exec("exec", "--machine", dir.resolve("missing.sim").toString(), "--list-devices").rc());
        assertEquals(false, Files.exists(mark), "the program must not run");
    }

    @Test
    void withoutAMachineFileThereAreNoCdevsAndAProgramIsNeeded() {
        Run r = exec("exec", "--list-devices");
        assertEquals(0, r.rc(), r.err());
        assertEquals("", r.out());
        assertEquals(2, exec("exec").rc());
    }
}
