package io.llava4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SamplerConfigTest {

    @Test
    void defaultsAreTheLlavaCliSettings() {
        SamplerConfig d = SamplerConfig.defaults();
        assertEquals(0.2, d.temperature());
        assertEquals(50, d.topK());
        assertEquals(1.0, d.topP());
        assertEquals(0.0, d.minP());
        assertEquals(1.0, d.repeatPenalty());
        assertEquals(64, d.penaltyWindow());
        assertFalse(d.isGreedy());
        assertFalse(d.hasPenalties());
        assertTrue(SamplerConfig.greedy().isGreedy());
    }

    @Test
    void withersChangeOneField() {
        SamplerConfig c = SamplerConfig.defaults()
                .withTopK(40)
                .withTopP(0.95)
                .withMinP(0.05)
                .withRepeatPenalty(1.1)
                .withFrequencyPenalty(-0.5)
                .withPresencePenalty(0.5)
                .withPenaltyWindow(8)
                .withSeed(-3)
                .withTemperature(0.7);
        assertEquals(new SamplerConfig(0.7, 40, 0.95, 0.05, 1.1, -0.5, 0.5, 8, -3), c);
        assertTrue(c.hasPenalties());
        assertFalse(c.withPenaltyWindow(0).hasPenalties());
    }

    @Test
    void rejectsOutOfRangeValuesNamingFieldAndValue() {
        SamplerConfig d = SamplerConfig.defaults();
        assertInvalid("temperature", "-0.1", () -> d.withTemperature(-0.1));
        assertInvalid("temperature", "NaN", () -> d.withTemperature(Double.NaN));
        assertInvalid("temperature", "Infinity", () -> d.withTemperature(Double.POSITIVE_INFINITY));
        assertInvalid("topK", "-1", () -> d.withTopK(-1));
        assertInvalid("topP", "1.5", () -> d.withTopP(1.5));
        assertInvalid("topP", "-0.5", () -> d.withTopP(-0.5));
        assertInvalid("minP", "2.0", () -> d.withMinP(2));
        assertInvalid("minP", "NaN", () -> d.withMinP(Double.NaN));
        assertInvalid("repeatPenalty", "0.0", () -> d.withRepeatPenalty(0));
        assertInvalid("frequencyPenalty", "NaN", () -> d.withFrequencyPenalty(Double.NaN));
        assertInvalid("presencePenalty", "-Infinity", () -> d.withPresencePenalty(Double.NEGATIVE_INFINITY));
        assertInvalid("penaltyWindow", "-2", () -> d.withPenaltyWindow(-2));
    }

    @Test
    void acceptsTheEdgesOfEachRange() {
        SamplerConfig d = SamplerConfig.defaults();
        d.withTemperature(0)
                .withTopK(0)
                .withTopP(0)
                .withMinP(1)
                .withPenaltyWindow(0)
                .withRepeatPenalty(1e-3)
                .withFrequencyPenalty(-2)
                .withPresencePenalty(2)
                .withTopP(1)
                .withMinP(0);
    }

    private static void assertInvalid(String field, String value, Supplier<SamplerConfig> make) {
        Llava4jException e = assertThrows(Llava4jException.class, make::get);
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(field) && e.getMessage().endsWith(value), e.getMessage());
    }
}
