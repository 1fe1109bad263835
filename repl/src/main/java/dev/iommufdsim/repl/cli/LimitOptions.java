package dev.iommufdsim.repl.cli;

import dev.iommufdsim.repl.host.Limits;
import java.math.BigDecimal;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The limits' options (a picocli mixin), on every command that runs scripts (the REPL, `run`,
 * `diff`, `conformance`) and on the REPL's `limits` command. An option left out keeps the
 * limit it modifies: the default, or what the options before the subcommand said.
 */
final class LimitOptions {
    @Option(names = "--max-steps", paramLabel = "N", converter = Count.class, description = "stop a script after N steps: statements, loop"
            + " iterations and calls, plus one per element copied when joining lists or strings (default: 100000000;"
            + " 0: no limit)")
    Long maxSteps;

    @Option(names = "--max-depth", paramLabel = "N", converter = Count.class,
            description = "nested function calls allowed (default: 500; 0: no limit)")
    Long maxDepth;

    @Option(names = "--max-length", paramLabel = "N", converter = Count.class, description = "longest list (elements) or string (characters) a script"
            + " may build: the memory bound (default: 10000000; 0: no limit)")
    Long maxLength;

    @Option(names = "--max-plugin-time", paramLabel = "SECONDS", converter = Seconds.class, description = "a driver plugin call still running after"
            + " this long is abandoned and its plugin disabled (default: 5; 0: no limit)")
    Duration maxPluginTime;

    /** Whether any option was given. */
    boolean any() {
        return maxSteps != null || maxDepth != null || maxLength != null || maxPluginTime != null;
    }

    /** {@code base} with the options given here. */
    Limits over(Limits base) {
        Limits l = base;
        if (maxSteps != null) {
            l = l.withMaxSteps(maxSteps);
        }
        if (maxDepth != null) {
            l = l.withMaxDepth((int) Math.min(Integer.MAX_VALUE, maxDepth));
        }
        if (maxLength != null) {
            l = l.withMaxLength((int) Math.min(Integer.MAX_VALUE, maxLength));
        }
        if (maxPluginTime != null) {
            l = l.withMaxPluginTime(maxPluginTime);
        }
        return l;
    }

    /** A count: digits, '_' allowed between them ("100_000_000"), 0 or more. */
    static final class Count implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            if (!value.matches("[0-9][0-9_]*")) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a count (0, 1, 2, ... ; 0: no limit)");
            }
            try {
                return Long.parseLong(value.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is too large (at most " + Long.MAX_VALUE + ")");
            }
        }
    }

    /** Seconds, possibly with a fraction ("0.5"), 0 or more. */
    static final class Seconds implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            BigDecimal s;
            try {
                s = new BigDecimal(value);
            } catch (NumberFormatException e) {
                s = null;
            }
            if (s == null || s.signum() < 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a number of seconds (5, 0.5; 0: no limit)");
            }
            return Duration.ofNanos(s.movePointRight(9).min(BigDecimal.valueOf(Long.MAX_VALUE)).longValue());
        }
    }
}
