package dev.iommufdsim.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `exec --machine FILE`: the declarations run before the program, the cdev numbering, errors in the file (no program runs). */
class ExecMachineFileTest {
    @TempDir
    Path dir;

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
        CliTest.Run r = CliTest.cli("exec", "--machine", m.toString(), "--list-devices");
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
        CliTest.Run r = CliTest.cli("exec", "--machine", bad.toString(), "--", "touch", mark.toString());
        assertEquals(2, r.rc());
        assertEquals(bad + ":2:42: unknown name 'smmu9'; did you mean 'smmu0'?\n", r.err());
        assertEquals("", r.out());
        assertEquals(false, Files.exists(mark), "the program must not run");

        Path twice = file("twice.sim", "iommu smmu0 = arm_smmuv3()\niommu smmu0 = arm_smmuv3()\n");
        r = CliTest.cli("exec", "--machine", twice.toString(), "--", "touch", mark.toString());
        assertEquals(2, r.rc());
        assertEquals(true, r.err().startsWith(twice + ":2:"), r.err());
        assertEquals(false, Files.exists(mark), "the program must not run");

        Path expect = file("expect.sim", "expect 1 == 2\n");
        assertEquals(2, CliTest.cli("exec", "--machine", expect.toString(), "--", "touch", mark.toString()).rc());
        assertEquals(2, CliTest.cli("exec", "--machine", dir.resolve("missing.sim").toString(), "--list-devices").rc());
        assertEquals(false, Files.exists(mark), "the program must not run");
    }

    @Test
    void withoutAMachineFileThereAreNoCdevsAndAProgramIsNeeded() {
        CliTest.Run r = CliTest.cli("exec", "--list-devices");
        assertEquals(0, r.rc(), r.err());
        assertEquals("", r.out());
        assertEquals(2, CliTest.cli("exec").rc());
    }
}
