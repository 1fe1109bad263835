package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Uapi.ULONG_MAX;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * struct selftest_access (drivers/iommu/iommufd/selftest.c): the file behind an
 * IOMMU_TEST_OP_CREATE_ACCESS descriptor. It is the driver of one {@link IommufdAccess} (the
 * selftest_access_ops, with or without needs_pin_pages) and remembers each ACCESS_PAGES pin as
 * an item, which DESTROY_ACCESS_PAGES, the access's unmap op or closing the file unpins.
 */
public final class SelftestAccess implements IommufdAccess.Ops {
    /** struct selftest_access_item: one ACCESS_PAGES pin. */
    public record Item(long iova, long length, int id) {
    }

    private final boolean needsPinPages;
    /** staccess->access; set once the access is attached. */
    IommufdAccess access;
    private final List<Item> items = new ArrayList<>();
    private int nextId;

    SelftestAccess(boolean needsPinPages) {
        this.needsPinPages = needsPinPages;
    }

    /** The access this file drives. */
    public IommufdAccess access() {
        return access;
    }

    /** The pins it holds, in creation order (a copy). */
    public List<Item> items() {
        return List.copyOf(items);
    }

    @Override
    public boolean needsPinPages() {
        return needsPinPages;
    }

    /** Records a pin; returns its out_access_pages_id (staccess->next_id++). */
    Item addItem(long iova, long length) {
        Item item = new Item(iova, length, nextId++);
        items.add(item);
        return item;
    }

    /** Forgets a pin without unpinning it (the caller unpins). */
    void dropItem(Item item) {
        items.remove(item);
    }

    /** The pin with this ID, or null. */
    Item item(int id) {
        for (Item i : items) {
            if (i.id() == id) {
                return i;
            }
        }
        return null;
    }

    /** iommufd_test_access_unmap(): unpins every item meeting [iova, iova + length - 1]. */
    @Override
    public void unmap(long iova, long length) {
        long iovaLast = iova + length - 1;
        for (Iterator<Item> it = items.iterator(); it.hasNext();) {
            Item item = it.next();
            if (Long.compareUnsigned(iova, item.iova() + item.length() - 1) > 0 || Long.compareUnsigned(iovaLast, item.iova()) < 0) {
                continue;
            }
            it.remove();
            access.unpinPages(item.iova(), item.length());
        }
    }

    /** iommufd_test_staccess_release(): close() of the fd unpins everything and destroys the access. */
    void release() {
        if (access != null) {
            unmap(0, ULONG_MAX);
            access.destroyUser();
        }
    }
}
