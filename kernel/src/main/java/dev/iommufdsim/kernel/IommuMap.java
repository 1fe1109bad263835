package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Uapi.PAGE_SIZE;

import dev.iommufdsim.kernel.spi.PagingDomain;
import java.util.List;

/**
 * How iommufd writes an area into a domain's IOPTEs and takes it out again, for the domains
 * whose IOPTEs the emulator keeps: those with dirty tracking (the driver's dirty bits live in
 * them). Models batch_to_domain() and iopt_area_unmap_domain_range() of pages.c, and the core's
 * iommu_map() / iommu_unmap() with iommu_pgsize() (drivers/iommu/iommu.c), which split a range
 * into the driver's map_pages / unmap_pages calls.
 *
 * <p>Physical memory: the emulator has none, so the "physical address" handed to the driver
 * is the user address, and a whole area counts as one physically contiguous run, as hugetlb
 * memory is. The kernel maps ordinary memory in runs of whatever pages happen to be
 * contiguous (often single 4 KiB pages); with IOMMU_OPTION_HUGE_PAGES off it maps PAGE_SIZE
 * at a time in both models.
 */
final class IommuMap {
    private IommuMap() {
    }

    /** Whether the emulator keeps this domain's IOPTEs: it has dirty tracking. */
    static boolean keepsIoptes(HwptPaging hwpt) {
        return hwpt.domain().dirtyTracking();
    }

    /** iopt_area_fill_domains() for the IOPTEs: every new area into every such domain. */
    static void fillDomains(List<HwptPaging> domains, List<Area> areas, boolean disableLargePages) {
        for (HwptPaging hwpt : domains) {
            if (keepsIoptes(hwpt)) {
                for (Area a : areas) {
                    fillArea(hwpt, a, disableLargePages);
                }
            }
        }
    }

    /** iopt_area_unfill_domains() for the IOPTEs: the area out of every such domain. */
    static void unfillDomains(List<HwptPaging> domains, Area a) {
        if (a.pages().revoked()) {
            return; // iopt_area_unfill_domain(): a revoked dma-buf is out of the domains already
        }
        for (HwptPaging hwpt : domains) {
            if (keepsIoptes(hwpt)) {
                hwpt.owner.unmapPages(hwpt.domain(), a.iova(), a.length());
            }
        }
    }

    /**
     * iopt_fill_domain() / iopt_area_fill_domain() -> batch_to_domain(): the area's pages in
     * one iommu_map() per physically contiguous run, or PAGE_SIZE at a time when large pages
     * are disabled (batch_iommu_map_small).
     */
    static void fillArea(HwptPaging hwpt, Area a, boolean disableLargePages) {
        if (!keepsIoptes(hwpt) || a.pages().revoked()) { // iopt_area_fill_domain(): nothing of a revoked dma-buf
            return;
        }
        if (!disableLargePages) {
            iommuMap(hwpt, a.iova(), a.userVa(a.iova()), a.length(), a.iommuProt());
            return;
        }
        long iova = a.iova();
        while (true) {
            long va = a.userVa(iova);
            long left = a.last() - iova + 1;
            long piece = Math.min(PAGE_SIZE - Long.remainderUnsigned(va, PAGE_SIZE), left);
            if (piece == PAGE_SIZE && mapWholePages(hwpt, iova, va, left / PAGE_SIZE, a.iommuProt())) {
                piece = left - Long.remainderUnsigned(left, PAGE_SIZE);
            } else {
                iommuMap(hwpt, iova, va, piece, a.iommuProt());
            }
            if (piece == left) {
                return;
            }
            iova += piece;
        }
    }

    /**
     * batch_iommu_map_small() over n whole, aligned pages: iommu_map() splits each page the same
     * way, so the driver gets one map_pages call for all of them, the same IOPTEs as n
     * page-sized calls (and no loop of a million calls for a 4 GiB area). False when a page
     * does not split into one page size.
     */
    private static boolean mapWholePages(HwptPaging hwpt, long iova, long paddr, long n, int prot) {
        long[] count = new long[1];
        long pgsize = iommuPgsize(hwpt.domain().pgsizeBitmap(), iova, paddr, PAGE_SIZE, count);
        if (pgsize == 0 || pgsize * count[0] != PAGE_SIZE) {
            return false;
        }
        hwpt.owner.mapPages(hwpt.domain(), iova, paddr, pgsize, count[0] * n, prot);
        return true;
    }

    /** __iommu_map(): the range in the largest pages iommu_pgsize() allows, one map_pages call each. */
    private static void iommuMap(HwptPaging hwpt, long iova, long paddr, long size, int prot) {
        PagingDomain d = hwpt.domain();
        while (size != 0) {
            long[] count = new long[1];
            long pgsize = iommuPgsize(d.pgsizeBitmap(), iova, paddr, size, count);
            if (pgsize == 0) {
                return; // __iommu_map's alignment check: iommufd never gets here
            }
            hwpt.owner.mapPages(d, iova, paddr, pgsize, count[0], prot);
            long mapped = pgsize * count[0];
            iova += mapped;
            paddr += mapped;
            size -= mapped;
        }
    }

    /**
     * iommu_pgsize(): the biggest page size of the bitmap that fits size and the alignment of
     * iova | paddr, and (count[0]) how many of them to map before a bigger size could start.
     * 0 when none fits.
     */
    static long iommuPgsize(long pgsizeBitmap, long iova, long paddr, long size, long[] count) {
        long addrMerge = paddr | iova;
        long pgsizes = pgsizeBitmap & genmask(63 - Long.numberOfLeadingZeros(size));
        if (addrMerge != 0) {
            pgsizes &= genmask(Long.numberOfTrailingZeros(addrMerge));
        }
        if (pgsizes == 0) {
            return 0;
        }
        int pgsizeIdx = 63 - Long.numberOfLeadingZeros(pgsizes);
        long pgsize = 1L << pgsizeIdx;
        long bigger = pgsizeBitmap & ~genmask(pgsizeIdx);
        if (bigger != 0) {
            long pgsizeNext = Long.lowestOneBit(bigger);
            // a bigger page only helps if iova and paddr sit at the same offset inside it
            if (((iova ^ paddr) & (pgsizeNext - 1)) == 0) {
                long offset = pgsizeNext - (addrMerge & (pgsizeNext - 1));
                if (Long.compareUnsigned(offset + pgsizeNext, size) <= 0) {
                    size = offset;
                }
            }
        }
        count[0] = size >>> pgsizeIdx;
        return pgsize;
    }

    /** GENMASK(h, 0): bits 0..h set. */
    private static long genmask(int h) {
        return h >= 63 ? -1L : (1L << (h + 1)) - 1;
    }
}
