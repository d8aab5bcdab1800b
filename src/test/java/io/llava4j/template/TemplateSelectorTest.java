package io.llava4j.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One test per selection rule of {@link TemplateSelector}, plus the override and its errors. */
class TemplateSelectorTest {
    /** Llama 3 Instruct's embedded template (abridged; the selector looks for its header tokens). */
    private static final String LLAMA3_JINJA = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
            + " + message['content'] | trim + '<|eot_id|>' %}{% endfor %}";

    private static final String CHATML_JINJA = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
    private static final String MISTRAL_JINJA = "{{ bos_token }}{% for message in messages %}{% if message['role'] =="
            + " 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% endfor %}";
    private static final String LLAMA2_JINJA = "{% if messages[0]['role'] == 'system' %}{% set system_message ="
            + " '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}{% endif %}{{ '[INST] ' + content }}";

    private static ModelFacts facts(String name, String file, String arch, int vocab, String tok, String tpl) {
        return new ModelFacts(name, file, arch, vocab, tok, tpl);
    }

    private static TemplateChoice select(ModelFacts f) {
        return TemplateSelector.select(f);
    }

    private static void assertChoice(String expected, String reasonPart, TemplateChoice c) {
        assertEquals(expected, c.template().name(), c.reason());
        assertTrue(c.reason().contains(reasonPart), c.reason());
    }

    @Test
    void qwenArchitecture() {
        // arch beats a misleading name
        assertChoice(
                "qwen_1_5", "'qwen2'", select(facts("llava-mistral", "x.gguf", "qwen2", 151936, "gpt2", CHATML_JINJA)));
    }

    @Test
    void qwenInTheName() {
        assertChoice(
                "qwen_1_5",
                "contains 'qwen'",
                select(ModelFacts.ofFileName("llava-onevision-qwen2-7b-ov-Q4_K_M.gguf")));
    }

    @Test
    void llama3EmbeddedTemplate() {
        assertChoice(
                "llava_llama_3",
                "Llama 3 headers",
                select(facts("model", "model.gguf", "llama", 0, "gpt2", LLAMA3_JINJA)));
    }

    @Test
    void llama3Vocabulary() {
        assertChoice(
                "llava_llama_3",
                "128256 tokens",
                select(facts("", "llava-v1-model.gguf", "llama", 128256, "gpt2", "")));
        assertChoice("llava_llama_3", "128257 tokens", select(facts("", "model.gguf", "llama", 128257, "gpt2", "")));
    }

    @Test
    void llama3Name() {
        assertChoice(
                "llava_llama_3", "names Llama 3", select(ModelFacts.ofFileName("llama3-llava-next-8b-Q4_K_M.gguf")));
    }

    @Test
    void llama2Name() {
        assertChoice(
                "llava_llama_2",
                "'llama-2'",
                select(ModelFacts.ofFileName("llava-llama-2-13b-chat-lightning-preview.Q5_K.gguf")));
    }

    @Test
    void legacyLlavaWithLlamaV2GeneralNameIsNotLlama2() {
        // regression guard: old convert.py wrote general.name "LLaMA v2" for LLaVA-1.5 (Vicuna v1.5, 4096 ctx)
        TemplateChoice c = select(facts("LLaMA v2", "ggml-model-q4_k.gguf", "llama", 32000, "llama", ""));
        assertChoice("llava_v1", "no chat template", c);
    }

    @Test
    void mistralName() {
        assertChoice(
                "mistral_instruct",
                "names Mistral",
                select(ModelFacts.ofFileName("llava-v1.6-mistral-7b.Q4_K_M.gguf")));
        assertChoice(
                "mistral_instruct", "names Mistral", select(facts("Mixtral 8x7B llava", "", "llama", 32000, "", "")));
    }

    @Test
    void mistralGradioRefinements() {
        assertChoice("mistral_orca", "'orca'", select(ModelFacts.ofFileName("llava-mistral-orca-7b.gguf")));
        assertChoice("chatml_direct", "'hermes'", select(ModelFacts.ofFileName("llava-nous-hermes-2-mistral-7b.gguf")));
    }

    @Test
    void v16With34bName() {
        assertChoice("chatml_direct", "'v1.6-34b'", select(ModelFacts.ofFileName("llava-v1.6-34b.Q4_K_M.gguf")));
        assertChoice("chatml_direct", "'v1.6-34b'", select(ModelFacts.ofFileName("llava-1.6-34b-hf.gguf")));
    }

    @Test
    void yiName() {
        assertChoice("chatml_direct", "names Yi", select(facts("Nous Hermes 2 Yi 34B", "", "llama", 0, "", "")));
        // "yi" only as a word: "yielding" does not count
        assertChoice("llava_v1", "defaulting", select(ModelFacts.ofFileName("yielding-7b.gguf")));
    }

    @ParameterizedTest
    @CsvSource({
        "llava-v1.5-7b-Q4_K.gguf, llava_v1",
        "llava-v1.6-vicuna-13b.Q6_K.gguf, llava_v1",
        "llava-v1.5-7b-pretrain-plain.gguf, v1_mmtag",
        "llava-v1-mmtag.gguf, v1_mmtag",
        "llava-v1.5-7b-plain-finetune.gguf, llava_v1"
    })
    void v1Name(String file, String expected) {
        assertChoice(expected, "'v1'", select(ModelFacts.ofFileName(file)));
    }

    @Test
    void mptNameOrArchitecture() {
        assertChoice("mpt", "contains 'mpt'", select(ModelFacts.ofFileName("llava-mpt-7b.gguf")));
        assertChoice("mpt", "architecture is 'mpt'", select(facts("", "model.gguf", "mpt", 50432, "gpt2", "")));
    }

    @Test
    void v0MmtagAndV0Names() {
        assertChoice("v0_mmtag", "'mmtag' or 'plain'", select(ModelFacts.ofFileName("llava-7b-mmtag.gguf")));
        assertChoice("llava_v0", "'v0'", select(ModelFacts.ofFileName("llava-13b-delta-v0.gguf")));
        // "v0.1" is a version number, not LLaVA v0
        assertChoice("llava_v1", "defaulting", select(ModelFacts.ofFileName("model-v0.1.gguf")));
    }

    @Test
    void chatmlEmbeddedTemplate() {
        assertChoice("chatml_direct", "ChatML", select(facts("model", "", "llama", 64000, "llama", CHATML_JINJA)));
    }

    @Test
    void instEmbeddedTemplates() {
        assertChoice("mistral_instruct", "Mistral", select(facts("model", "", "llama", 32000, "llama", MISTRAL_JINJA)));
        assertChoice(
                "llava_llama_2", "Llama-2 chat", select(facts("model", "", "llama", 32000, "llama", LLAMA2_JINJA)));
    }

    @Test
    void vicunaEmbeddedTemplate() {
        String vicuna = "{% for message in messages %}{% if message['role'] == 'user' %}USER: {{ message['content'] }}"
                + "{% else %}ASSISTANT: {{ message['content'] }}{% endif %}{% endfor %}";
        assertChoice("llava_v1", "Vicuna-style", select(facts("llava-1.5-7b-hf", "", "llama", 32064, "llama", vicuna)));
    }

    @Test
    void yiVocabulary() {
        assertChoice("chatml_direct", "64000 tokens", select(facts("", "model.gguf", "llama", 64000, "llama", "")));
    }

    @Test
    void defaults() {
        assertChoice("llava_v1", "no chat template", select(new ModelFacts(null, null, null, 0, null, null)));
        assertChoice(
                "llava_v1",
                "not one LLaVA uses",
                select(facts("model", "", "gemma", 256000, "llama", "<start_of_turn>user")));
    }

    @Test
    void onlyTheFilesLastPathComponentCounts() {
        assertEquals(
                "llava-v1.5-7b.gguf",
                ModelFacts.ofFileName("/models/mistral/llava-v1.5-7b.gguf").fileName());
        assertChoice("llava_v1", "'v1'", select(ModelFacts.ofFileName("C:\\mistral\\llava-v1.5-7b.gguf")));
    }

    @Test
    void explicitNameOverridesAndReportsTheAutoChoice() {
        ModelFacts f = ModelFacts.ofFileName("llava-v1.6-mistral-7b.Q4_K_M.gguf");
        TemplateChoice c = TemplateSelector.select(f, "chatml_direct");
        assertEquals("chatml_direct", c.template().name());
        assertTrue(c.reason().contains("auto-detected template is mistral_instruct, using chatml_direct"), c.reason());
        TemplateChoice same = TemplateSelector.select(f, "llava_mistral_instruct");
        assertSame(ChatTemplate.forName("mistral_instruct"), same.template());
        assertTrue(same.reason().contains("auto-detection agrees"), same.reason());
        assertEquals(
                "mistral_instruct", TemplateSelector.select(f, " ").template().name());
        assertEquals(
                "mistral_instruct", TemplateSelector.select(f, null).template().name());
    }

    @Test
    void unknownOverrideListsValidNames() {
        Llava4jException e = assertThrows(
                Llava4jException.class, () -> TemplateSelector.select(ModelFacts.ofFileName("x.gguf"), "vicuna"));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("valid names: ") && e.getMessage().contains("llava_v1"), e.getMessage());
        assertThrows(Llava4jException.class, () -> TemplateSelector.resolve("nope"));
        assertSame(ChatTemplate.forName("qwen_1_5"), TemplateSelector.resolve("QWEN_2"));
    }

    @Test
    void negativeVocabularyIsRejected() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> facts("", "", "", -1, "", ""));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
    }
}
