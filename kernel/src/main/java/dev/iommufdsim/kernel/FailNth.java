package dev.iommufdsim.kernel;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;

/**
 * Test-only fault injection, the emulator's counterpart of the kernel's fail_nth
 * (tools/testing/selftests/iommu/iommufd_fail_nth.c with CONFIG_FAULT_INJECTION): while armed,
 * every "allocation step" of the kernel code counts, and step n fails with ENOMEM, as the
 * n-th kmalloc/xa_alloc/pin of an ioctl would. The steps are: an object ID
 * ({@link ObjectTable#reserve}), a reserved range (iopt_reserve_iova), an area
 * (iopt_insert_area), a pages object (iopt_alloc_pages), pinning (iopt_fill_domain), adding a
 * domain (xa_reserve of iopt->domains), the allowed-range tree, an iommufd_group, a file
 * descriptor, a SW_MSI map, and every call into a driver that may allocate (domain_alloc_*,
 * attach_dev, viommu_init, vdevice_init, cache invalidation ...).
 *
 * <p>Zero cost when unused: the steps read one static field that is null unless a test armed
 * an injector. Counting is confined to the thread that armed it, so tests running in other
 * threads are unaffected. Arm around one call: {@code FailNth f = FailNth.arm(k); try {
 * call(); } finally { FailNth.disarm(); }}.
 */
public final class FailNth {
    private static FailNth armed;

    private final Thread thread = Thread.currentThread();
    private final long failAt;
    private long steps;
    private String failedStep;

    private FailNth(long failAt) {
        this.failAt = failAt;
    }

    /**
     * Arms an injector on the calling thread: the failAt-th step (from 1) fails with ENOMEM;
     * 0 or a negative failAt only counts the steps.
     */
    public static FailNth arm(long failAt) {
        FailNth f = new FailNth(failAt);
        armed = f;
        return f;
    }

    /** Stops injecting and counting. */
    public static void disarm() {
        armed = null;
    }

    /** The steps counted so far (including the failed one). */
    public long steps() {
        return steps;
    }

    /** The name of the step that was made to fail, or null if none did. */
    public String failedStep() {
        return failedStep;
    }

    /** One allocation step of the kernel code: fails while an injector says so. */
    static void step(String what) {
        FailNth f = armed;
        if (f != null && f.thread == Thread.currentThread()) {
            f.hit(what);
        }
    }

    private void hit(String what) {
        steps++;
        if (steps == failAt) {
            failedStep = what;
            throw new IommufdException(Errno.ENOMEM, "fail_nth: injected failure of step " + steps + " (" + what + ")");
        }
    }
}
