package dev.iommufdsim.kernel;

import static dev.iommufdsim.kernel.uapi.Errno.EFAULT;
import static dev.iommufdsim.kernel.uapi.Errno.EINVAL;
import static dev.iommufdsim.kernel.uapi.Errno.EOVERFLOW;
import static dev.iommufdsim.kernel.uapi.IommufdException.fail;

import dev.iommufdsim.kernel.uapi.IommufdException;
import dev.iommufdsim.kernel.uapi.Uapi;

/**
 * A device's DMA, which the kernel never performs but a VMM developer needs to play: the
 * device writes [iova, iova + length) through the domain its RID is attached to, and the
 * IOMMU translates it and (with dirty tracking) records what was written. Not uAPI: the
 * write stands for the device, so its failure is a DMA fault, reported as EFAULT (the IOMMU's
 * translation fault; the kernel would log it or queue it as an IOPF event). A failed write
 * changes nothing.
 *
 * <p>Translation: every IOAS area is mapped into every domain of the IOAS with its
 * protection (iopt_area_fill_domains), so a write translates when each byte lies in an area
 * mapped with IOMMU_WRITE. Nested domains: the emulator keeps no stage-1 tables, so the
 * address is taken as the stage-2 input (the guest physical address) and the nesting
 * parent's IOPTEs are the ones written. The SW_MSI doorbell page iommufd maps is not memory
 * and faults here.
 */
public final class DeviceDma {
    private DeviceDma() {
    }

    /**
     * The device writes [iova, iova + length): EINVAL for length 0, EOVERFLOW for a range
     * that wraps, EFAULT when the device's RID is attached to nothing or a byte does not
     * translate to writable memory, then the driver's {@code dmaWrite} (EOPNOTSUPP when it
     * cannot emulate DMA, EFAULT for a fault it finds).
     */
    public static void write(PhysDevice dev, long iova, long length) {
        if (length == 0) {
            throw fail(EINVAL, "length is 0");
        }
        long last = iova + (length - 1);
        if (Long.compareUnsigned(last, iova) < 0) {
            throw fail(EOVERFLOW, "iova 0x%x + length 0x%x - 1 overflows", iova, length);
        }
        IommufdDevice idev = dev.boundTo();
        HwPagetable hwpt = idev == null ? null : idev.attachedHwpt(Uapi.IOMMU_NO_PASID);
        if (hwpt == null) {
            throw fail(EFAULT, "DMA fault: %s writing 0x%x..0x%x: the device is %s, no domain translates its DMA", dev.name(),
                    iova, last, idev == null ? "not bound to an iommufd" : "not attached");
        }
        HwptPaging paging = hwpt.findHwptPaging();
        String through = hwpt == paging ? "hwpt " + hwpt.id() : "hwpt " + hwpt.id() + " (nested on hwpt " + paging.id() + ")";
        String fault = untranslated(paging.ioas().iopt(), iova, last);
        if (fault != null) {
            throw fail(EFAULT, "DMA fault: %s writing 0x%x..0x%x through %s: %s", dev.name(), iova, last, through, fault);
        }
        try {
            dev.iommu().dmaWrite(dev.info(), paging.domain(), iova, length);
        } catch (IommufdException e) {
            String what = e.errno() == EFAULT ? "DMA fault: " : "";
            throw new IommufdException(e.errno(), String.format("%s%s writing 0x%x..0x%x through %s: %s", what, dev.name(), iova, last,
                    through, e.reason()));
        }
    }

    /** Why some byte of [iova, last] does not translate to writable memory, or null when all do. */
    private static String untranslated(IoPagetable iopt, long iova, long last) {
        long at = iova;
        while (true) {
            Area a = iopt.areaAt(at);
            if (a == null || a.pages().revoked()) {
                return String.format("iova 0x%x is not mapped", at);
            }
            if ((a.iommuProt() & Area.IOMMU_WRITE) == 0) {
                return String.format("iova 0x%x is mapped read-only (area 0x%x..0x%x)", at, a.iova(), a.last());
            }
            if (Long.compareUnsigned(a.last(), last) >= 0) {
                return null;
            }
            at = a.last() + 1;
        }
    }
}
