package dev.iommufdsim.repl.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The CI op-sequence campaign (docs/robustness.md): a fixed seed, at least 200,000 calls across
 * contexts of every profile, the shipped drivers' devices and mock devices, with the
 * invariants checked after every call and failed calls checked for side effects. New findings
 * fail the test with their shrunk scripts; known bugs (KnownFindings) are counted.
 */
class OpFuzzCampaignTest {
    static final long SEED = 20261125L;
    static final long CALLS = 200_000;

    @Test
    void campaign() {
        Campaign.Report report = Campaign.run(FuzzPlugins.host(), SEED, CALLS, 400, 400, msg -> System.out.println("fuzz: " + msg));
        System.out.println(report.summary());
        System.out.print(report.stats().perCallTable());
        System.out.println("errnos: " + report.stats().errnos());
        assertTrue(report.stats().calls() >= CALLS);
        assertTrue(report.findings().isEmpty(), "new fuzz findings:\n" + Campaign.describe(report));
    }
}
