package io.llava4j.cli.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.sampling.SamplerConfig;
import org.junit.jupiter.api.Test;

/** {@code /set}: every name changes its setting; bad names and values are refused with a reason. */
class SettingsEditorTest {
    private static final GenerationSettings BASE = GenerationSettings.defaults();

    @Test
    void everyNameChangesItsSetting() {
        SamplerConfig s = BASE.sampler();
        assertEquals(
                s.withTemperature(0.7),
                SettingsEditor.apply(BASE, "temp", "0.7").sampler());
        assertEquals(
                s.withTemperature(0.7),
                SettingsEditor.apply(BASE, "Temperature", " 0.7 ").sampler());
        assertEquals(s.withTopK(5), SettingsEditor.apply(BASE, "top-k", "5").sampler());
        assertEquals(s.withTopP(0.9), SettingsEditor.apply(BASE, "top-p", "0.9").sampler());
        assertEquals(
                s.withMinP(0.05), SettingsEditor.apply(BASE, "min-p", "0.05").sampler());
        assertEquals(
                s.withRepeatPenalty(1.1),
                SettingsEditor.apply(BASE, "repeat-penalty", "1.1").sampler());
        assertEquals(s.withSeed(-3), SettingsEditor.apply(BASE, "seed", "-3").sampler());
        assertEquals(64, SettingsEditor.apply(BASE, "max-tokens", "64").maxTokens());
        assertEquals(7, SettingsEditor.NAMES.size());
    }

    @Test
    void badInputIsRefusedWithAReason() {
        assertMessage("unknown setting 'heat'", "heat", "1");
        assertMessage("temp must be a number, got 'hot'", "temp", "hot");
        assertMessage("temp must be a number, got 'NaN'", "temp", "NaN");
        assertMessage("top-k must be a whole number", "top-k", "2.5");
        assertMessage("topP", "top-p", "1.5");
        assertMessage("maxTokens", "max-tokens", "0");
    }

    private static void assertMessage(String expected, String name, String value) {
        Llava4jException e = assertThrows(Llava4jException.class, () -> SettingsEditor.apply(BASE, name, value));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void describeListsEveryName() {
        String d = SettingsEditor.describe(BASE);
        for (String name : SettingsEditor.NAMES) {
            assertTrue(d.contains(name + " "), d);
        }
    }
}
