package dev.iommufdsim.kernel;

/**
 * struct iommufd_object: what every object in a context's table has. {@code users} counts
 * the table's own reference plus one per referencing object or attachment; IOMMU_DESTROY
 * succeeds only while it is exactly 1 (iommufd_object_remove).
 */
public abstract class IommufdObject {
    private final ObjType type;
    int id;
    int users = 1;

    protected IommufdObject(ObjType type) {
        this.type = type;
    }

    public final ObjType type() {
        return type;
    }

    /** The object ID, valid once the object is in the table. */
    public final int id() {
        return id;
    }

    /** The users count as the kernel keeps it (1 = only the table refers to it). */
    public final int users() {
        return users;
    }

    /** refcount_inc(&obj->users): another object or an attachment now refers to this one. */
    final void get() {
        users++;
    }

    /** refcount_dec(&obj->users). */
    final void put() {
        if (users <= 1) {
            throw new IllegalStateException("users underflow on " + this);
        }
        users--;
    }

    /** Per-type destroy (the kernel's iommufd_object_ops[type].destroy): drop what it holds. */
    abstract void destroy();

    @Override
    public String toString() {
        return type + " " + id;
    }
}
