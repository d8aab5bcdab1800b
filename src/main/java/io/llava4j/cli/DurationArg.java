package io.llava4j.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A length of time given on the command line: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}. */
final class DurationArg {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9}(?:\\.\\d{1,9})?)\\s*(ms|s|m|h)?");

    private DurationArg() {}

    /**
     * Reads a positive number with a unit ({@code ms}, {@code s}, {@code m}, {@code h}); a bare
     * number is seconds. Fractions are allowed ({@code 1.5s}) and rounded down to milliseconds.
     *
     * @throws IllegalArgumentException if {@code text} is not such a duration, or is under 1 ms
     */
    static Duration parse(String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a duration such as 30s, 2m or 500ms");
        }
        long unitMillis = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> 1;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 1_000;
        };
        long millis = new BigDecimal(m.group(1))
                .multiply(BigDecimal.valueOf(unitMillis))
                .longValue();
        if (millis < 1) {
            throw new IllegalArgumentException("must be at least 1ms");
        }
        return Duration.ofMillis(millis);
    }

    /** Lets picocli turn a bad value into a usage error (exit code 2) naming the option. */
    static final class Converter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "': " + e.getMessage());
            }
        }
    }
}
