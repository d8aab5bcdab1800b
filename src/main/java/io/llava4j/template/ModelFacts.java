package io.llava4j.template;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;

/**
 * What {@link TemplateSelector} looks at to choose a template: facts read from a language-model
 * GGUF file. Null strings become {@code ""} (unknown); a {@code vocabSize} of 0 means unknown.
 *
 * @param name {@code general.name}
 * @param fileName the GGUF file name; only the last path component is kept, as LLaVA's
 *     {@code get_model_name_from_path} keeps the last component of the model path
 * @param architecture {@code general.architecture}, e.g. {@code "llama"}, {@code "qwen2"}
 * @param vocabSize the number of tokens in the vocabulary (e.g. 32000 Llama-2/Vicuna/Mistral,
 *     64000 Yi, 128256 Llama 3, 151936 Qwen2)
 * @param tokenizerModel {@code tokenizer.ggml.model}, e.g. {@code "llama"} (SentencePiece) or
 *     {@code "gpt2"} (byte-level BPE)
 * @param chatTemplate {@code tokenizer.chat_template}, the embedded Jinja template; {@code ""} if
 *     the file has none (legacy LLaVA GGUFs)
 */
public record ModelFacts(
        String name, String fileName, String architecture, int vocabSize, String tokenizerModel, String chatTemplate) {
    /** @throws Llava4jException {@link Code#INVALID_ARGUMENT} if {@code vocabSize} is negative */
    public ModelFacts {
        name = name == null ? "" : name;
        fileName = fileName == null ? "" : lastComponent(fileName);
        architecture = architecture == null ? "" : architecture;
        tokenizerModel = tokenizerModel == null ? "" : tokenizerModel;
        chatTemplate = chatTemplate == null ? "" : chatTemplate;
        if (vocabSize < 0) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "vocabSize must be >= 0, got " + vocabSize);
        }
    }

    /** Facts known from a file name only (everything else unknown). */
    public static ModelFacts ofFileName(String fileName) {
        return new ModelFacts(null, fileName, null, 0, null, null);
    }

    /** Whether the file embeds a non-blank chat template. */
    public boolean hasChatTemplate() {
        return !chatTemplate.isBlank();
    }

    private static String lastComponent(String path) {
        String trimmed = path.replaceAll("[/\\\\]+$", "");
        int slash = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
        return trimmed.substring(slash + 1);
    }
}
