package dev.iommufdsim.repl.plugins;

import static dev.iommufdsim.repl.plugins.TestPlugins.error;
import static dev.iommufdsim.repl.plugins.TestPlugins.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.Record;
import dev.iommufdsim.repl.interp.RuntimeError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vendor kit's plugin (plugins/template), built by the reactor, loaded from its jar and driven by a script. */
class TemplatePluginTest {
    private Sim sim;

    @BeforeEach
    void load(@TempDir Path dir) throws IOException {
        sim = TestPlugins.sim(TestPlugins.dirWith(dir, "template"));
        PluginHost.LoadedPlugin p = sim.session().plugins().plugins().get(0);
        assertEquals("template", p.id());
        assertEquals("STARTED", p.state(), String.valueOf(p.error()));
        assertEquals(List.of("acme_iommu"), p.drivers());
    }

    /**
     * The scratch window is reserved in the IOAS: a hole in the ranges, and a fixed mapping over
     * it fails EINVAL (iopt_check_iova(), io_pagetable.c:197: "No reserved IOVA intersects the
     * range"; EADDRINUSE is for a reservation that meets an existing mapping).
     */
    @Test
    void reservedScratchWindowAndAperture() {
        ok(sim, String.join("\n",
                "iommu acme0 = acme_iommu(aperture_bits: 40)",
                "device nic0 = pci(\"0000:01:00.0\", iommu: acme0)",
                "dev = vfio_bind(nic0)",
                "ioas = ioas_alloc()",
                "vfio_attach(dev, ioas)"));
        assertEquals(ok(sim, "[0..0xfcffffff, 0xfd100000..0xffffffffff]"), ok(sim, "ioas_iova_ranges(ioas).ranges"));
        assertEquals(Errno.EINVAL, error(sim, "ioas_map(ioas, 4K, iova: 0xfd000000, flags: FIXED_IOVA | READABLE | WRITEABLE)").errno());
        assertEquals(0xfd100000L, ok(sim, "ioas_map(ioas, 4K, iova: 0xfd100000, flags: FIXED_IOVA | READABLE | WRITEABLE)"));
        Record info = (Record) ok(sim, "get_hw_info(dev)");
        assertEquals(0L, info.field("out_data_type"), "no hw_info op: IOMMU_HW_INFO_TYPE_NONE");
    }

    @Test
    void errnosOfTheDriver() {
        assertEquals(Errno.EINVAL, error(sim, "iommu acme0 = acme_iommu(aperture_bit: 40)").errno());
        ok(sim, "iommu acme0 = acme_iommu()\ndevice nic0 = pci(\"0000:01:00.0\", iommu: acme0)\ndev = vfio_bind(nic0)\nioas = ioas_alloc()");
        assertEquals(Errno.EOPNOTSUPP, error(sim, "hwpt_alloc(dev_id: dev, pt_id: ioas, flags: NEST_PARENT)").errno());
    }

    /** A driver without the dmaWrite hook: the translation is checked, then the spi default refuses. */
    @Test
    void dmaWriteWithoutTheHook() {
        ok(sim, "iommu acme0 = acme_iommu()\ndevice nic0 = pci(\"0000:01:00.0\", iommu: acme0)\ndev = vfio_bind(nic0)\n"
                + "ioas = ioas_alloc()\nvfio_attach(dev, ioas)\nioas_map(ioas, 4K, iova: 0x100000)");
        assertEquals(Errno.EFAULT, error(sim, "dma_write(nic0, 0x200000, 4K)").errno());
        RuntimeError e = error(sim, "dma_write(nic0, 0x100000, 4K)");
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertEquals("dma_write: EOPNOTSUPP: nic0 writing 0x100000..0x100fff through hwpt 3: driver cannot emulate DMA", e.getMessage());
    }
}
