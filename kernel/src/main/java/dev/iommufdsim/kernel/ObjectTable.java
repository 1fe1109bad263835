package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.ENOENT;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The ctx->objects xarray (XA_FLAGS_ALLOC1, xa_limit_31b): IDs are the lowest free index
 * from 1, reserved when an allocation starts (iommufd_object_alloc stores a placeholder),
 * published when it finishes (iommufd_object_finalize) and released when it fails
 * (iommufd_object_abort). A tombstone keeps an ID unusable until the context closes.
 */
final class ObjectTable {
    static final int MAX_ID = Integer.MAX_VALUE; // xa_limit_31b

    private final List<IommufdObject> slots = new ArrayList<>();
    /** IDs taken: published, reserved (placeholder) or tombstoned. */
    private final BitSet used = new BitSet();
    private final BitSet tombstones = new BitSet();
    private int live;

    /** Reserves the lowest free ID for obj (xa_alloc with a placeholder entry). */
    int reserve(IommufdObject obj) {
        FailNth.step("xa_alloc object ID");
        int id = used.nextClearBit(1);
        if (id > MAX_ID || id < 0) {
            throw fail(dev.iommufdsim.kernel.uapi.Errno.ENOSPC, "object table full");
        }
        used.set(id);
        obj.id = id;
        while (slots.size() <= id) {
            slots.add(null);
        }
        return id;
    }

    /**
     * Moves a reservation to another object (the kernel fills the one it allocated; here the
     * final object is built once the driver's part exists).
     */
    void swapReserved(IommufdObject placeholder, IommufdObject obj) {
        obj.id = placeholder.id;
        obj.users = placeholder.users;
    }

    /** iommufd_object_finalize: the object becomes visible to lookups. */
    void finalize(IommufdObject obj) {
        slots.set(obj.id, obj);
        live++;
    }

    /** iommufd_object_abort: releases a reserved (never published) ID. */
    void abort(IommufdObject obj) {
        if (obj.id > 0 && slots.size() > obj.id && slots.get(obj.id) == null && used.get(obj.id)) {
            used.clear(obj.id);
        }
    }

    /** The published object at id, or null (placeholders and tombstones are not visible). */
    IommufdObject find(int id) {
        if (id <= 0 || id >= slots.size()) {
            return null;
        }
        return slots.get(id);
    }

    /** iommufd_get_object: typed lookup; a wrong type is ENOENT like a missing ID. */
    <T extends IommufdObject> T get(int id, ObjType type, Class<T> cls, String what) {
        IommufdObject obj = find(id);
        if (obj == null) {
            throw fail(ENOENT, "no %s with ID %d", what, id);
        }
        if (type != ObjType.ANY && obj.type() != type) {
            throw fail(ENOENT, "ID %d is a %s, not a %s", id, obj.type(), what);
        }
        return cls.cast(obj);
    }

    /** Removes a published object; with tombstone the ID stays taken (REMOVE_OBJ_TOMBSTONE). */
    void remove(IommufdObject obj, boolean tombstone) {
        slots.set(obj.id, null);
        live--;
        if (tombstone) {
            tombstones.set(obj.id);
        } else {
            used.clear(obj.id);
        }
    }

    boolean isTombstone(int id) {
        return id > 0 && tombstones.get(id);
    }

    /** Whether any object, placeholder or tombstone occupies the table (OPTION RLIMIT_MODE's xa_empty). */
    boolean isEmpty() {
        return used.isEmpty();
    }

    /** Published objects in ID order. */
    List<IommufdObject> objects() {
        List<IommufdObject> out = new ArrayList<>(live);
        for (IommufdObject o : slots) {
            if (o != null) {
                out.add(o);
            }
        }
        return out;
    }

    int liveCount() {
        return live;
    }

    /** Every ID taken (published, reserved or tombstoned), a copy (for the invariant checker). */
    java.util.BitSet usedIds() {
        return (java.util.BitSet) used.clone();
    }

    /** The tombstoned IDs, a copy (for the invariant checker). */
    java.util.BitSet tombstoneIds() {
        return (java.util.BitSet) tombstones.clone();
    }
}
