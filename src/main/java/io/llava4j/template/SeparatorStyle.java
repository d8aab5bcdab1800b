package io.llava4j.template;

import java.util.List;

/**
 * How a template joins system prompt, roles and messages: the reference's {@code SeparatorStyle}
 * ({@code llava/conversation.py}). Each constant has one renderer that mirrors the matching branch
 * of {@code Conversation.get_prompt}. NX's GEMMA style is not provided.
 */
public enum SeparatorStyle {
    /** {@code system + sep}, then {@code role + ": " + msg + sep}; open slot {@code role + ":"}. */
    SINGLE,
    /** As SINGLE, but the separator alternates: {@code sep} after user, {@code sep2} after assistant. */
    TWO,
    /** {@code system + sep}, then {@code role + msg + sep} (roles end in "\n"); open slot {@code role}. */
    MPT,
    /** {@code [INST] <<SYS>>...<</SYS>>\n\nmsg [/INST] answer </s>}; separators {@code sep}/{@code sep2}. */
    LLAMA_2,
    /** {@code system}, then {@code msg + sep} for one user message; no roles; single turn only. */
    PLAIN,
    /** Qwen ChatML: {@code system + sep + "\n"}, then {@code role + "\n" + msg + sep + "\n"}. */
    CHATML,
    /** The Meta-Llama-3-8B-Instruct Jinja chat template, {@code <|begin_of_text|>} included. */
    LLAMA_3;

    /**
     * Renders the reference's message list.
     *
     * @param template separators and roles
     * @param system the effective system prompt (never null)
     * @param turns the messages, open slot included
     */
    String render(ChatTemplate template, String system, List<Entry> turns) {
        return switch (this) {
            case SINGLE -> SingleStyle.render(template, system, turns);
            case TWO -> TwoStyle.render(template, system, turns);
            case MPT -> MptStyle.render(template, system, turns);
            case LLAMA_2 -> Llama2Style.render(template, system, turns);
            case PLAIN -> PlainStyle.render(template, system, turns);
            case CHATML -> ChatmlStyle.render(template, system, turns);
            case LLAMA_3 -> Llama3Style.render(template, system, turns);
        };
    }
}
