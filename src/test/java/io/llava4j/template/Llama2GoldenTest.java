package io.llava4j.template;

import static io.llava4j.template.Golden.CUSTOM;
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
 * Golden prompts of the LLAMA_2 templates. "LLAVA.md" strings are verbatim from the doc; "derived"
 * ones follow the LLAMA_2 pseudocode of LLAVA.md 1.2 (wrap_sys, [INST], sep/sep2, lstrip(sep)).
 */
class Llama2GoldenTest {
    private static final String INST_Q1 = "<image>\nWhat is shown in this image? [/INST]";
    private static final String SECOND_TURN_S =
            " A cat sitting on a sofa. </s><s>[INST] What color is the cat? [/INST]";

    @Test
    void llavaLlama2() {
        // LLAVA.md 8.6, verbatim, with its 2-turn suffix
        String one = "[INST] <<SYS>>\nYou are a helpful language and vision assistant. You are able to understand the"
                + " visual content that the user provides, and assist the user with a variety of tasks using natural"
                + " language.\n<</SYS>>\n\n<image>\nWhat is shown in this image? [/INST]";
        assertEquals(one, one("llava_llama_2", null));
        assertEquals(
                one + " A cat sitting on a sofa. </s><s>[INST] What color is the cat? [/INST]",
                two("llava_llama_2", null));
        // derived
        String custom = "[INST] <<SYS>>\nAnswer in one word.\n<</SYS>>\n\n" + INST_Q1;
        assertEquals(custom, one("llava_llama_2", CUSTOM));
        assertEquals(custom + SECOND_TURN_S, two("llava_llama_2", CUSTOM));
        // derived: wrap_sys("") == "", no <<SYS>> block
        assertEquals("[INST] " + INST_Q1, one("llava_llama_2", ""));
        assertEquals("[INST] " + INST_Q1 + SECOND_TURN_S, two("llava_llama_2", ""));
    }

    @Test
    void mistralInstruct() {
        // LLAVA.md 8.5, verbatim (1 and 2 turns): system "" and sep "" give no <<SYS>> block and no <s>
        String one = "[INST] <image>\nWhat is shown in this image? [/INST]";
        String two = "[INST] <image>\nWhat is shown in this image? [/INST] A cat sitting on a sofa. </s>[INST] What"
                + " color is the cat? [/INST]";
        assertEquals(one, one("mistral_instruct", null));
        assertEquals(two, two("mistral_instruct", null));
        assertEquals(two, two("llava_mistral_instruct", null));
        // derived: none == default here; a custom system gets wrap_sys
        assertEquals(one, one("mistral_instruct", ""));
        assertEquals(two, two("mistral_instruct", ""));
        String custom = "[INST] <<SYS>>\nAnswer in one word.\n<</SYS>>\n\n" + INST_Q1;
        assertEquals(custom, one("mistral_instruct", CUSTOM));
        assertEquals(
                custom + " A cat sitting on a sofa. </s>[INST] What color is the cat? [/INST]",
                two("mistral_instruct", CUSTOM));
    }

    @Test
    void llama2MetaSystemPrompt() {
        // derived; system text is the reference's conv_llama_2 (note the double space after "safe.")
        String sys = "You are a helpful, respectful and honest assistant. Always answer as helpfully as possible,"
                + " while being safe.  Your answers should not include any harmful, unethical, racist, sexist, toxic,"
                + " dangerous, or illegal content. Please ensure that your responses are socially unbiased and"
                + " positive in nature.\n\nIf a question does not make any sense, or is not factually coherent,"
                + " explain why instead of answering something not correct. If you don't know the answer to a"
                + " question, please don't share false information.";
        String one = "[INST] <<SYS>>\n" + sys + "\n<</SYS>>\n\n" + INST_Q1;
        assertEquals(one, one("llama_2", null));
        assertEquals(one + SECOND_TURN_S, two("llama_2", null));
        assertEquals("[INST] " + INST_Q1, one("llama_2", ""));
    }

    @Test
    void llavaLlama2Simple() {
        // derived (NX conv_llava_llama_2_simple)
        String one = "[INST] <<SYS>>\nAnswer the questions about the visual content that the user provides.\n"
                + "<</SYS>>\n\n" + INST_Q1;
        assertEquals(one, one("llava_llama_2_simple", null));
        assertEquals(one + SECOND_TURN_S, two("llava_llama_2_simple", null));
    }

    @Test
    void emptyFirstUserMessageIsRejected() {
        // reference: assert message, "first message should not be none"
        for (String name : new String[] {"llava_llama_2", "mistral_instruct", "llama_2"}) {
            Llava4jException e =
                    assertThrows(Llava4jException.class, () -> render(name, null, List.of(Message.user(""))));
            assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("non-empty first user message"), e.getMessage());
        }
    }

    @Test
    void lstripRemovesSeparatorCharactersOnlyAtTheStart() {
        // derived: ret.lstrip("<s>") strips the leading "<s>" only; later "<s>[INST]" stay
        String p = two("llava_llama_2", null);
        assertTrue(p.startsWith("[INST] <<SYS>>"), p);
        assertTrue(p.contains("</s><s>[INST] What color"), p);
    }
}
