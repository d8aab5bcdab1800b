package io.llava4j.template;

import static io.llava4j.template.Golden.S_HUMAN;
import static io.llava4j.template.Golden.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The first-message image rewrite of LLAVA.md 1.1 (HL for templates defined in haotian-liu/LLaVA,
 * NX for LLaVA-NeXT-only ones) and the later-turn tuple handling. Expected strings are derived from
 * the LLAVA.md 1.1/1.2 rules unless marked verbatim.
 */
class ImageRewriteTest {
    private static final String QWEN_SYS = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
    private static final String QWEN_OPEN = "<|im_end|>\n<|im_start|>assistant\n";

    private static String llavaV1(Message first) {
        return render("llava_v1", null, List.of(first));
    }

    private static String qwen(Message first) {
        return render("qwen_1_5", null, List.of(first));
    }

    @Test
    void rewriteRuleFollowsTheTemplatesRepository() {
        assertEquals(ImageRewrite.HL, ChatTemplate.forName("llava_v1").imageRewrite());
        assertEquals(ImageRewrite.HL, ChatTemplate.forName("mistral_instruct").imageRewrite());
        assertEquals(ImageRewrite.HL, ChatTemplate.forName("chatml_direct").imageRewrite());
        assertEquals(ImageRewrite.NX, ChatTemplate.forName("qwen_1_5").imageRewrite());
        assertEquals(ImageRewrite.NX, ChatTemplate.forName("llava_llama_3").imageRewrite());
    }

    @Test
    void gradioStyleTrailingImageMovesToTheFront() {
        // LLAVA.md 1.4 last bullet: tuple text "What is shown in this image?\n<image>" -> same as 8.1
        assertEquals(S_HUMAN + " USER: <image>\nWhat is shown in this image? ASSISTANT:",
                llavaV1(Message.user("What is shown in this image?\n<image>", 1)));
    }

    @Test
    void hlCollapsesAllMarkersIntoOneLeadingMarker() {
        assertEquals(S_HUMAN + " USER: <image>\nCompare ASSISTANT:",
                llavaV1(Message.user("<image>\n<image>\nCompare", 2)));
        assertEquals(S_HUMAN + " USER: <image>\nWhat? ASSISTANT:", llavaV1(Message.user("<image> What?", 1)));
    }

    @Test
    void nxKeepsATextThatStartsWithTheMarkerVerbatim() {
        assertEquals(QWEN_SYS + "<|im_start|>user\n<image> What?" + QWEN_OPEN, qwen(Message.user("<image> What?", 1)));
        assertEquals(QWEN_SYS + "<|im_start|>user\n<image>\n<image>\nCompare" + QWEN_OPEN,
                qwen(Message.user("<image>\n<image>\nCompare", 2)));
    }

    @Test
    void nxQuirkMarkersInsideTheTextCollapseWithTheDoubleSpaceKept() {
        // LLAVA.md 1.1: ("Compare <image> and <image>", [a, b]) -> "<image>\nCompare  and"
        assertEquals(QWEN_SYS + "<|im_start|>user\n<image>\nCompare  and" + QWEN_OPEN,
                qwen(Message.user("Compare <image> and <image>", 2)));
    }

    @Test
    void stripUsesPythonWhitespace() {
        // Python's str.strip() also removes U+00A0 and U+0085, which Java's String.strip() keeps
        assertEquals(S_HUMAN + " USER: <image>\nWhat? ASSISTANT:",
                llavaV1(Message.user("\u00a0\u0085 What?\t<image>\u00a0", 1)));
    }

    @Test
    void imageWithoutTextBecomesAMarkerAndANewline() {
        assertEquals(S_HUMAN + " USER: <image>\n ASSISTANT:", llavaV1(Message.user("", 1)));
    }

    @Test
    void plainStringMessagesAreNeverRewritten() {
        assertEquals(S_HUMAN + " USER: What is shown?\n<image> ASSISTANT:",
                llavaV1(Message.user("What is shown?\n<image>")));
    }

    @Test
    void laterTupleMessagesKeepTheirTextInNonChatmlStyles() {
        // reference: `message, _, _ = message` -- no marker is added after the first message
        List<Message> messages = List.of(Message.user(Golden.Q1), Message.assistant(Golden.A1),
                Message.user("And this one?", 1));
        assertEquals(S_HUMAN + " USER: <image>\nWhat is shown in this image? ASSISTANT: A cat sitting on a sofa.</s>"
                + "USER: And this one? ASSISTANT:", render("llava_v1", null, messages));
    }

    @Test
    void chatmlLaterTuplesGetOneMarkerPerImageWithoutNewline() {
        List<Message> messages = List.of(Message.user("<image>\nFirst?", 1), Message.assistant("A cat."),
                Message.user("And these?", 2));
        assertEquals(QWEN_SYS + "<|im_start|>user\n<image>\nFirst?<|im_end|>\n<|im_start|>assistant\nA cat.<|im_end|>\n"
                + "<|im_start|>user\n<image><image>And these?" + QWEN_OPEN, render("qwen_1_5", null, messages));
    }

    @Test
    void fewShotMessageComesFirstSoV0NeverRewritesTheUsersTuple() {
        // conv_vicuna_v0's messages[0] is the few-shot string, so the tuple is not messages[0]
        String p = render("v0", null, List.of(Message.user("What is shown in this image?\n<image>", 1)));
        assertTrue(p.endsWith("instability.\n###Human: What is shown in this image?\n<image>###Assistant:"), p);
    }

    @Test
    void mmtagDropsMarkersAndStripsTheUserText() {
        String p = render("v1_mmtag", null, List.of(Message.user("  What?\n<image> ", 1)));
        assertEquals(Golden.S_MMTAG + " USER: <Image><image></Image> ASSISTANT: Received.</s>USER: What? ASSISTANT:", p);
    }
}
