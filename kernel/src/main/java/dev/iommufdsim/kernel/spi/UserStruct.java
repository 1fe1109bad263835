package dev.iommufdsim.kernel.spi;

import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A little-endian uAPI struct as bytes: how drivers read user data (nested HWPT data,
 * invalidation entries) and build the structs they return (hw_info). x86-64 and arm64 are
 * little-endian, so are the emulated structs.
 */
public final class UserStruct {
    private final ByteBuffer buf;

    private UserStruct(byte[] bytes) {
        this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The given bytes as a struct (no copy checks). */
    public static UserStruct wrap(byte[] bytes) {
        return new UserStruct(bytes.clone());
    }

    /** A zeroed struct of this size, to fill and return. */
    public static UserStruct allocate(int size) {
        return new UserStruct(new byte[size]);
    }

    /**
     * iommu_copy_struct_from_user(): the user's bytes copied into a kernel struct of
     * {@code kernelSize} bytes. A wrong type, a length shorter than {@code minSize} (the
     * original struct's last field) or longer than the kernel's struct is EINVAL; a shorter
     * copy is zero-extended.
     */
    public static UserStruct copyFromUser(int dataType, byte[] data, int expectedType, int minSize, int kernelSize) {
        if (dataType != expectedType) {
            throw fail(EINVAL, "data type 0x%x, expected 0x%x", dataType, expectedType);
        }
        if (data.length < minSize || data.length > kernelSize) {
            throw fail(EINVAL, "data length %d outside %d..%d", data.length, minSize, kernelSize);
        }
        return new UserStruct(Arrays.copyOf(data, kernelSize));
    }

    public long u64(int offset) {
        return buf.getLong(offset);
    }

    public int u32(int offset) {
        return buf.getInt(offset);
    }

    public UserStruct putU32(int offset, int value) {
        buf.putInt(offset, value);
        return this;
    }

    public UserStruct putU64(int offset, long value) {
        buf.putLong(offset, value);
        return this;
    }

    public byte[] bytes() {
        return buf.array().clone();
    }
}
