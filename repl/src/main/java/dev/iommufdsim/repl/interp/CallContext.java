package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;

/**
 * What a built-in learns about the call in progress besides its arguments. One object per
 * call site, made when the script is resolved (so calling it costs nothing).
 */
public interface CallContext {

    /** The built-in's name as called. */
    String name();

    /** Where the call is written. */
    SourcePos pos();

    /**
     * For a machine declaration ({@code iommu smmu0 = arm_smmuv3()}), the declared name
     * ("smmu0"); null for an ordinary call.
     */
    String declaredName();

    /** The engine running the script. */
    Engine engine();

    /** Shorthand for {@code engine().service(type)}: a host object such as the kernel. */
    default <T> T service(Class<T> type) {
        return engine().service(type);
    }
}
