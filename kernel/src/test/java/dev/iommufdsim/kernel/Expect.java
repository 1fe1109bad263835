package dev.iommufdsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import org.junit.jupiter.api.function.Executable;

/** The selftests' "expect errno" helper over the Java API. */
final class Expect {
    private Expect() {
    }

    static IommufdException errno(Errno expected, Executable call) {
        IommufdException e = assertThrows(IommufdException.class, call);
        assertEquals(expected, e.errno(), () -> "expected " + expected + " but got " + e);
        return e;
    }
}
