package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;
import static dev.iommufdsim.kernel.uapi.Uapi.IOMMU_NO_PASID;
import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import java.util.ArrayList;
import java.util.List;

/**
 * The SW_MSI doorbell mappings (drivers/iommu/iommufd/driver.c iommufd_sw_msi*, device.c
 * iommufd_group_setup_msi): under the native model a context keeps one map per (sw_msi_start,
 * doorbell page), numbered by a context-wide id (at most 64) and placed at sw_msi_start +
 * pgoff pages, so a doorbell has the same IOVA in every domain; each paging domain gets the
 * page mapped once, and a group records which maps it needs so they are installed into any
 * domain it moves to. Under the older cookie model (dma-iommu, up to v6.14) each paging
 * domain hands out its own pages and nested domains have none.
 */
public final class SwMsi {
    /** BITS_PER_BYTE * sizeof(struct iommufd_sw_msi_maps.bitmap). */
    public static final int MAX_MAPS = 64;
    private static final long PAGE_MASK = ~(PAGE_SIZE - 1);

    /** struct iommufd_sw_msi_map. */
    public record Map(long swMsiStart, long msiAddr, int pgoff, int id) {
        public long iova() {
            return swMsiStart + pgoff * PAGE_SIZE;
        }
    }

    /** One doorbell page mapped in a paging domain (for inspection). */
    public record Page(long iova, long msiAddr) {
    }

    /** What the IRQ layer got for a device's MSI: the address programmed and whether it is an IOVA. */
    public record Programmed(long address, boolean translated, String how) {
    }

    private final List<Map> maps = new ArrayList<>();
    private int nextId;

    /** iommufd_sw_msi_get_map(). */
    Map getMap(long msiAddr, long swMsiStart) {
        int maxPgoff = 0;
        for (Map cur : maps) {
            if (cur.swMsiStart() != swMsiStart) {
                continue;
            }
            maxPgoff = Math.max(maxPgoff, cur.pgoff() + 1);
            if (cur.msiAddr() == msiAddr) {
                return cur;
            }
        }
        if (nextId >= MAX_MAPS) {
            throw fail(EOVERFLOW, "the context already has %d SW_MSI maps, the most iommufd keeps", MAX_MAPS);
        }
        FailNth.step("iommufd_sw_msi_get_map kzalloc");
        Map m = new Map(swMsiStart, msiAddr, maxPgoff, nextId++);
        maps.add(m);
        return m;
    }

    /** iommufd_sw_msi_install(): map the page into the paging domain once. */
    static void install(HwptPaging hwpt, Map m) {
        if ((hwpt.presentSwMsi & (1L << m.id())) == 0) {
            hwpt.msiPages.add(new Page(m.iova(), m.msiAddr()));
            hwpt.presentSwMsi |= 1L << m.id();
        }
    }

    /** iommufd_group_setup_msi(): install every map the group requires into the new domain. */
    void setupMsi(IommufdGroup igroup, HwptPaging hwpt) {
        if (igroup.swMsiStart == IommufdGroup.NO_SW_MSI) {
            return;
        }
        for (Map m : maps) {
            if (m.swMsiStart() == igroup.swMsiStart && (igroup.requiredSwMsi & (1L << m.id())) != 0) {
                install(hwpt, m);
            }
        }
    }

    public List<Map> maps() {
        return List.copyOf(maps);
    }

    /**
     * The IRQ layer asks for a device's MSI address (iommufd_sw_msi, or for the cookie model
     * iommu_dma_prepare_msi): returns what it programs into the device.
     */
    Programmed request(IommufdDevice idev, long msiAddr, KernelProfile.MsiModel model) {
        IommufdGroup.Attach attach = idev.igroup.pasidAttach.get(IOMMU_NO_PASID);
        if (attach == null || attach.hwpt == null) {
            return new Programmed(msiAddr, false, "the device is not attached: the doorbell address is used as is");
        }
        if (model == KernelProfile.MsiModel.COOKIE) {
            return requestCookie(idev, attach.hwpt, msiAddr);
        }
        HwptPaging hwptPaging = attach.hwpt.findHwptPaging();
        if (idev.igroup.swMsiStart == IommufdGroup.NO_SW_MSI || hwptPaging == null) {
            return new Programmed(msiAddr, false, "no SW_MSI region: the MSI message is not changed (hardware MSI window)");
        }
        Map m = getMap(msiAddr & PAGE_MASK, idev.igroup.swMsiStart);
        install(hwptPaging, m);
        idev.igroup.requiredSwMsi |= 1L << m.id();
        return new Programmed(m.iova() + (msiAddr & ~PAGE_MASK), true, String.format(
                "doorbell page 0x%x mapped at 0x%x (sw_msi_start + %d pages) in hwpt %d", msiAddr & PAGE_MASK, m.iova(), m.pgoff(),
                hwptPaging.id()));
    }

    /** iommu_dma_prepare_msi() / iommu_dma_get_msi_page() of the cookie model. */
    private static Programmed requestCookie(IommufdDevice idev, HwPagetable hwpt, long msiAddr) {
        if (!(hwpt instanceof HwptPaging paging) || paging.msiCookieStart == IommufdGroup.NO_SW_MSI) {
            return new Programmed(msiAddr, false, hwpt instanceof HwptNested
                    ? "the nested domain has no MSI cookie: the device writes the physical doorbell address through the S1, unmapped"
                    : "the domain has no MSI cookie: the MSI message is not changed");
        }
        long page = msiAddr & PAGE_MASK;
        for (Page p : paging.msiPages) {
            if (p.msiAddr() == page) {
                return new Programmed(p.iova() + (msiAddr & ~PAGE_MASK), true, "doorbell page already mapped in this domain's cookie");
            }
        }
        long iova = paging.msiCookieStart + paging.msiPages.size() * PAGE_SIZE;
        paging.msiPages.add(new Page(iova, page));
        return new Programmed(iova + (msiAddr & ~PAGE_MASK), true, String.format(
                "doorbell page 0x%x mapped at 0x%x by hwpt %d's MSI cookie", page, iova, paging.id()));
    }
}
