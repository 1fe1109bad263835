package dev.iommufdsim.kernel;

/**
 * A dma-buf of the selftest's exporter (selftest.c struct iommufd_test_dma_buf behind
 * IOMMU_TEST_OP_DMABUF_GET): zeroed kernel memory of a page-aligned length that
 * IOMMU_TEST_OP_DMABUF_REVOKE can revoke and restore. IOAS_MAP_FILE of its fd makes
 * IOPT_ADDRESS_DMABUF pages (pages.c iopt_alloc_dmabuf_pages): no user pages are pinned (the
 * exporter's memory is pinned by dma_buf_pin), and a revoke unmaps them from every domain for
 * good (iopt_revoke_notify sets phys.len to 0); a later map of a revoked dma-buf is ENODEV.
 */
public final class Dmabuf {
    private final long size;
    private boolean revoked;

    Dmabuf(long size) {
        this.size = size;
    }

    /** dmabuf->size. */
    public long size() {
        return size;
    }

    /** priv->revoked. */
    public boolean revoked() {
        return revoked;
    }

    void setRevoked(boolean revoked) {
        this.revoked = revoked;
    }

    @Override
    public String toString() {
        return "dma-buf of " + size + " bytes" + (revoked ? " (revoked)" : "");
    }
}
