package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.dsl.SourcePos;
import dev.iommufdsim.kernel.uapi.Errno;
import dev.iommufdsim.kernel.uapi.IommufdException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A tiny table of fake built-ins and an engine that records what it reports. */
final class Fixture implements EngineListener {
    final BuiltinTable table = new BuiltinTable();
    final Engine engine = new Engine(table);
    final List<Expectation> expectations = new ArrayList<>();
    final List<Object> shown = new ArrayList<>();
    final List<Object> results = new ArrayList<>();
    final List<RuntimeError> errors = new ArrayList<>();
    final List<Diagnostic> diagnostics = new ArrayList<>();
    final Map<String, String> files = new HashMap<>();
    long counter;
    String lastDeclared;

    Fixture() {
        table.register(Builtin.builder("add")
                .summary("a + b")
                .required("a", "first")
                .optional("b", 0L, "second")
                .invoker((ctx, args) -> Values.asLong(args[0], "a") + Values.asLong(args[1], "b"))
                .build());
        table.register(Builtin.builder("fail")
                .summary("always fails")
                .optional("errno", Errno.EINVAL, "the errno")
                .errnos(Errno.EINVAL, Errno.EEXIST)
                .invoker((ctx, args) -> {
                    throw new IommufdException((Errno) args[0], "refused by the fake kernel");
                })
                .build());
        table.register(Builtin.builder("count")
                .invoker((ctx, args) -> ++counter)
                .build());
        table.register(Builtin.builder("nothing")
                .invoker((ctx, args) -> null)
                .build());
        table.register(Builtin.builder("where")
                .invoker((ctx, args) -> ctx.pos().toString())
                .build());
        table.register(Builtin.builder("broken")
                .invoker((ctx, args) -> {
                    throw new IllegalStateException("bug in the host");
                })
                .build());
        table.register(Builtin.builder("ioas_map")
                .summary("map memory into an IOAS")
                .required("ioas_id", "the IOAS")
                .optional("iova", 0L, "where (with FIXED_IOVA)")
                .required("length", "how much")
                .param(Param.optional("flags", 0L, "IOMMU_IOAS_MAP_*").withConstants("FIXED_IOVA", "READABLE", "WRITEABLE"))
                .errnos(Errno.EINVAL, Errno.EEXIST)
                .invoker((ctx, args) -> {
                    long flags = Values.asLong(args[3], "flags");
                    if ((flags & 1) != 0 && Values.asLong(args[1], "iova") == 0x8000000L) {
                        throw new IommufdException(Errno.EINVAL, "iova 0x8000000 is reserved (SW_MSI)");
                    }
                    return (flags & 1) != 0 ? args[1] : (Object) 0x10000L;
                })
                .build());
        table.register(Builtin.builder("ioas_alloc")
                .invoker((ctx, args) -> 1L)
                .build());
        table.register(Builtin.builder("mock")
                .kind(Builtin.Kind.IOMMU)
                .optional("msi_base", 0x8000000L, "SW_MSI window base")
                .extraNamed()
                .invoker((ctx, args) -> {
                    lastDeclared = ctx.declaredName();
                    return Record.of("iommu", "name", ctx.declaredName(), "msi_base", args[0], "props", args[1]);
                })
                .build());
        table.register(Builtin.builder("pci")
                .kind(Builtin.Kind.DEVICE)
                .required("bdf", "segment:bus:device.function")
                .required("iommu", "the IOMMU instance")
                .extraNamed()
                .invoker((ctx, args) -> Record.of("device", "name", ctx.declaredName(), "bdf", args[0]))
                .build());
        table.registerConstant("FIXED_IOVA", 1L, "IOMMU_IOAS_MAP_FIXED_IOVA");
        table.registerConstant("IOMMU_IOAS_MAP_FIXED_IOVA", 1L, "use the given iova");
        table.registerConstant("READABLE", 2L, "IOMMU_IOAS_MAP_READABLE");
        table.registerConstant("WRITEABLE", 4L, "IOMMU_IOAS_MAP_WRITEABLE");
        engine.setListener(this);
        engine.setSourceLoader((including, path) -> {
            String text = files.get(path);
            if (text == null) {
                throw new java.nio.file.NoSuchFileException(path);
            }
            return new SourceLoader.Loaded(path, text);
        });
    }

    EvalResult eval(String text) {
        return engine.eval(text, "t.iommu");
    }

    /** The value of one expression. */
    Object value(String expr) {
        EvalResult r = eval(expr);
        if (!r.ok()) {
            throw new AssertionError("eval(" + expr + "): " + r.diagnostics() + " " + r.error());
        }
        return r.value();
    }

    /** The diagnostics of text that must not resolve, as "line:col message". */
    List<String> staticErrors(String text) {
        EvalResult r = eval(text);
        if (r.status() != EvalResult.Status.LOAD_ERROR) {
            throw new AssertionError("expected load errors from: " + text + ", got " + r);
        }
        List<String> out = new ArrayList<>();
        for (Diagnostic d : r.diagnostics()) {
            out.add(d.line() + ":" + d.col() + " " + d.message());
        }
        return out;
    }

    /** The runtime error text must stop with. */
    RuntimeError runtimeError(String text) {
        EvalResult r = eval(text);
        if (r.status() != EvalResult.Status.RUNTIME_ERROR) {
            throw new AssertionError("expected a runtime error from: " + text + ", got " + r);
        }
        return r.error();
    }

    @Override
    public void expectation(Expectation e) {
        expectations.add(e);
    }

    @Override
    public void show(Object value, SourcePos pos) {
        shown.add(value);
    }

    @Override
    public void result(Object value, SourcePos pos) {
        results.add(value);
    }

    @Override
    public void runtimeError(RuntimeError error) {
        errors.add(error);
    }

    @Override
    public void diagnostics(List<Diagnostic> list) {
        diagnostics.addAll(list);
    }
}
