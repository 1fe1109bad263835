package dev.iommufdsim.repl.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.EvalResult;
import org.junit.jupiter.api.Test;

/** The ioas_map_file built-in (IOMMU_IOAS_MAP_FILE): a file named by inode number and size. */
class MapFileScriptTest {
    private final Sim sim = TestPlugins.sim(TestPaths.pluginsDir());

    @Test
    void mapsAMemfdAndRefusesPagesPastItsEnd() {
        EvalResult r = sim.engine().eval(String.join("\n",
                "ioas = ioas_alloc()",
                "m = mock_domain(ioas)",
                "expect ioas_map_file(ioas, length: 0) fails EINVAL",
                "expect ioas_map_file(ioas, length: 4K, flags: 0) fails EINVAL",
                "expect ioas_map_file(99, length: 4K) fails ENOENT",
                "expect ioas_map_file(ioas, length: 8K, file_size: 4K) fails EINVAL",
                "expect ioas_map_file(ioas, length: 4K, memfd: 0) fails EINVAL",
                "expect ioas_map_file(ioas, start: 4K, length: 4K, iova: 0x1000000, file: 2) == 0x1000000",
                "expect ioas_unmap(ioas, iova: 0x1000000, length: 4K) == 4K",
                ""), "mapfile.sim");
        assertEquals(EvalResult.Status.OK, r.status(), r.diagnostics() + " " + r.error());
        assertEquals(0, r.failed(), sim.engine().expectations().toString());
    }
}
