package dev.iommufdsim.repl.host;

import dev.iommufdsim.kernel.IommufdCtx;
import dev.iommufdsim.kernel.IommufdObject;
import dev.iommufdsim.kernel.ObjType;
import dev.iommufdsim.repl.interp.CompletionContributor;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Completes the uAPI's object-ID arguments ({@code ioas_id}, {@code pt_id}, {@code dev_id},
 * {@code hwpt_id}, {@code id}, ...) with the IDs of the live objects of the session's current
 * iommufd context, in decimal and in ID order. When the parameter's name says which kind of
 * object it takes, only objects of that kind are offered: {@code pt_id} takes an IOAS or a
 * HWPT, as IOMMU_HWPT_ALLOC and the attach calls do.
 */
public final class LiveIdCompletion implements CompletionContributor {
    private static final Set<ObjType> HWPT = EnumSet.of(ObjType.HWPT_PAGING, ObjType.HWPT_NESTED);
    /** Fields named *_id that hold something other than an object ID. */
    private static final Set<String> NOT_OBJECT_IDS = Set.of("option_id", "virt_id");

    private final Session session;

    public LiveIdCompletion(Session session) {
        this.session = session;
    }

    @Override
    public List<String> argumentValues(String callee, String param) {
        Set<ObjType> types = types(param);
        IommufdCtx ctx = session.currentOrNull();
        if (types == null || ctx == null || ctx.isClosed()) {
            return List.of();
        }
        List<String> ids = new ArrayList<>();
        for (IommufdObject o : ctx.objectList()) {
            if (types.contains(o.type())) {
                ids.add(Integer.toUnsignedString(o.id()));
            }
        }
        return ids;
    }

    /**
     * The kinds of object a parameter of that name takes, or null when it is no object ID.
     * The uAPI names them after the object: {@code ioas_id}, {@code dst_ioas_id},
     * {@code hwpt_id}, {@code dev_id}, {@code viommu_id}; {@code id} and {@code object_id}
     * take any object.
     */
    static Set<ObjType> types(String param) {
        if (param.equals("id") || param.equals("object_id")) {
            return EnumSet.complementOf(EnumSet.of(ObjType.ANY));
        }
        if (!param.endsWith("_id") || NOT_OBJECT_IDS.contains(param)) {
            return null;
        }
        if (param.equals("pt_id")) {
            Set<ObjType> s = EnumSet.of(ObjType.IOAS);
            s.addAll(HWPT);
            return s;
        }
        if (param.endsWith("ioas_id")) {
            return EnumSet.of(ObjType.IOAS);
        }
        if (param.endsWith("hwpt_id")) {
            return HWPT;
        }
        if (param.equals("stdev_id")) {
            return EnumSet.of(ObjType.SELFTEST);
        }
        if (param.endsWith("dev_id")) {
            return EnumSet.of(ObjType.DEVICE);
        }
        String kind = param.substring(0, param.length() - "_id".length());
        for (ObjType t : ObjType.values()) {
            if (t.name().equalsIgnoreCase(kind)) {
                return EnumSet.of(t);
            }
        }
        // Another object ID the name does not type (an ID of a newer call): any object.
        return EnumSet.complementOf(EnumSet.of(ObjType.ANY));
    }
}
