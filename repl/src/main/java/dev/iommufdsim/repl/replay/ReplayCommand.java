package dev.iommufdsim.repl.replay;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code iommufd-sim replay FILE.ops...} does. Without --check: the emulator's output
 * of each file, exactly the oracle runner's format (with several files, each preceded by a
 * {@code ==> FILE <==} header), so {@code iommufd-sim replay f.ops | diff f.ops.out -}
 * compares. With --check: each file against the kernel's FILE.ops.out beside it, the
 * differing lines and the totals; exit 1 when any line differs or a recording is missing.
 */
public final class ReplayCommand {
    /** Exit codes as the rest of the CLI: 0 agree, 1 disagree, 2 unreadable input. */
    public static final int OK = 0;
    public static final int DIFFERS = 1;
    public static final int LOAD_ERROR = 2;

    private ReplayCommand() {
    }

    public static int run(OpsReplay replay, List<Path> files, boolean check, PrintStream out) {
        int rc = OK;
        int agree = 0;
        int total = 0;
        int filesSame = 0;
        for (Path f : files) {
            String mine;
            try {
                mine = replay.run(f);
            } catch (IOException e) {
                out.println(f + ": cannot read: " + e.getMessage());
                rc = LOAD_ERROR;
                continue;
            }
            if (!check) {
                if (files.size() > 1) {
                    out.println("==> " + f + " <==");
                }
                out.print(mine);
                continue;
            }
            Path rec = f.resolveSibling(f.getFileName() + ".out");
            if (!Files.isRegularFile(rec)) {
                out.println(f + ": no kernel recording " + rec.getFileName() + " (tools/kernel-oracle/record.sh writes it)");
                rc = Math.max(rc, DIFFERS);
                continue;
            }
            String kernel;
            try {
                kernel = Files.readString(rec, StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                out.println(rec + ": cannot read: " + e.getMessage());
                rc = LOAD_ERROR;
                continue;
            }
            OutDiff d = OutDiff.of(kernel, mine);
            agree += d.agreeing();
            total += d.total();
            if (d.same()) {
                filesSame++;
                out.println(f + ": agrees (" + d.total() + " lines)");
            } else {
                rc = Math.max(rc, DIFFERS);
                out.println(f + ": " + d.agreeing() + "/" + d.total() + " lines agree (-kernel +emulator)");
                out.print(d.render(20));
            }
        }
        if (check) {
            out.println(filesSame + "/" + files.size() + " files agree, " + agree + "/" + total + " lines");
        }
        return rc;
    }
}
