package io.llava4j.cli.repl;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.sampling.SamplerConfig;
import java.util.List;
import java.util.Locale;

/**
 * {@code /set NAME VALUE}: changes one generation setting by the name of its command-line option
 * (without the dashes), validated by {@link SamplerConfig} and {@link GenerationSettings}.
 */
public final class SettingsEditor {
    /** The names {@code /set} takes, as the options of {@code llava4j run} spell them. */
    public static final List<String> NAMES =
            List.of("temp", "top-k", "top-p", "min-p", "repeat-penalty", "seed", "max-tokens");

    private SettingsEditor() {}

    /**
     * Returns {@code settings} with one value changed.
     *
     * @param name one of {@link #NAMES} (case-insensitive; {@code temperature} is taken for {@code temp})
     * @param value the new value as typed
     * @throws Llava4jException {@code INVALID_ARGUMENT} for an unknown name, a value that is not a
     *     number, or one out of range; {@code settings} is unchanged (it is immutable)
     */
    public static GenerationSettings apply(GenerationSettings settings, String name, String value) {
        SamplerConfig s = settings.sampler();
        String key = name.toLowerCase(Locale.ROOT);
        return switch (key) {
            case "temp", "temperature" -> settings.withSampler(s.withTemperature(decimal(key, value)));
            case "top-k" -> settings.withSampler(s.withTopK(integer(key, value)));
            case "top-p" -> settings.withSampler(s.withTopP(decimal(key, value)));
            case "min-p" -> settings.withSampler(s.withMinP(decimal(key, value)));
            case "repeat-penalty" -> settings.withSampler(s.withRepeatPenalty(decimal(key, value)));
            case "seed" -> settings.withSampler(s.withSeed(whole(key, value)));
            case "max-tokens" -> settings.withMaxTokens(integer(key, value));
            default ->
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT, "unknown setting '" + name + "': one of " + String.join(", ", NAMES));
        };
    }

    /** One line with every setting, in {@code /set} names. */
    public static String describe(GenerationSettings settings) {
        SamplerConfig s = settings.sampler();
        return String.format(
                Locale.ROOT,
                "temp %s, top-k %d, top-p %s, min-p %s, repeat-penalty %s, seed %d, max-tokens %d",
                num(s.temperature()),
                s.topK(),
                num(s.topP()),
                num(s.minP()),
                num(s.repeatPenalty()),
                s.seed(),
                settings.maxTokens());
    }

    private static String num(double d) {
        return Double.toString(d);
    }

    private static double decimal(String key, String value) {
        try {
            double d = Double.parseDouble(value.trim());
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw notA("number", key, value);
        }
    }

    private static int integer(String key, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw notA("whole number", key, value);
        }
    }

    private static long whole(String key, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw notA("whole number", key, value);
        }
    }

    private static Llava4jException notA(String what, String key, String value) {
        return new Llava4jException(Code.INVALID_ARGUMENT, key + " must be a " + what + ", got '" + value + "'");
    }
}
