package dev.iommufdsim.kernel;

/**
 * The calling process's memory as the kernel sees it when it pins pages (pin_user_pages):
 * which user VA ranges exist. Emulated memory holds no bytes.
 */
public interface UserMemory {
    /** Whether every page of [va, va + length) can be pinned. */
    boolean canPin(long va, long length);

    /** A process whose every address can be pinned (the default: scripts rarely care). */
    UserMemory ALL_MAPPED = (va, length) -> true;
}
