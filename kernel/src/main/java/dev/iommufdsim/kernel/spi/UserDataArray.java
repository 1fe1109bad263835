package dev.iommufdsim.kernel.spi;

import static dev.iommufdsim.kernel.uapi.Errno.E2BIG;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * struct iommu_user_data_array: the entries of an IOMMU_HWPT_INVALIDATE call as the driver
 * receives them. A driver reads entries with the kernel's copy helpers and reports how many
 * it handled with {@link #setDone}; the kernel writes that back as entry_num, also when the
 * driver fails part-way.
 */
public final class UserDataArray {
    private final int type;
    private final int entryLen;
    private final List<byte[]> entries;
    private int done;

    public UserDataArray(int type, int entryLen, List<byte[]> entries) {
        this.type = type;
        this.entryLen = entryLen;
        this.entries = List.copyOf(entries);
    }

    public int type() {
        return type;
    }

    public int entryLen() {
        return entryLen;
    }

    public int entryNum() {
        return entries.size();
    }

    /** How many entries the driver handled (array->entry_num on return). */
    public int done() {
        return done;
    }

    public void setDone(int n) {
        this.done = n;
    }

    /**
     * iommu_copy_struct_from_user_array(): entry i into a kernel struct of kernelSize bytes;
     * a wrong type, or entry_len shorter than minSize or longer than kernelSize, is EINVAL.
     */
    public UserStruct copyEntry(int i, int expectedType, int minSize, int kernelSize) {
        if (entries.isEmpty()) {
            throw fail(EINVAL, "no entries");
        }
        return UserStruct.copyFromUser(type, entries.get(i), expectedType, minSize, kernelSize);
    }

    /**
     * iommu_copy_struct_from_full_user_array(): every entry into kernelEntrySize-byte
     * structs; a shorter entry is zero-extended, a longer one must have a zero tail (E2BIG).
     */
    public List<UserStruct> copyFull(int expectedType, int kernelEntrySize) {
        if (type != expectedType) {
            throw fail(EINVAL, "data type 0x%x, expected 0x%x", type, expectedType);
        }
        if (entries.isEmpty()) {
            throw fail(EINVAL, "no entries");
        }
        List<UserStruct> out = new ArrayList<>(entries.size());
        for (byte[] e : entries) {
            for (int b = kernelEntrySize; b < e.length; b++) {
                if (e[b] != 0) {
                    throw fail(E2BIG, "entry byte %d beyond the kernel's %d-byte struct is not zero", b, kernelEntrySize);
                }
            }
            out.add(UserStruct.wrap(Arrays.copyOf(e, kernelEntrySize)));
        }
        return out;
    }
}
