package dev.iommufdsim.repl.plugins;

import static dev.iommufdsim.repl.plugins.TestPlugins.error;
import static dev.iommufdsim.repl.plugins.TestPlugins.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.KernelProfile;
import dev.iommufdsim.kernel.Machine;
import dev.iommufdsim.kernel.spi.IommuInstance;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.repl.host.Limits;
import dev.iommufdsim.repl.host.PluginHost;
import dev.iommufdsim.repl.host.Sim;
import dev.iommufdsim.repl.interp.RuntimeError;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real broken-test plugin jar (plugins/broken-test), loaded through PluginHost.load: every
 * way its driver misbehaves fails the one call cleanly, with the errno, the plugin's id and the
 * hook named, and leaves the machine and the iommufd context as they were.
 */
class BrokenPluginContainmentTest {
    static final String PLUGIN = "broken-test";
    private Sim sim;

    @BeforeEach
    void load(@TempDir Path dir) throws IOException {
        sim = TestPlugins.sim(TestPlugins.dirWith(dir, PLUGIN));
        PluginHost.LoadedPlugin p = sim.session().plugins().plugins().get(0);
        assertEquals(PLUGIN, p.id());
        assertEquals("STARTED", p.state(), String.valueOf(p.error()));
        assertEquals(List.of("broken"), p.drivers());
    }

    private Machine machine() {
        return sim.session().machine();
    }

    /** Arms the instance's misbehaviour after the fact (BrokenInstance.misbehave, by reflection across the plugin's class loader). */
    private void misbehave(String iommu, String hook, String mode) throws ReflectiveOperationException {
        IommuInstance ops = machine().iommu(iommu).ops();
        ops.getClass().getMethod("misbehave", String.class, String.class).invoke(ops, hook, mode);
    }

    private static void assertNamed(RuntimeError e, Errno errno, String... words) {
        assertEquals(errno, e.errno(), e.toString());
        for (String w : words) {
            assertTrue(e.reason().contains(w), "'" + w + "' in: " + e.reason());
        }
        assertFalse(e.getMessage().contains("\tat "), "no stack trace: " + e.getMessage());
    }

    private List<String> objects() {
        return sim.session().ctx().objectList().stream().map(o -> o.id() + ":" + o.type()).toList();
    }

    /** Misbehaviour at declaration: the device is not declared, and the same name can be declared once the driver heals. */
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
        "get_resv_regions, throw,       EIO",
        "get_resv_regions, recurse,     EIO",
        "get_resv_regions, linkage,     EIO",
        "get_resv_regions, overlap,     EINVAL",
        "get_resv_regions, two_sw_msi,  EINVAL",
        "get_resv_regions, zero_length, EINVAL",
        "get_resv_regions, wrap,        EINVAL",
        "capable,          throw,       EIO",
        "capable,          null,        EINVAL",
    })
    void declaringADeviceFailsCleanly(String hook, String mode, Errno errno) throws ReflectiveOperationException {
        ok(sim, "iommu b0 = broken()");
        misbehave("b0", hook, mode);
        RuntimeError e = error(sim, "device d0 = pci(\"0000:01:00.0\", iommu: b0)");
        assertNamed(e, errno, "'" + PLUGIN + "'", hook);
        assertTrue(machine().devices().isEmpty(), "no device declared");
        misbehave("b0", "none", "");
        ok(sim, "device d0 = pci(\"0000:01:00.0\", iommu: b0)");
        assertEquals(1, machine().devices().size());
    }

    /**
     * An Error other than LinkageError/StackOverflowError (here AssertionError, as a plugin's
     * own assert or a test library throws) is contained like an exception: EIO naming the
     * plugin and the hook, no Java stack trace (IommuInstanceHandle.contain, SPI-PROPOSALS.md #5).
     */
    @Test
    void assertionErrorIsContained() throws ReflectiveOperationException {
        ok(sim, "iommu b0 = broken()");
        misbehave("b0", "get_resv_regions", "assert");
        assertNamed(error(sim, "device d0 = pci(\"0000:01:00.0\", iommu: b0)"), Errno.EIO, "'" + PLUGIN + "'", "get_resv_regions");
    }

    /** A probe that throws: no instance, and the name stays free. */
    @Test
    void probeThatThrows() {
        RuntimeError e = error(sim, "iommu b0 = broken(hook: \"probe\")");
        assertNamed(e, Errno.EIO, "'" + PLUGIN + "'", "probe", "deliberate bug");
        assertTrue(machine().iommus().isEmpty());
        ok(sim, "iommu b0 = broken()");
    }

    /**
     * The state-change case: a bound device whose driver starts reporting overlapping regions
     * (or throws) at attach. VFIO_DEVICE_ATTACH_IOMMUFD_PT fails; no HWPT is left behind, the
     * IOAS keeps its whole IOVA space, and the same attach succeeds once the driver heals.
     */
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
        "get_resv_regions,          overlap,      EINVAL",
        "get_resv_regions,          two_sw_msi,   EINVAL",
        "get_resv_regions,          throw,        EIO",
        "attach_dev,                throw,        EIO",
        "attach_dev,                recurse,      EIO",
        "domain_alloc_paging_flags, throw,        EIO",
        "domain_alloc_paging_flags, null,         EINVAL",
        "domain_alloc_paging_flags, empty_pgsize, EINVAL",
        "domain_alloc_paging_flags, bad_aperture, EINVAL",
    })
    void attachingFailsWithoutAStateChange(String hook, String mode, Errno errno) throws ReflectiveOperationException {
        ok(sim, "iommu b0 = broken()\ndevice d0 = pci(\"0000:01:00.0\", iommu: b0)\ndev = vfio_bind(d0)\nioas = ioas_alloc()");
        Object rangesBefore = ok(sim, "ioas_iova_ranges(ioas)");
        List<String> before = objects();
        misbehave("b0", hook, mode);
        RuntimeError e = error(sim, "vfio_attach(dev, ioas)");
        assertNamed(e, errno, "'" + PLUGIN + "'", hook);
        assertEquals(before, objects(), "no HWPT or other object left behind");
        assertEquals(rangesBefore, ok(sim, "ioas_iova_ranges(ioas)"), "no reservation left in the IOAS");
        misbehave("b0", "none", "");
        ok(sim, "hwpt = vfio_attach(dev, ioas)");
        assertEquals(before.size() + 1, objects().size(), "the healed driver attaches: one automatic HWPT");
    }

    /** IOMMU_GET_HW_INFO with a driver whose hw_info throws: EIO with the plugin named. */
    @Test
    void hwInfoThatThrows() throws ReflectiveOperationException {
        ok(sim, "iommu b0 = broken()\ndevice d0 = pci(\"0000:01:00.0\", iommu: b0)\ndev = vfio_bind(d0)");
        assertEquals(0L, ((dev.iommufdsim.repl.interp.Record) ok(sim, "get_hw_info(dev)")).field("out_data_type"));
        misbehave("b0", "hw_info", "throw");
        assertNamed(error(sim, "get_hw_info(dev)"), Errno.EIO, "'" + PLUGIN + "'", "hw_info");
    }

    /**
     * A driver call that never returns (the real jar's hw_info spinning, deaf to interrupts) is
     * abandoned after --max-plugin-time, named, and its plugin disabled; the session goes on,
     * and the abandoned thread, once the loop ends, parks instead of finishing the entry.
     */
    @Test
    void aDriverCallThatNeverReturnsIsAbandonedAndItsPluginDisabled() throws Exception {
        sim.setLimits(Limits.DEFAULT.withMaxPluginTime(Duration.ofMillis(300)));
        ok(sim, "iommu b0 = broken()\ndevice d0 = pci(\"0000:01:00.0\", iommu: b0)\ndev = vfio_bind(d0)");
        misbehave("b0", "hw_info", "loop");
        long t0 = System.nanoTime();
        RuntimeError e = error(sim, "before = 1\nget_hw_info(dev)\nafter = 1");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("t.sim:2:1: plugin broken-test: hw_info did not return within 0.3 s; plugin disabled (the call was"
                + " abandoned where it stood and may still be running: what it had changed is not undone; --max-plugin-time"
                + " sets the bound)", e.toString());
        assertTrue(ms >= 300 && ms < 1500, "abandoned after " + ms + " ms");
        Thread stuck = thread("iommufd-sim run", Thread.State.RUNNABLE);

        // The session goes on; the plugin is not called again, whichever instance or machine.
        assertEquals(1L, ok(sim, "before"));
        assertNamed(error(sim, "get_hw_info(dev)"), Errno.EIO, "'" + PLUGIN + "' (broken) is disabled, hw_info not called:"
                + " hw_info did not return within 0.3 s");
        assertNamed(error(sim, "iommu b1 = broken()"), Errno.EIO, "is disabled, probe not called");
        Sim other = Sim.create(sim.session().plugins(), KernelProfile.MAINLINE);
        assertNamed(error(other, "iommu b2 = broken()"), Errno.EIO, "is disabled");
        PluginHost.LoadedPlugin p = sim.session().plugins().plugins().get(0);
        assertEquals("DISABLED", p.state());
        assertEquals("hw_info did not return within 0.3 s", p.error());

        // The loop ends: the thread parks for good instead of coming back into the engine.
        misbehave("b0", "none", "");
        assertEquals(Thread.State.WAITING, await(stuck, Thread.State.WAITING));
        assertNull(sim.engine().variable("after"), "the rest of the abandoned entry never ran");
    }

    /** Ctrl-C (Engine.interrupt) does not wait for the bound when a driver call holds the run. */
    @Test
    void interruptingADriverCallThatDoesNotReturnAbandonsItAtOnce() throws Exception {
        sim.setLimits(Limits.DEFAULT.withMaxPluginTime(Duration.ofSeconds(60)));
        ok(sim, "iommu b0 = broken()\ndevice d0 = pci(\"0000:01:00.0\", iommu: b0)\ndev = vfio_bind(d0)");
        misbehave("b0", "attach_dev", "loop");
        Thread ctrlC = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            sim.engine().interrupt();
        });
        ctrlC.start();
        long t0 = System.nanoTime();
        RuntimeError e = error(sim, "vfio_attach(dev, ioas_alloc())");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        ctrlC.join();
        assertTrue(e.getMessage().matches("plugin broken-test: attach_dev was interrupted after running for at least 0\\.\\d+ s;"
                + " plugin disabled .*"), e.getMessage());
        assertTrue(ms < 1500, "abandoned after " + ms + " ms");
        Thread stuck = thread("iommufd-sim run", Thread.State.RUNNABLE);
        assertEquals(1L, ok(sim, "1"), "the session goes on");
        misbehave("b0", "none", "");
        assertEquals(Thread.State.WAITING, await(stuck, Thread.State.WAITING));
    }

    /** The same bound on a declaration: a probe that never returns. */
    @Test
    void aProbeThatNeverReturnsIsAbandoned() throws Exception {
        sim.setLimits(Limits.DEFAULT.withMaxPluginTime(Duration.ofMillis(200)));
        RuntimeError e = error(sim, "iommu b0 = broken(hook: \"probe\", mode: \"loop\")");
        assertTrue(e.getMessage().startsWith("plugin broken-test: probe did not return within 0.2 s; plugin disabled"), e.getMessage());
        assertTrue(machine().iommus().isEmpty());
        Thread stuck = thread("iommufd-sim run", Thread.State.RUNNABLE);
        Object driver = machine().driver("broken");
        driver.getClass().getMethod("releaseLoops").invoke(driver);
        assertEquals(Thread.State.WAITING, await(stuck, Thread.State.WAITING));
    }

    /**
     * With a time bound, a run goes on a thread of its own that the caller watches (one per run,
     * nothing per driver call); without one (--max-plugin-time 0), on the caller's thread.
     */
    @Test
    void aTimeBoundRunsTheScriptOnAWatchedThread() {
        List<Thread> seen = new java.util.ArrayList<>();
        sim.engine().setListener(new dev.iommufdsim.repl.interp.EngineListener() {
            @Override
            public void show(Object value, dev.iommufdsim.dsl.SourcePos pos) {
                seen.add(Thread.currentThread());
            }
        });
        ok(sim, "show 1");
        sim.setLimits(Limits.DEFAULT.withMaxPluginTime(Duration.ZERO));
        ok(sim, "show 2");
        assertEquals("iommufd-sim run", seen.get(0).getName());
        assertTrue(seen.get(0).isDaemon(), "an abandoned run must not keep the JVM alive");
        assertSame(Thread.currentThread(), seen.get(1));
    }

    /** The abandoned run's thread of this test's simulator, in the given state. */
    private static Thread thread(String name, Thread.State state) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name) && t.getState() == state
                        && java.util.Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().contains("brokentest")))
                .findFirst().orElseThrow(() -> new AssertionError("no " + state + " thread '" + name + "' in the plugin"));
    }

    private static Thread.State await(Thread t, Thread.State state) throws InterruptedException {
        for (int i = 0; i < 200 && t.getState() != state; i++) {
            Thread.sleep(5);
        }
        return t.getState();
    }

    /** The other drivers keep working next to a broken one. */
    @Test
    void otherInstancesAreUnaffected() throws ReflectiveOperationException {
        ok(sim, "iommu b0 = broken()\niommu b1 = broken()\ndevice d0 = pci(\"0000:01:00.0\", iommu: b0)\n"
                + "device d1 = pci(\"0000:02:00.0\", iommu: b1)");
        misbehave("b0", "get_resv_regions", "throw");
        ok(sim, "dev1 = vfio_bind(d1)\nvfio_attach(dev1, ioas_alloc())");
        assertNull(machine().device("d0").boundTo());
    }
}
