package io.llava4j.template;

import java.util.Objects;

/**
 * The template {@link TemplateSelector} chose and why.
 *
 * @param template the chosen template; never null
 * @param reason one human-readable sentence naming the fact and rule that decided (for the log)
 */
public record TemplateChoice(ChatTemplate template, String reason) {
    /** @throws NullPointerException if an argument is null */
    public TemplateChoice {
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(reason, "reason");
    }
}
