package io.llava4j.template;

import static io.llava4j.template.Golden.CUSTOM;
import static io.llava4j.template.Golden.S_HUMAN;
import static io.llava4j.template.Golden.S_MMTAG;
import static io.llava4j.template.Golden.S_USER;
import static io.llava4j.template.Golden.one;
import static io.llava4j.template.Golden.render;
import static io.llava4j.template.Golden.two;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden prompts of the SINGLE, TWO and PLAIN templates. "LLAVA.md 8.n" / "1.4" strings are verbatim
 * from the doc (reference output); "derived" strings follow the LLAVA.md 1.2 pseudocode by hand for
 * combinations the doc does not list (custom system = {@link Golden#CUSTOM}, none = {@code ""}).
 */
class SingleTwoPlainGoldenTest {
    private static final String TWO_TAIL_1 = " USER: <image>\nWhat is shown in this image? ASSISTANT:";
    private static final String TWO_TAIL_2 =
            TWO_TAIL_1 + " A cat sitting on a sofa.</s>USER: What color is the cat?" + " ASSISTANT:";

    @Test
    void llavaV1() {
        // LLAVA.md 8.1, verbatim
        String one = "A chat between a curious human and an artificial intelligence assistant. The assistant gives"
                + " helpful, detailed, and polite answers to the human's questions. USER: <image>\nWhat is shown in"
                + " this image? ASSISTANT:";
        assertEquals(one, one("llava_v1", null));
        // LLAVA.md 8.2: "<#1 up to ASSISTANT:> A cat sitting on a sofa.</s>USER: What color is the cat? ASSISTANT:"
        assertEquals(
                one + " A cat sitting on a sofa.</s>USER: What color is the cat? ASSISTANT:", two("llava_v1", null));
        // derived (TWO: system + sep, then role + ": " + msg + seps[i % 2])
        assertEquals(CUSTOM + TWO_TAIL_1, one("llava_v1", CUSTOM));
        assertEquals(CUSTOM + TWO_TAIL_2, two("llava_v1", CUSTOM));
        // derived: an empty system still writes sep " " (reference output with conv.system = "")
        assertEquals(TWO_TAIL_1, one("llava_v1", ""));
        assertEquals(TWO_TAIL_2, two("llava_v1", ""));
    }

    @Test
    void vicunaV1() {
        // LLAVA.md 1.4: identical to llava_v1 except S_USER
        assertEquals(S_USER + TWO_TAIL_1, one("vicuna_v1", null));
        assertEquals(S_USER + TWO_TAIL_2, two("vicuna_v1", null));
        // derived
        assertEquals(CUSTOM + TWO_TAIL_1, one("vicuna_v1", CUSTOM));
        assertEquals(CUSTOM + TWO_TAIL_2, two("vicuna_v1", CUSTOM));
        assertEquals(TWO_TAIL_1, one("vicuna_v1", ""));
        assertEquals(TWO_TAIL_2, two("vicuna_v1", ""));
        // "v1" is the same template
        assertEquals(S_USER + TWO_TAIL_2, two("v1", null));
    }

    @Test
    void vicunaV1WithVqaSuffix() {
        // LLAVA.md 8.3, verbatim (eval scripts: "<image>\n" + question + short-answer suffix)
        String q = "<image>\nWhat is the color of the bus?\nAnswer the question using a single word or phrase.";
        assertEquals(
                "A chat between a curious user and an artificial intelligence assistant. The assistant gives"
                        + " helpful, detailed, and polite answers to the user's questions. USER: <image>\nWhat is the color"
                        + " of the bus?\nAnswer the question using a single word or phrase. ASSISTANT:",
                render("vicuna_v1", null, List.of(Message.user(q))));
    }

    @Test
    void llavaV0() {
        // LLAVA.md 8.4, verbatim
        String one = "A chat between a curious human and an artificial intelligence assistant. The assistant gives"
                + " helpful, detailed, and polite answers to the human's questions.###Human: <image>\nWhat is shown"
                + " in this image?###Assistant:";
        assertEquals(one, one("llava_v0", null));
        // LLAVA.md 1.4 2-turn: "...###Assistant: A cat sitting on a sofa.###Human: What color is the cat?###Assistant:"
        assertEquals(
                one + " A cat sitting on a sofa.###Human: What color is the cat?###Assistant:", two("llava_v0", null));
        // derived (SINGLE: system + sep, then role + ": " + msg + sep)
        String tail1 = "###Human: <image>\nWhat is shown in this image?###Assistant:";
        String tail2 = tail1 + " A cat sitting on a sofa.###Human: What color is the cat?###Assistant:";
        assertEquals(CUSTOM + tail1, one("llava_v0", CUSTOM));
        assertEquals(CUSTOM + tail2, two("llava_v0", CUSTOM));
        assertEquals(tail1, one("llava_v0", ""));
        assertEquals(tail2, two("llava_v0", ""));
    }

    /** The reference's conv_vicuna_v0 few-shot answer (llava/conversation.py), typed in again. */
    private static final String FEW_SHOT = "###Human: What are the key differences between renewable and"
            + " non-renewable energy sources?###Assistant: Renewable energy sources are those that can be replenished"
            + " naturally in a relatively short amount of time, such as solar, wind, hydro, geothermal, and biomass."
            + " Non-renewable energy sources, on the other hand, are finite and will eventually be depleted, such as"
            + " coal, oil, and natural gas. Here are some key differences between renewable and non-renewable energy"
            + " sources:\n1. Availability: Renewable energy sources are virtually inexhaustible, while non-renewable"
            + " energy sources are finite and will eventually run out.\n2. Environmental impact: Renewable energy"
            + " sources have a much lower environmental impact than non-renewable sources, which can lead to air and"
            + " water pollution, greenhouse gas emissions, and other negative effects.\n3. Cost: Renewable energy"
            + " sources can be more expensive to initially set up, but they typically have lower operational costs"
            + " than non-renewable sources.\n4. Reliability: Renewable energy sources are often more reliable and"
            + " can be used in more remote locations than non-renewable sources.\n5. Flexibility: Renewable energy"
            + " sources are often more flexible and can be adapted to different situations and needs, while"
            + " non-renewable sources are more rigid and inflexible.\n6. Sustainability: Renewable energy sources"
            + " are more sustainable over the long term, while non-renewable sources are not, and their depletion"
            + " can lead to economic and social instability.\n";

    @Test
    void defaultV0WithFewShot() {
        // LLAVA.md 1.4: "<S_HUMAN>###Human: What are the key differences ...###Assistant: Renewable energy sources
        // ... instability.\n###Human: <image>\nWhat is shown in this image?###Assistant:" (pair always included)
        String tail1 = "###Human: <image>\nWhat is shown in this image?###Assistant:";
        String tail2 = tail1 + " A cat sitting on a sofa.###Human: What color is the cat?###Assistant:";
        assertEquals(S_HUMAN + FEW_SHOT + tail1, one("default", null));
        assertEquals(S_HUMAN + FEW_SHOT + tail1, one("v0", null));
        // derived
        assertEquals(S_HUMAN + FEW_SHOT + tail2, two("v0", null));
        assertEquals(CUSTOM + FEW_SHOT + tail1, one("v0", CUSTOM));
        assertEquals(CUSTOM + FEW_SHOT + tail2, two("v0", CUSTOM));
        assertEquals(FEW_SHOT + tail1, one("v0", ""));
        assertEquals(FEW_SHOT + tail2, two("v0", ""));
    }

    @Test
    void v1MmtagRendersPlainMessagesVerbatim() {
        // derived: a plain-string message is never rewritten, even under mmtag
        assertEquals(S_MMTAG + TWO_TAIL_1, one("v1_mmtag", null));
        assertEquals(S_MMTAG + TWO_TAIL_2, two("v1_mmtag", null));
    }

    @Test
    void v0MmtagRendersPlainMessagesVerbatim() {
        // derived (SINGLE style, plain-string messages)
        assertEquals(
                S_MMTAG + "###Human: <image>\nWhat is shown in this image?###Assistant: A cat sitting on a"
                        + " sofa.###Human: What color is the cat?###Assistant:",
                two("v0_mmtag", null));
    }

    @Test
    void plain() {
        // LLAVA.md 8.11, verbatim
        assertEquals("<image>\nWhat is shown in this image?\n", one("plain", null));
        assertEquals("<image>\nWhat is shown in this image?\n", one("v0_plain", null));
        // derived: the default system is "", so none == default; a custom one is written as is
        assertEquals("<image>\nWhat is shown in this image?\n", one("plain", ""));
        assertEquals(CUSTOM + "<image>\nWhat is shown in this image?\n", one("plain", CUSTOM));
    }

    @Test
    void plainTwoTurnsFailsLikeTheReferenceTypeError() {
        for (String system : new String[] {null, "", CUSTOM}) {
            Llava4jException e = assertThrows(Llava4jException.class, () -> two("plain", system));
            assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("'plain'") && e.getMessage().contains("TypeError"), e.getMessage());
        }
    }

    @Test
    void emptyPlainMessageRendersLikeTheOpenSlotAsPythonFalsiness() {
        // derived: `if message:` is false for "", so TWO writes role + ":" (reference quirk kept)
        assertEquals(S_HUMAN + " USER:ASSISTANT:", render("llava_v1", null, List.of(Message.user(""))));
        // SINGLE: the falsy user message gets role + ":" with no sep, so the open slot follows directly
        assertEquals(S_HUMAN + "###Human:Assistant:", render("llava_v0", null, List.of(Message.user(""))));
    }
}
