package dev.iommufdsim.repl.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.repl.TestPaths;
import dev.iommufdsim.repl.interp.EvalResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Completion of object-ID arguments with the live objects of the current context, at the '|'. */
class LiveIdCompletionTest {
    static final PluginHost PLUGINS = PluginHost.load(List.of(TestPaths.pluginsDir()));
    final Sim sim = Sim.create(PLUGINS, KernelProfile.MAINLINE);

    List<String> complete(String withCursor) {
        int cursor = withCursor.lastIndexOf('|');
        String text = withCursor.substring(0, cursor) + withCursor.substring(cursor + 1);
        return sim.engine().complete(text, cursor);
    }

    /** Only the numbers among the candidates: the IDs. */
    List<String> ids(String withCursor) {
        return complete(withCursor).stream().filter(c -> Character.isDigit(c.charAt(0))).toList();
    }

    void eval(String text) {
        EvalResult r = sim.engine().eval(text, "<test>");
        assertEquals(EvalResult.Status.OK, r.status(), () -> text + ": " + r);
    }

    @Test
    void destroyOffersEveryLiveObjectNextToTheVariables() {
        eval("a = ioas_alloc()\nb = ioas_alloc()");
        List<String> all = complete("destroy(|");
        assertEquals(List.of("id:", "1", "2"), all.subList(0, 3));
        assertTrue(all.contains("a") && all.contains("b"), "the variables too: " + all);
        assertEquals(List.of("1", "2"), ids("destroy(id: |"));
        eval("destroy(1)");
        assertEquals(List.of("2"), ids("destroy(|"), "a destroyed object is gone");
    }

    @Test
    void theParameterNameSaysWhichKindOfObject() {
        eval("ioas = ioas_alloc()\nm = mock_domain(ioas)");
        // mock_domain: the selftest device (2), its iommufd device (3), the automatic HWPT (4).
        assertEquals(List.of("1", "2", "3", "4"), ids("destroy(|"));
        assertEquals(List.of("1"), ids("ioas_map(|"));
        assertEquals(List.of("1"), ids("ioas_map(ioas_id: |"));
        assertEquals(List.of("1"), ids("ioas_copy(1, src_ioas_id: |"));
        assertEquals(List.of("4"), ids("md_check_map(|"), "hwpt_id");
        assertEquals(List.of("3"), ids("hwpt_alloc(|"), "dev_id");
        assertEquals(List.of("1", "4"), ids("hwpt_alloc(3, |"), "pt_id: an IOAS or a HWPT");
        assertEquals(List.of("1", "4"), ids("vfio_attach(3, pt_id: |"));
        assertEquals(List.of("2"), ids("mock_domain_replace(|"), "stdev_id");
        assertEquals(List.of(), ids("ioas_map(1, |"), "length is no ID");
        assertEquals(List.of(), ids("option(|"), "option_id is no object");
        assertEquals(List.of(), ids("x = |"), "outside a call");
    }

    @Test
    void aPartlyTypedIdIsCompleted() {
        for (int i = 0; i < 12; i++) {
            eval("ioas_alloc()");
        }
        assertEquals(List.of("1", "10", "11", "12"), complete("destroy(1|"));
        assertEquals(List.of("12"), complete("ioas_map(12|"));
        assertEquals(List.of(), complete("x = 1|"), "a number outside an ID argument");
        assertEquals(List.of(), complete("ioas_map(1, 4|"), "a number in a length");
    }

    @Test
    void noContextNoIds() {
        assertEquals(List.of(), ids("destroy(|"), "nothing opened /dev/iommu yet");
        eval("ioas_alloc()\nopen()");
        assertEquals(List.of(), ids("destroy(|"), "the new current context is empty");
        eval("use(1)");
        assertEquals(List.of("1"), ids("destroy(|"));
    }

    @Test
    void parameterNamesToObjectTypes() {
        assertEquals(null, LiveIdCompletion.types("length"));
        assertEquals(null, LiveIdCompletion.types("option_id"));
        assertEquals(null, LiveIdCompletion.types("virt_id"));
        assertEquals("[IOAS]", LiveIdCompletion.types("dst_ioas_id").toString());
        assertEquals("[HWPT_PAGING, HWPT_NESTED]", LiveIdCompletion.types("hwpt_id").toString());
        assertEquals("[DEVICE]", LiveIdCompletion.types("idev_id").toString());
        assertEquals("[VIOMMU]", LiveIdCompletion.types("viommu_id").toString());
        assertEquals("[FAULT]", LiveIdCompletion.types("fault_id").toString());
    }
}
