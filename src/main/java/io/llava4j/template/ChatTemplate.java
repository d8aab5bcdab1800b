package io.llava4j.template;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A LLaVA conversation template as data: one entry of the reference's {@code conv_templates}
 * ({@code llava/conversation.py} in haotian-liu/LLaVA and LLaVA-VL/LLaVA-NeXT) with its exact
 * system text, roles, separators and version, plus the stop strings derived from them. Instances
 * are immutable and thread-safe; look them up with {@link #forName(String)}.
 *
 * <p>{@link #render(String, List)} mirrors {@code Conversation.get_prompt()} after
 * {@code append_message(roles[1], None)}: it returns the prompt text with an open assistant slot at
 * the end, ready for generation, with every image as the literal {@link Message#IMAGE_MARKER}.
 *
 * <p>Templates: {@code v0} (alias {@code default}), {@code vicuna_v1} ({@code v1}), {@code llava_v1},
 * {@code llava_v0}, {@code v0_mmtag} ({@code llava_v0_mmtag}), {@code v1_mmtag}
 * ({@code llava_v1_mmtag}), {@code llama_2}, {@code llava_llama_2}, {@code llava_llama_2_simple},
 * {@code llava_llama_2_mmtag}, {@code mistral_instruct} ({@code llava_mistral_instruct}),
 * {@code chatml_direct}, {@code mistral_direct}, {@code mpt}, {@code mistral_orca},
 * {@code mistral_zephyr}, {@code plain} ({@code v0_plain}), {@code llava_llama_3}, {@code qwen_1_5}
 * ({@code qwen_2}), {@code qwen_2_5}.
 */
public final class ChatTemplate {
    private final String name;
    private final List<String> aliases;
    private final String systemPrefix;
    private final String systemPrompt;
    private final String userRole;
    private final String assistantRole;
    private final SeparatorStyle style;
    private final String sep;
    private final String sep2;
    private final String version;
    private final List<Message> fewShot;
    private final List<String> stopStrings;
    private final List<String> stopTokenTexts;

    ChatTemplate(
            String name,
            List<String> aliases,
            String systemPrefix,
            String systemPrompt,
            String userRole,
            String assistantRole,
            SeparatorStyle style,
            String sep,
            String sep2,
            String version,
            List<Message> fewShot,
            List<String> stopStrings,
            List<String> stopTokenTexts) {
        this.name = name;
        this.aliases = List.copyOf(aliases);
        this.systemPrefix = systemPrefix;
        this.systemPrompt = systemPrompt;
        this.userRole = userRole;
        this.assistantRole = assistantRole;
        this.style = style;
        this.sep = sep;
        this.sep2 = sep2;
        this.version = version;
        this.fewShot = List.copyOf(fewShot);
        this.stopStrings = List.copyOf(stopStrings);
        this.stopTokenTexts = List.copyOf(stopTokenTexts);
    }

    /**
     * Looks a template up by one of its reference keys (e.g. {@code "llava_v1"}, {@code "qwen_2"}),
     * ignoring case and surrounding blanks.
     *
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} for an unknown name; the message lists
     *     the valid names
     * @throws NullPointerException if {@code name} is null
     */
    public static ChatTemplate forName(String name) {
        return TemplateRegistry.get(Objects.requireNonNull(name, "name"));
    }

    /** Every accepted name (canonical names and aliases), sorted. */
    public static List<String> names() {
        return TemplateRegistry.names();
    }

    /** Every template once, in the registry's order. */
    public static List<ChatTemplate> all() {
        return TemplateRegistry.all();
    }

    /**
     * Renders a conversation as the prompt to generate the next assistant message from; mirrors
     * {@code Conversation.get_prompt} for plain-string messages (LLaVA's {@code cli.py} and eval
     * scripts): each message renders its {@link Message#promptText()}, image markers in place.
     *
     * <p>Python truthiness is kept: a plain message with empty text renders like the open slot
     * (e.g. {@code "USER:"} in TWO style) and is skipped by LLAMA_3, as in the reference.
     *
     * @param systemPrompt the system prompt, see {@link #systemText(String)}: null for the
     *     template's default, {@code ""} for none where the style allows
     * @param messages user and assistant messages, alternating and starting and ending with a user
     *     message; the few-shot messages of {@code v0}/{@code default} are prepended automatically
     * @return the prompt, ending in the open assistant slot
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} if the messages are empty, do not
     *     alternate, or end with an assistant message; if a LLAMA_2 template gets an empty first
     *     message; if a PLAIN template gets a second turn (the reference raises TypeError)
     * @throws NullPointerException if {@code messages} or an element is null
     */
    public String render(String systemPrompt, List<Message> messages) {
        checkAlternation(messages);
        if (messages.isEmpty() || messages.get(messages.size() - 1).role() != Role.USER) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "the last message must be a user message:"
                            + " render() appends the open assistant slot for generation; got " + messages.size()
                            + " message(s)");
        }
        List<Entry> entries = new ArrayList<>(fewShot.size() + messages.size() + 1);
        for (Message m : fewShot) {
            entries.add(entry(m));
        }
        for (Message m : messages) {
            entries.add(entry(m));
        }
        entries.add(Entry.openSlot(assistantRole));
        return style.render(this, systemText(systemPrompt), entries);
    }

    /**
     * The reference's {@code system} string for a system prompt: {@link #systemPrefix()} followed
     * by the prompt, e.g. {@code "<|im_start|>system\n" + prompt} for ChatML templates. What
     * {@code ""} (no system prompt) renders depends on the style:
     *
     * <ul>
     *   <li>LLAMA_2, PLAIN and CHATML render no system block at all (the reference's
     *       {@code wrap_sys("") == ""} and {@code "" if system == ""} branches; CHATML drops the
     *       prefix for this);
     *   <li>SINGLE and TWO keep the separator that follows the system text ({@code " USER: ..."},
     *       {@code "###Human: ..."}), as the reference does with {@code system = ""};
     *   <li>MPT keeps the prefix, giving an empty system block
     *       ({@code "<|im_start|>system\n<|im_end|>"}): the style has no form without one;
     *   <li>LLAMA_3 writes an empty system block, as the reference always sends a system message.
     * </ul>
     *
     * @param systemPrompt null for {@link #defaultSystemPrompt()}, else the prompt to use
     */
    public String systemText(String systemPrompt) {
        if (systemPrompt == null) {
            return systemPrefix + this.systemPrompt;
        }
        if (systemPrompt.isEmpty() && style == SeparatorStyle.CHATML) {
            return "";
        }
        return systemPrefix + systemPrompt;
    }

    /**
     * Checks that messages alternate user, assistant, user, ... starting with a user message (the
     * reference picks separators by position, so any other order renders wrong separators).
     */
    static void checkAlternation(List<Message> messages) {
        for (int i = 0; i < messages.size(); i++) {
            Role expected = i % 2 == 0 ? Role.USER : Role.ASSISTANT;
            Role actual = Objects.requireNonNull(messages.get(i), "message").role();
            if (actual != expected) {
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT,
                        "messages must alternate user/assistant" + " starting with user; message " + i + " is " + actual
                                + ", expected " + expected);
            }
        }
    }

    private Entry entry(Message m) {
        return new Entry(m.role() == Role.USER ? userRole : assistantRole, m.promptText());
    }

    /** {@code sep2}, or the reference's TypeError ({@code str + None}) as an exception. */
    String requireSep2() {
        if (sep2 == null) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "template '" + name + "' (" + style
                            + " style) renders a single user turn only: its second separator is None"
                            + " (the reference raises TypeError); start a new conversation for each question");
        }
        return sep2;
    }

    /** The canonical reference key, e.g. {@code "llava_v1"}. */
    public String name() {
        return name;
    }

    /** Other reference keys for the same template (e.g. {@code qwen_2} for {@code qwen_1_5}). */
    public List<String> aliases() {
        return aliases;
    }

    /**
     * The default system prompt without {@link #systemPrefix()}; the reference's {@code system} is
     * {@code systemPrefix() + defaultSystemPrompt()}, exactly. May be empty.
     */
    public String defaultSystemPrompt() {
        return systemPrompt;
    }

    /**
     * The markup in front of the system prompt inside the reference's {@code system} text:
     * {@code "<|im_start|>system\n"} (ChatML/MPT templates), {@code "<|system|>\n"}
     * ({@code mistral_zephyr}), else {@code ""}. Kept when the prompt is overridden.
     */
    public String systemPrefix() {
        return systemPrefix;
    }

    /** {@code roles[0]}, e.g. {@code "USER"} or {@code "<|im_start|>user\n"}. */
    public String userRole() {
        return userRole;
    }

    /** {@code roles[1]}, e.g. {@code "ASSISTANT"}. */
    public String assistantRole() {
        return assistantRole;
    }

    /** The separator style, which selects the renderer. */
    public SeparatorStyle style() {
        return style;
    }

    /** {@code sep}; may be empty (mistral_instruct). */
    public String sep() {
        return sep;
    }

    /** {@code sep2}, absent where the reference has {@code None}. */
    public Optional<String> sep2() {
        return Optional.ofNullable(sep2);
    }

    /** The reference's {@code version} (e.g. {@code "v1"}, {@code "v1_mmtag"}, {@code "Unknown"}). */
    public String version() {
        return version;
    }

    /** Built-in messages rendered before the caller's (the renewable-energy pair of {@code v0}). */
    public List<Message> fewShotMessages() {
        return fewShot;
    }

    /**
     * Text that ends the assistant's answer when it appears in the output; it is not part of the
     * answer. Derived like the reference's worker {@code stop}: {@code sep} for SINGLE and MPT,
     * {@code sep2} for TWO and LLAMA_2, and {@code sep} where {@code sep2} is None (CHATML,
     * LLAMA_3, PLAIN), as {@code cli.py}'s {@code stop_str} does.
     */
    public List<String> stopStrings() {
        return stopStrings;
    }

    /**
     * Those stop strings that are single special tokens ({@code </s>}, {@code <|im_end|>},
     * {@code <|eot_id|>}; LLAMA_3's {@code stop_token_ids=[128009]}). Resolve them to token ids
     * and stop on the id: detokenizing without special tokens renders them as empty text, so a
     * text match alone can miss them.
     */
    public List<String> stopTokenTexts() {
        return stopTokenTexts;
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + name + ", " + style + "]";
    }
}
