package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.repl.server.TapReport.Result;
import dev.iommufdsim.repl.server.TapReport.Status;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading kselftest TAP (a piece of the 7.2 selftest's real output through exec) into a JUnit report. */
class TapReportTest {
    private static byte[] sample() throws IOException {
        try (InputStream in = TapReportTest.class.getResourceAsStream("/tap/sample.tap")) {
            return in.readAllBytes();
        }
    }

    @Test
    void resultsCarryStatusNameAndFirstAssertion() throws IOException {
        TapReport tap = new TapReport();
        byte[] b = sample();
        // fed in odd pieces, as a pipe delivers them: lines are joined across reads
        for (int off = 0; off < b.length; off += 7) {
            tap.feed(b, off, Math.min(7, b.length - off));
        }
        List<Result> r = tap.results();
        assertEquals(9, r.size(), r.toString());
        assertEquals(new Result(1, "iommufd.simple_close", Status.PASS, "", "#            OK  iommufd.simple_close\n"), r.get(0));
        Result fail = r.get(5);
        assertEquals("iommufd.simple_ioctls", fail.name());
        assertEquals(Status.FAIL, fail.status());
        assertEquals("iommufd.c:2430:simple_ioctls:Expected VFIO_API_VERSION (0) == ioctl(self->fd, VFIO_GET_API_VERSION) (-1)",
                fail.message());
        assertTrue(fail.diagnostics().contains("Test terminated by assertion"), fail.diagnostics());
        Result skip = r.get(7);
        assertEquals(Status.SKIP, skip.status());
        assertEquals("Skipping test for variant no_viommu", skip.message());
        assertEquals("TAP: 6 pass, 2 skip, 1 fail of 9", tap.summary());
    }

    @Test
    void junitReportCountsAndSplitsNames(@TempDir Path dir) throws IOException {
        TapReport tap = new TapReport();
        for (String line : new String(sample(), StandardCharsets.UTF_8).split("\n")) {
            tap.line(line);
        }
        Path xml = dir.resolve("sub/report.xml");
        tap.writeJunit(xml, "iommufd", 1.5);
        String s = Files.readString(xml);
        assertTrue(s.contains("<testsuite name=\"iommufd\" tests=\"9\" failures=\"1\" errors=\"0\" skipped=\"2\" time=\"1.500\">"), s);
        assertTrue(s.contains("<testcase classname=\"iommufd_viommu.no_viommu\" name=\"viommu_alloc_nested_iopf\"><skipped"), s);
        assertTrue(s.contains("<failure message=\"iommufd.c:2430:simple_ioctls:Expected VFIO_API_VERSION (0) == ioctl(self-&gt;fd,"), s);
    }

    @Test
    void aFailureWithoutAssertionSaysSo() {
        TapReport tap = new TapReport();
        tap.line("#  RUN           f.t ...");
        tap.line("not ok 1 f.t");
        assertEquals("not ok (no assertion printed)", tap.results().get(0).message());
    }
}
