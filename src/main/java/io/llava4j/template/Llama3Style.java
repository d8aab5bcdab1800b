package io.llava4j.template;

import java.util.List;

/**
 * Renderer for {@link SeparatorStyle#LLAMA_3}; mirrors LLaVA-NeXT {@code Conversation.get_prompt},
 * LLAMA_3 branch, which calls {@code tokenizer.apply_chat_template(messages, tokenize=False,
 * add_generation_prompt=True)} with the tokenizer of {@code meta-llama/Meta-Llama-3-8B-Instruct}.
 * That Jinja template is reproduced here, so no tokenizer is needed.
 */
final class Llama3Style {
    /** {@code bos_token} of the Llama 3 tokenizer, written as text by the Jinja template. */
    static final String BOS_TEXT = "<|begin_of_text|>";

    static final String EOT_TEXT = "<|eot_id|>";

    private Llama3Style() {}

    /**
     * Messages are {@code [{"role": "system", "content": system}]} followed by every present
     * message (tuple messages after the first as {@code "<image>" * n + text}); the open slot is
     * skipped. The Jinja template writes {@code bos_token} once, then per message
     * {@code "<|start_header_id|>" + role + "<|end_header_id|>\n\n" + (content | trim) +
     * "<|eot_id|>"}, then {@code "<|start_header_id|>assistant<|end_header_id|>\n\n"}. An empty
     * system prompt still yields an (empty) system block, as in the reference.
     */
    static String render(ChatTemplate t, String system, List<Entry> turns) {
        StringBuilder ret = new StringBuilder(BOS_TEXT);
        appendMessage(ret, "system", system);
        for (Entry turn : turns) {
            if (turn.present()) {
                appendMessage(ret, turn.role(), turn.text());
            }
        }
        return ret.append("<|start_header_id|>assistant<|end_header_id|>\n\n").toString();
    }

    private static void appendMessage(StringBuilder ret, String role, String content) {
        ret.append("<|start_header_id|>")
                .append(role)
                .append("<|end_header_id|>\n\n")
                .append(PyText.strip(content))
                .append(EOT_TEXT);
    }
}
