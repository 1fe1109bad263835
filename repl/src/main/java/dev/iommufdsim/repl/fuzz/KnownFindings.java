package dev.iommufdsim.repl.fuzz;

import java.util.List;

/**
 * Findings whose cause is known and written up in docs/robustness.md ("Bugs found"), so a
 * campaign counts them instead of failing on them. Each matcher is as narrow as the finding
 * allows; anything else is new. Remove an entry when the lead's fix lands (the campaign then
 * fails if the bug comes back).
 */
public final class KnownFindings {
    private KnownFindings() {
    }

    /** The bug id of a known finding, or null for a new one. */
    public static String classify(OpFuzzer.Finding f) {
        String sig = f.signature();
        String msg = f.message();
        // BUG-4: a replace that fails (or is retried by auto-domain selection) removes the group's
        // reserved regions from the IOAS it stays attached to (iommufd_device_do_replace's err_unresv).
        boolean replaceCall = sig.endsWith(": vfio_attach") || sig.endsWith(": mock_domain_replace")
                || sig.endsWith("after vfio_attach") || sig.endsWith("after mock_domain_replace");
        if (replaceCall && sig.startsWith("state-changed-on-failure") && onlyKeys(msg, List.of("/reserved:", "/msi:"))
                && msg.contains(" dev ")) {
            return "BUG-4";
        }
        if (replaceCall && sig.startsWith("invariant resv") && msg.contains("is not reserved in IOAS")) {
            return "BUG-4";
        }
        return null;
    }

    /** Whether every changed key a snapshot diff lists ends with one of these suffixes. */
    static boolean onlyKeys(String msg, List<String> suffixes) {
        boolean any = false;
        for (String line : msg.split("\n")) {
            if (line.startsWith("  ctx") || line.startsWith("  machine/")) {
                any = true;
                if (suffixes.stream().noneMatch(line::endsWith)) {
                    return false;
                }
            }
        }
        return any;
    }
}
