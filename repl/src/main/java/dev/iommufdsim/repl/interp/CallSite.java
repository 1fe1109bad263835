package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;

/** The {@link CallContext} of one call site, made once by the resolver. */
final class CallSite implements CallContext {
    private final String name;
    private final SourcePos pos;
    private final String declaredName;
    private final Engine engine;

    CallSite(String name, SourcePos pos, String declaredName, Engine engine) {
        this.name = name;
        this.pos = pos;
        this.declaredName = declaredName;
        this.engine = engine;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SourcePos pos() {
        return pos;
    }

    @Override
    public String declaredName() {
        return declaredName;
    }

    @Override
    public Engine engine() {
        return engine;
    }
}
