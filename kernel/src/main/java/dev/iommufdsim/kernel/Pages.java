package dev.iommufdsim.kernel;

/**
 * struct iopt_pages: the user memory behind one or more areas (copies share it). Emulated
 * memory has no bytes: it is a user VA range, page-aligned down, that the kernel pins when
 * a domain needs it. Only what the kernel checks is modelled.
 *
 * @param uptr     user VA of the first page (ALIGN_DOWN(user_va, PAGE_SIZE))
 * @param npages   DIV_ROUND_UP(length + start_byte, PAGE_SIZE)
 * @param writable the pages may be mapped WRITEABLE (a read-only source refuses: EPERM)
 */
record Pages(long uptr, long npages, boolean writable) {
}
