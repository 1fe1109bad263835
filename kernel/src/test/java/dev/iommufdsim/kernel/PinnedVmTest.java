package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.Expect.errno;
import static dev.iommufdsim.kernel.WorkedScriptTest.FIXED;
import static dev.iommufdsim.kernel.WorkedScriptTest.RW;
import static dev.iommufdsim.kernel.uapi.Errno.ENOMEM;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_OP_SET;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_OPTION_RLIMIT_MODE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iommufdsim.kernel.check.Invariants;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pinned-page accounting of iopt_pages (pages.c iopt_pages_update_pinned,
 * incr_user_locked_vm, update_mm_locked_vm): mm->pinned_vm in every mode, user->locked_vm
 * (USER) or mm->locked_vm (MM) with RLIMIT_MEMLOCK's ENOMEM, CAP_IPC_LOCK charging nobody, and
 * IOAS_CHANGE_PROCESS moving the charge to the caller (ioas.c charge_current, as the
 * selftest's change_process.basic checks it through get_vm_pinned / get_vm_locked).
 */
class PinnedVmTest {
    static final long P = 4096;
    static final long BUF = 0x7f0000000000L;
    static final MappedFile.Id ID = new MappedFile.Id(0, 1, 44);
    static final int MFD = 7;

    private Machine m;
    private PinnedVm vm;
    private TestProcess proc;
    private IommufdCtx ctx;
    private final MappedFile memfd = MappedFile.of(ID, 64 * P, true);
    private final IntFunction<MappedFile> fget = fd -> fd == MFD ? memfd : null;

    @BeforeEach
    void setUp() {
        m = TestDrivers.machine();
        vm = m.userPagePins().pinnedVm();
        proc = new TestProcess().map(BUF, 64 * P, true);
        ctx = m.open();
        ctx.setUserMemory(proc);
    }

    private void check() {
        assertTrue(Invariants.check(m).ok(), () -> Invariants.check(m).toString());
    }

    @Test
    void capIpcLockChargesOnlyPinnedVm() {
        int ioas = ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(ioas, 0);
        long iova = ctx.ioasMap(ioas, RW, BUF, 4 * P, 0, 0);
        assertEquals(Pages.ACCOUNT_NONE, ctx.getIoas(ioas).iopt().areaAt(iova).pages().accountMode());
        assertEquals(4, vm.pinnedVm(proc.mm()), "pinned_vm is charged in every mode");
        assertEquals(0, vm.lockedVm(proc.mm()));
        assertEquals(0, vm.userLockedVm(0));
        ctx.ioasUnmap(ioas, iova, 4 * P);
        assertTrue(vm.isEmpty(), vm::toString);
        check();
    }

    @Test
    void nothingIsChargedUntilPinned() {
        proc.creds(false, 1 << 20, 0);
        int ioas = ctx.ioasAlloc(0);
        long iova = ctx.ioasMap(ioas, FIXED, BUF, 8 * P, 0x1000000, 0); // no domain: nothing pinned
        assertTrue(vm.isEmpty(), vm::toString);
        ctx.selftest().mockDomain(ioas, 0); // the domain fills: 8 pages pinned and charged
        assertEquals(8, vm.pinnedVm(proc.mm()));
        assertEquals(8, vm.userLockedVm(0));
        ctx.selftest().mockDomain(ioas, 0); // a second domain copies from the first: no new pins
        assertEquals(8, vm.pinnedVm(proc.mm()));
        ctx.ioasUnmap(ioas, iova, 8 * P);
        assertTrue(vm.isEmpty(), vm::toString);
        check();
    }

    @Test
    void userModeRlimitIsPerUser() {
        proc.creds(false, 4 * P, 1000); // RLIMIT_MEMLOCK 4 pages, no CAP_IPC_LOCK
        int ioas = ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(ioas, 0);
        long iova = ctx.ioasMap(ioas, RW, BUF, 3 * P, 0, 0);
        assertEquals(3, vm.userLockedVm(1000));
        assertEquals(3, vm.pinnedVm(proc.mm()));
        assertEquals(0, vm.lockedVm(proc.mm()), "USER mode leaves mm->locked_vm alone");
        // another process of the same user shares the user's locked_vm
        TestProcess other = new TestProcess().map(BUF, 64 * P, true).creds(false, 4 * P, 1000);
        IommufdCtx ctx2 = m.open();
        ctx2.setUserMemory(other);
        int ioas2 = ctx2.ioasAlloc(0);
        ctx2.selftest().mockDomain(ioas2, 0);
        errno(ENOMEM, () -> ctx2.ioasMap(ioas2, RW, BUF, 2 * P, 0, 0));
        assertEquals(0, vm.pinnedVm(other.mm()), "a refused charge pins nothing");
        assertEquals(0, m.userPagePins().count(other, BUF));
        long iova2 = ctx2.ioasMap(ioas2, RW, BUF, P, 0, 0); // exactly the limit
        assertEquals(4, vm.userLockedVm(1000));
        ctx.ioasUnmap(ioas, iova, 3 * P);
        ctx2.ioasUnmap(ioas2, iova2, P);
        assertTrue(vm.isEmpty(), vm::toString);
        check();
    }

    @Test
    void mmModeChargesLockedVmOfTheMm() {
        proc.creds(false, 4 * P, 0);
        ctx.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1, 0);
        int ioas = ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(ioas, 0);
        long iova = ctx.ioasMap(ioas, RW, BUF, 4 * P, 0, 0);
        assertEquals(Pages.ACCOUNT_MM, ctx.getIoas(ioas).iopt().areaAt(iova).pages().accountMode());
        assertEquals(4, vm.lockedVm(proc.mm()));
        assertEquals(4, vm.pinnedVm(proc.mm()));
        assertEquals(0, vm.userLockedVm(0));
        errno(ENOMEM, () -> ctx.ioasMap(ioas, RW, BUF + 4 * P, P, 0, 0)); // the area is made, its fill refused
        assertEquals(4, vm.lockedVm(proc.mm()));
        ctx.ioasUnmap(ioas, iova, 4 * P);
        assertTrue(vm.isEmpty(), vm::toString);
        check();
    }

    @Test
    void accessPinsAreChargedToo() {
        proc.creds(false, 2 * P, 0);
        int ioas = ctx.ioasAlloc(0);
        long iova = ctx.ioasMap(ioas, RW, BUF, 4 * P, 0, 0);
        int access = ctx.selftest().createAccess(ioas, Selftest.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
        errno(ENOMEM, () -> ctx.selftest().accessPages(access, iova, 4 * P, BUF, 0));
        int id = ctx.selftest().accessPages(access, iova, 2 * P, BUF, 0);
        assertEquals(2, vm.pinnedVm(proc.mm()));
        ctx.selftest().destroyAccessPages(access, id);
        assertTrue(vm.isEmpty(), vm::toString);
        check();
    }

    /** change_process.{account_none, account_user, account_mm}.basic of the selftest. */
    @ParameterizedTest
    @ValueSource(ints = {Pages.ACCOUNT_NONE, Pages.ACCOUNT_USER, Pages.ACCOUNT_MM})
    void changeProcessMovesTheCharge(int accounting) {
        proc.creds(false, 8 << 20, 0); // drop_cap_ipc_lock()
        if (accounting != Pages.ACCOUNT_NONE) {
            ctx.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, accounting == Pages.ACCOUNT_MM ? 1 : 0, 0);
        }
        int ioas = ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(ioas, 0);
        long iova = ctx.ioasMapFile(ioas, RW, MFD, 0, P, 0, fget);
        ctx.ioasChangeProcess(0); // the caller already: nothing moves
        boolean mm = accounting == Pages.ACCOUNT_MM;
        assertEquals(1, vm.pinnedVm(proc.mm()));
        assertEquals(mm ? 1 : 0, vm.lockedVm(proc.mm()));
        TestProcess child = proc.fork();
        assertEquals(0, vm.pinnedVm(child.mm()));
        ctx.setUserMemory(child);
        ctx.ioasChangeProcess(0);
        assertEquals(0, vm.pinnedVm(proc.mm()));
        assertEquals(0, vm.lockedVm(proc.mm()));
        assertEquals(1, vm.pinnedVm(child.mm()));
        assertEquals(mm ? 1 : 0, vm.lockedVm(child.mm()));
        assertEquals(mm ? 0 : 1, vm.userLockedVm(0), "USER pages stay charged to the (same) user");
        assertSame(child, ctx.getIoas(ioas).iopt().areaAt(iova).pages().sourceMm());
        ctx.ioasUnmap(ioas, iova, P);
        assertTrue(vm.isEmpty(), vm::toString);
        check();
    }

    @Test
    void changeProcessOverTheLimitChangesNothing() {
        proc.creds(false, 8 << 20, 0);
        int ioas = ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(ioas, 0);
        long iova = ctx.ioasMapFile(ioas, RW, MFD, 0, 4 * P, 0, fget);
        TestProcess child = proc.fork().creds(false, 2 * P, 1000); // another user, a lower limit
        ctx.setUserMemory(child);
        errno(ENOMEM, () -> ctx.ioasChangeProcess(0));
        Pages pages = ctx.getIoas(ioas).iopt().areaAt(iova).pages();
        assertSame(proc, pages.sourceMm());
        assertEquals(4, vm.pinnedVm(proc.mm()));
        assertEquals(4, vm.userLockedVm(0));
        assertEquals(0, vm.userLockedVm(1000));
        child.creds(false, 4 * P, 1000);
        ctx.ioasChangeProcess(0);
        assertEquals(0, vm.userLockedVm(0));
        assertEquals(4, vm.userLockedVm(1000));
        assertEquals(4, vm.pinnedVm(child.mm()));
        ctx.setUserMemory(proc);
        ctx.ioasUnmap(ioas, iova, 4 * P);
        assertTrue(vm.isEmpty(), vm::toString);
        check();
    }

    @Test
    void changeProcessLeavesANoneChargeWithTheOldMm() {
        // CAP_IPC_LOCK: IOPT_PAGES_ACCOUNT_NONE, need_charge_update() is false, yet change_mm()
        // moves the source, so the later uncharge of pinned_vm hits the new mm (as in 7.2)
        int ioas = ctx.ioasAlloc(0);
        ctx.selftest().mockDomain(ioas, 0);
        long iova = ctx.ioasMapFile(ioas, RW, MFD, 0, P, 0, fget);
        TestProcess child = proc.fork();
        ctx.setUserMemory(child);
        ctx.ioasChangeProcess(0);
        assertEquals(1, vm.pinnedVm(proc.mm()));
        assertEquals(0, vm.pinnedVm(child.mm()));
        ctx.ioasUnmap(ioas, iova, P);
        assertEquals(1, vm.pinnedVm(proc.mm()));
        assertEquals(-1, vm.pinnedVm(child.mm()));
        check();
    }
}
