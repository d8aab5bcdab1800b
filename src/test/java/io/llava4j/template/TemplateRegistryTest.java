package io.llava4j.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The registry's data against LLAVA.md 1.3 (templates) and 1.7 (stop strings), and name lookup. */
class TemplateRegistryTest {
    @Test
    void everyRequiredModeIsRegistered() {
        for (String name : List.of(
                "vicuna_v1",
                "llava_v1",
                "llava_v0",
                "llava_llama_2",
                "mistral_instruct",
                "chatml_direct",
                "mpt",
                "llava_llama_3",
                "qwen_1_5",
                "qwen_2",
                "qwen_2_5",
                "plain",
                "v1_mmtag",
                "default",
                "v0",
                "v1",
                "llama_2",
                "v0_mmtag",
                "llava_v0_mmtag",
                "llava_v1_mmtag",
                "mistral_direct",
                "llava_mistral_instruct",
                "v0_plain",
                "mistral_orca",
                "mistral_zephyr",
                "llava_llama_2_simple",
                "llava_llama_2_mmtag")) {
            assertTrue(ChatTemplate.names().contains(name), name);
            assertNotNull(ChatTemplate.forName(name));
        }
        assertEquals(27, ChatTemplate.names().size());
        assertEquals(20, ChatTemplate.all().size());
    }

    @ParameterizedTest
    @CsvSource({
        "qwen_2, qwen_1_5",
        "v1, vicuna_v1",
        "default, v0",
        "llava_v1_mmtag, v1_mmtag",
        "llava_v0_mmtag, v0_mmtag",
        "v0_plain, plain",
        "llava_mistral_instruct, mistral_instruct"
    })
    void aliasesResolveToTheSameTemplate(String alias, String canonical) {
        assertSame(ChatTemplate.forName(canonical), ChatTemplate.forName(alias));
        assertEquals(canonical, ChatTemplate.forName(alias).name());
        assertTrue(ChatTemplate.forName(canonical).aliases().contains(alias));
    }

    @Test
    void lookupIgnoresCaseAndSurroundingBlanks() {
        assertSame(ChatTemplate.forName("llava_v1"), ChatTemplate.forName("  LLaVA_V1 "));
    }

    @Test
    void unknownNameListsTheValidNames() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> ChatTemplate.forName("llava-v1"));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("unknown chat template 'llava-v1'; valid names: "), e.getMessage());
        assertTrue(e.getMessage().contains("chatml_direct, default,"), e.getMessage());
        assertTrue(e.getMessage().contains("qwen_2_5"), e.getMessage());
        assertThrows(NullPointerException.class, () -> ChatTemplate.forName(null));
    }

    /** name; full reference system text; roles; style; sep; sep2; version (LLAVA.md 1.3); {IM} = <|im_start|>. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', quoteCharacter = '"', textBlock = """
        vicuna_v1 ; S_USER  ; USER ; ASSISTANT ; TWO ; " " ; </s> ; v1
        llava_v1 ; S_HUMAN ; USER ; ASSISTANT ; TWO ; " " ; </s> ; v1
        llava_v0 ; S_HUMAN ; Human ; Assistant ; SINGLE ; ### ; ; Unknown
        v0 ; S_HUMAN ; Human ; Assistant ; SINGLE ; ### ; ; Unknown
        v0_mmtag ; S_MMTAG ; Human ; Assistant ; SINGLE ; ### ; ; v0_mmtag
        v1_mmtag ; S_MMTAG ; USER ; ASSISTANT ; TWO ; " " ; </s> ; v1_mmtag
        llava_llama_2 ; S_LV ; USER ; ASSISTANT ; LLAMA_2 ; <s> ; </s> ; llama_v2
        mistral_instruct ; "" ; USER ; ASSISTANT ; LLAMA_2 ; "" ; </s> ; llama_v2
        chatml_direct ; {IM}system\\nAnswer the questions. ; {IM}user\\n ; {IM}assistant\\n ; MPT ; <|im_end|> ; ; mpt
        mpt ; MPT_SYS ; {IM}user\\n ; {IM}assistant\\n ; MPT ; <|im_end|> ; ; mpt
        plain ; "" ; "" ; "" ; PLAIN ; \\n ; ; Unknown
        llava_llama_3 ; S_LV ; user ; assistant ; LLAMA_3 ; <|eot_id|> ; ; llama_v3
        qwen_1_5 ; {IM}system\\nYou are a helpful assistant. ; {IM}user ; {IM}assistant ; CHATML ; <|im_end|> ; ; qwen
        qwen_2_5 ; QWEN25_SYS ; {IM}user ; {IM}assistant ; CHATML ; <|im_end|> ; ; qwen
        llava_llama_2_simple ; SIMPLE_SYS ; USER ; ASSISTANT ; LLAMA_2 ; <s> ; </s> ; llama_v2
        mistral_zephyr ; <|system|>\\nYou are a helpful AI assistant. ; <|user|>\\n ; <|assistant|>\\n ; MPT ; </s> ; ; mpt
        """)
    void templateDataMatchesTheReference(
            String name,
            String system,
            String user,
            String assistant,
            String style,
            String sep,
            String sep2,
            String version) {
        ChatTemplate t = ChatTemplate.forName(name);
        assertEquals(expand(system), t.systemText(null), "system");
        assertEquals(t.systemPrefix() + t.defaultSystemPrompt(), t.systemText(null));
        assertEquals(unescape(user), t.userRole());
        assertEquals(unescape(assistant), t.assistantRole());
        assertEquals(SeparatorStyle.valueOf(style), t.style());
        assertEquals(unescape(sep), t.sep());
        assertEquals(Optional.ofNullable(sep2), t.sep2());
        assertEquals(version, t.version());
    }

    private static String expand(String s) {
        return switch (s) {
            case "S_USER" -> Golden.S_USER;
            case "S_HUMAN" -> Golden.S_HUMAN;
            case "S_MMTAG" -> Golden.S_MMTAG;
            case "S_LV" -> Golden.S_LV;
            case "MPT_SYS" ->
                "<|im_start|>system\nA conversation between a user and an LLM-based AI assistant. The"
                        + " assistant gives helpful and honest answers.";
            case "QWEN25_SYS" ->
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful" + " assistant.";
            case "SIMPLE_SYS" -> "Answer the questions about the visual content that the user provides.";
            default -> unescape(s);
        };
    }

    private static String unescape(String s) {
        return s.replace("\\n", "\n").replace("{IM}", "<|im_start|>");
    }

    @Test
    void mmtagSystemTextKeepsTheMissingSpace() {
        assertTrue(ChatTemplate.forName("v1_mmtag").defaultSystemPrompt().contains("natural language.The visual"));
    }

    @Test
    void overriddenSystemPromptKeepsTheChatmlMarkup() {
        ChatTemplate t = ChatTemplate.forName("chatml_direct");
        assertEquals("<|im_start|>system\n", t.systemPrefix());
        assertEquals("Answer the questions.", t.defaultSystemPrompt());
        assertEquals("<|im_start|>system\nBe brief.", t.systemText("Be brief."));
        assertEquals("", ChatTemplate.forName("qwen_1_5").systemText(""));
        assertEquals("", ChatTemplate.forName("llava_v1").systemPrefix());
    }

    /** name; stop string; stop token text; LLAVA.md 1.7 (gradio stop: sep for SINGLE/MPT, else sep2; cli sep). */
    @ParameterizedTest
    @CsvSource(delimiter = ';', textBlock = """
        llava_v1 ; </s>       ; </s>
        vicuna_v1 ; </s>       ; </s>
        v1_mmtag ; </s>       ; </s>
        llava_v0 ; ###        ;
        v0 ; ###        ;
        llava_llama_2 ; </s>       ; </s>
        mistral_instruct ; </s>       ; </s>
        chatml_direct ; <|im_end|> ; <|im_end|>
        mpt ; <|im_end|> ; <|im_end|>
        mistral_zephyr ; </s>       ; </s>
        qwen_1_5 ; <|im_end|> ; <|im_end|>
        qwen_2_5 ; <|im_end|> ; <|im_end|>
        llava_llama_3 ; <|eot_id|> ; <|eot_id|>
        """)
    void stopStrings(String name, String stop, String token) {
        ChatTemplate t = ChatTemplate.forName(name);
        assertEquals(List.of(stop), t.stopStrings());
        assertEquals(token == null ? List.of() : List.of(token), t.stopTokenTexts());
    }

    @Test
    void plainStopsAtTheNewlineSeparator() {
        assertEquals(List.of("\n"), ChatTemplate.forName("plain").stopStrings());
        assertEquals(List.of(), ChatTemplate.forName("plain").stopTokenTexts());
    }

    @Test
    void everyTemplateRendersOneTurnWithExactlyOneImageSlot() {
        for (ChatTemplate t : ChatTemplate.all()) {
            String prompt = t.render(null, Golden.oneTurn());
            assertEquals(1, PromptLayout.of(prompt).imageCount(), t.name());
            assertTrue(prompt.contains("What is shown in this image?"), t.name());
        }
    }

    @Test
    void fewShotOnlyForV0() {
        assertEquals(2, ChatTemplate.forName("default").fewShotMessages().size());
        assertEquals(
                Role.USER, ChatTemplate.forName("v0").fewShotMessages().get(0).role());
        assertEquals(List.of(), ChatTemplate.forName("llava_v0").fewShotMessages());
    }
}
