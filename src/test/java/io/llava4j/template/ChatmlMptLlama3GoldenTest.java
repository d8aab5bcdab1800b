package io.llava4j.template;

import static io.llava4j.template.Golden.CUSTOM;
import static io.llava4j.template.Golden.S_LV;
import static io.llava4j.template.Golden.one;
import static io.llava4j.template.Golden.render;
import static io.llava4j.template.Golden.two;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden prompts of the MPT, CHATML and LLAMA_3 templates. "LLAVA.md" strings are verbatim from the
 * doc; "derived" ones follow LLAVA.md 1.2. A custom system prompt replaces the text after the
 * template's system markup ("<|im_start|>system\n" is kept); "" means none: CHATML drops the system
 * block (the reference's {@code "" if system == ""}), MPT keeps an empty one, LLAMA_3 sends an
 * empty system message as the reference does.
 */
class ChatmlMptLlama3GoldenTest {
    private static final String MPT_USER_1 =
            "<|im_start|>user\n<image>\nWhat is shown in this image?<|im_end|>" + "<|im_start|>assistant\n";
    private static final String MPT_TURN_2 = "A cat sitting on a sofa.<|im_end|><|im_start|>user\nWhat color is the"
            + " cat?<|im_end|><|im_start|>assistant\n";
    private static final String QWEN_USER_1 =
            "<|im_start|>user\n<image>\nWhat is shown in this image?<|im_end|>\n" + "<|im_start|>assistant\n";
    private static final String QWEN_TURN_2 = "A cat sitting on a sofa.<|im_end|>\n<|im_start|>user\nWhat color is"
            + " the cat?<|im_end|>\n<|im_start|>assistant\n";

    @Test
    void chatmlDirect() {
        // LLAVA.md 8.7, verbatim; 2-turn addition from LLAVA.md 1.4
        String one = "<|im_start|>system\nAnswer the questions.<|im_end|><|im_start|>user\n<image>\nWhat is shown in"
                + " this image?<|im_end|><|im_start|>assistant\n";
        assertEquals(one, one("chatml_direct", null));
        assertEquals(
                one + "A cat sitting on a sofa.<|im_end|><|im_start|>user\nWhat color is the cat?<|im_end|>"
                        + "<|im_start|>assistant\n",
                two("chatml_direct", null));
        // derived
        String custom = "<|im_start|>system\nAnswer in one word.<|im_end|>" + MPT_USER_1;
        assertEquals(custom, one("chatml_direct", CUSTOM));
        assertEquals(custom + MPT_TURN_2, two("chatml_direct", CUSTOM));
        assertEquals("<|im_start|>system\n<|im_end|>" + MPT_USER_1, one("chatml_direct", ""));
        assertEquals("<|im_start|>system\n<|im_end|>" + MPT_USER_1 + MPT_TURN_2, two("chatml_direct", ""));
        // mistral_direct has the same definition
        assertEquals(one, one("mistral_direct", null));
    }

    @Test
    void mpt() {
        // LLAVA.md 8.8, verbatim
        String one = "<|im_start|>system\nA conversation between a user and an LLM-based AI assistant. The assistant"
                + " gives helpful and honest answers.<|im_end|><|im_start|>user\n<image>\nWhat is shown in this"
                + " image?<|im_end|><|im_start|>assistant\n";
        assertEquals(one, one("mpt", null));
        // derived
        assertEquals(one + MPT_TURN_2, two("mpt", null));
        assertEquals("<|im_start|>system\nAnswer in one word.<|im_end|>" + MPT_USER_1, one("mpt", CUSTOM));
        assertEquals("<|im_start|>system\nAnswer in one word.<|im_end|>" + MPT_USER_1 + MPT_TURN_2, two("mpt", CUSTOM));
        assertEquals("<|im_start|>system\n<|im_end|>" + MPT_USER_1, one("mpt", ""));
    }

    @Test
    void mistralOrcaAndZephyr() {
        // derived (NX conv_mistral_orca / conv_mistral_zephyr, MPT style)
        assertEquals(
                "<|im_start|>system\nYou are MistralOrca, a large language model trained by Alignment Lab AI."
                        + " Write out your reasoning step-by-step to be sure you get the right answers!<|im_end|>"
                        + MPT_USER_1
                        + MPT_TURN_2,
                two("mistral_orca", null));
        assertEquals(
                "<|system|>\nYou are a helpful AI assistant.</s><|user|>\n<image>\nWhat is shown in this"
                        + " image?</s><|assistant|>\nA cat sitting on a sofa.</s><|user|>\nWhat color is the cat?</s>"
                        + "<|assistant|>\n",
                two("mistral_zephyr", null));
        assertEquals(
                "<|system|>\nAnswer in one word.</s><|user|>\n<image>\nWhat is shown in this image?</s>"
                        + "<|assistant|>\n",
                one("mistral_zephyr", CUSTOM));
    }

    @Test
    void qwen15() {
        // LLAVA.md 8.9, verbatim; 2-turn addition from LLAVA.md 1.4
        String one = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\nWhat is"
                + " shown in this image?<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(one, one("qwen_1_5", null));
        assertEquals(one, one("qwen_2", null));
        assertEquals(
                one + "A cat sitting on a sofa.<|im_end|>\n<|im_start|>user\nWhat color is the cat?<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                two("qwen_1_5", null));
        // derived
        String custom = "<|im_start|>system\nAnswer in one word.<|im_end|>\n" + QWEN_USER_1;
        assertEquals(custom, one("qwen_1_5", CUSTOM));
        assertEquals(custom + QWEN_TURN_2, two("qwen_2", CUSTOM));
        // derived: CHATML writes no system block for system == ""
        assertEquals(QWEN_USER_1, one("qwen_1_5", ""));
        assertEquals(QWEN_USER_1 + QWEN_TURN_2, two("qwen_1_5", ""));
    }

    @Test
    void qwen25() {
        // derived (NX conv_qwen_2_5: only the system text differs from qwen_1_5)
        String sys = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                + "<|im_end|>\n";
        assertEquals(sys + QWEN_USER_1, one("qwen_2_5", null));
        assertEquals(sys + QWEN_USER_1 + QWEN_TURN_2, two("qwen_2_5", null));
        assertEquals("<|im_start|>system\nAnswer in one word.<|im_end|>\n" + QWEN_USER_1, one("qwen_2_5", CUSTOM));
        assertEquals(QWEN_USER_1 + QWEN_TURN_2, two("qwen_2_5", ""));
    }

    private static final String L3_USER_1 = "<|start_header_id|>user<|end_header_id|>\n\n<image>\nWhat is shown in"
            + " this image?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
    private static final String L3_TURN_2 = "A cat sitting on a sofa.<|eot_id|><|start_header_id|>user<|end_header_id|>"
            + "\n\nWhat color is the cat?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";

    @Test
    void llavaLlama3() {
        // LLAVA.md 8.10, verbatim (starts with the literal <|begin_of_text|>); 2-turn addition from LLAVA.md 1.4
        String one = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful language and"
                + " vision assistant. You are able to understand the visual content that the user provides, and"
                + " assist the user with a variety of tasks using natural language.<|eot_id|><|start_header_id|>user"
                + "<|end_header_id|>\n\n<image>\nWhat is shown in this image?<|eot_id|><|start_header_id|>assistant"
                + "<|end_header_id|>\n\n";
        assertEquals(one, one("llava_llama_3", null));
        assertEquals(
                one + "A cat sitting on a sofa.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat color is"
                        + " the cat?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                two("llava_llama_3", null));
        // derived (the Meta-Llama-3-8B-Instruct Jinja template)
        String custom = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nAnswer in one word.<|eot_id|>";
        assertEquals(custom + L3_USER_1, one("llava_llama_3", CUSTOM));
        assertEquals(custom + L3_USER_1 + L3_TURN_2, two("llava_llama_3", CUSTOM));
        String none = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n<|eot_id|>";
        assertEquals(none + L3_USER_1, one("llava_llama_3", ""));
        assertEquals(none + L3_USER_1 + L3_TURN_2, two("llava_llama_3", ""));
    }

    @Test
    void llama3TrimsContent() {
        // derived: Jinja `content | trim` (Python strip, NBSP included)
        List<Message> messages = List.of(
                Message.user("  \u00a0" + Golden.Q1 + "\n\n"),
                Message.assistant(" A cat sitting on a sofa. "),
                Message.user("<image><image>Compare."));
        assertEquals(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + S_LV + "<|eot_id|>"
                        + L3_USER_1 + "A cat sitting on a sofa.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                        + "<image><image>Compare.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                render("llava_llama_3", null, messages));
    }
}
