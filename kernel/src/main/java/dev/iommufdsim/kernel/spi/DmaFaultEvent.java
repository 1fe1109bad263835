package dev.iommufdsim.kernel.spi;

/**
 * What a driver's event handler does with a {@link DmaFault}: reports it to the guest as a
 * vEVENT through iommufd_viommu_report_event(), or keeps it (the kernel logs it).
 *
 * @param event       the hardware event in the driver's words, e.g. "event 0x10 (F_TRANSLATION)"
 * @param veventqType the vEVENTQ type it is reported to (IOMMU_VEVENTQ_TYPE_*), 0 when kept
 * @param vevent      the vEVENT data (e.g. struct iommu_vevent_arm_smmuv3), null when kept
 * @param kept        why the driver keeps it, null when reported
 */
public record DmaFaultEvent(String event, int veventqType, byte[] vevent, String kept) {
    /** An event the driver hands to iommufd_viommu_report_event(). */
    public static DmaFaultEvent reported(String event, int veventqType, byte[] vevent) {
        return new DmaFaultEvent(event, veventqType, vevent.clone(), null);
    }

    /** An event the driver keeps: it logs it and the guest never sees it. */
    public static DmaFaultEvent kept(String event, String why) {
        return new DmaFaultEvent(event, 0, null, why);
    }

    public boolean isReported() {
        return vevent != null;
    }
}
