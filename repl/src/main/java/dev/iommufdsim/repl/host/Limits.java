package dev.iommufdsim.repl.host;

import dev.iommufdsim.repl.interp.Engine;
import java.time.Duration;

/**
 * The bounds on one run of a script or REPL entry, as the command line and the REPL's
 * {@code limits} command set them. 0 means no limit, everywhere.
 *
 * @param maxSteps      statements, loop iterations and calls, plus one per element or character
 *                      copied when joining lists or strings ({@link Engine#setStepLimit})
 * @param maxDepth      nested user-function calls ({@link Engine#setMaxCallDepth})
 * @param maxLength     elements of a list, characters of a string ({@link Engine#setMaxLength})
 * @param maxPluginTime how long one call into a driver plugin may run before it is abandoned
 *                      and its plugin disabled ({@link Sim#eval})
 */
public record Limits(long maxSteps, int maxDepth, int maxLength, Duration maxPluginTime) {
    public static final Duration DEFAULT_PLUGIN_TIME = Duration.ofSeconds(5);
    public static final Limits DEFAULT = new Limits(Engine.DEFAULT_STEP_LIMIT, Engine.DEFAULT_MAX_CALL_DEPTH,
            Engine.DEFAULT_MAX_LENGTH, DEFAULT_PLUGIN_TIME);

    public Limits {
        if (maxSteps < 0 || maxDepth < 0 || maxLength < 0 || maxPluginTime.isNegative()) {
            throw new IllegalArgumentException("limits cannot be negative");
        }
    }

    public Limits withMaxSteps(long n) {
        return new Limits(n, maxDepth, maxLength, maxPluginTime);
    }

    public Limits withMaxDepth(int n) {
        return new Limits(maxSteps, n, maxLength, maxPluginTime);
    }

    public Limits withMaxLength(int n) {
        return new Limits(maxSteps, maxDepth, n, maxPluginTime);
    }

    public Limits withMaxPluginTime(Duration d) {
        return new Limits(maxSteps, maxDepth, maxLength, d);
    }

    void applyTo(Engine engine) {
        engine.setStepLimit(maxSteps == 0 ? Long.MAX_VALUE : maxSteps);
        engine.setMaxCallDepth(maxDepth == 0 ? Integer.MAX_VALUE : maxDepth);
        engine.setMaxLength(maxLength == 0 ? Engine.LONGEST : maxLength);
    }

    /** "5 s", "0.25 s": a plugin time as messages say it. */
    public static String seconds(Duration d) {
        return new java.math.BigDecimal(d.toNanos()).movePointLeft(9).stripTrailingZeros().toPlainString() + " s";
    }

    /** One line, in the options' names: "--max-steps 100000000 --max-depth 500 ...", "0 (no limit)". */
    @Override
    public String toString() {
        return "--max-steps " + none(maxSteps) + "  --max-depth " + none(maxDepth) + "  --max-length " + none(maxLength)
                + "  --max-plugin-time " + (maxPluginTime.isZero() ? "0 (no limit)"
                : seconds(maxPluginTime).replace(" s", "") + " (seconds)");
    }

    private static String none(long n) {
        return n == 0 ? "0 (no limit)" : Long.toString(n);
    }
}
