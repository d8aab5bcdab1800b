package io.llava4j.template;

import static io.llava4j.template.SeparatorStyle.CHATML;
import static io.llava4j.template.SeparatorStyle.LLAMA_2;
import static io.llava4j.template.SeparatorStyle.LLAMA_3;
import static io.llava4j.template.SeparatorStyle.MPT;
import static io.llava4j.template.SeparatorStyle.PLAIN;
import static io.llava4j.template.SeparatorStyle.SINGLE;
import static io.llava4j.template.SeparatorStyle.TWO;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The reference's {@code conv_templates}, transcribed from {@code llava/conversation.py}
 * (haotian-liu/LLaVA = HL, LLaVA-VL/LLaVA-NeXT = NX). Where the reference's
 * {@code system} starts with role markup ({@code "<|im_start|>system\n"}), that part is the
 * template's {@code header} and the rest its default system prompt, so that an overriding prompt
 * keeps the markup.
 */
final class TemplateRegistry {
    static final String S_HUMAN = "A chat between a curious human and an artificial intelligence assistant."
            + " The assistant gives helpful, detailed, and polite answers to the human's questions.";
    static final String S_USER = "A chat between a curious user and an artificial intelligence assistant."
            + " The assistant gives helpful, detailed, and polite answers to the user's questions.";
    static final String S_LV = "You are a helpful language and vision assistant. You are able to understand"
            + " the visual content that the user provides, and assist the user with a variety of tasks"
            + " using natural language.";
    /** Note the missing space after "language." (two Python literals joined). */
    static final String S_MMTAG = "A chat between a curious user and an artificial intelligence assistant."
            + " The assistant is able to understand the visual content that the user provides, and assist"
            + " the user with a variety of tasks using natural language."
            + "The visual content will be provided with the following format: <Image>visual content</Image>.";

    static final String S_LLAMA_2 = "You are a helpful, respectful and honest assistant. Always answer as"
            + " helpfully as possible, while being safe.  Your answers should not include any harmful,"
            + " unethical, racist, sexist, toxic, dangerous, or illegal content. Please ensure that your"
            + " responses are socially unbiased and positive in nature.\n\nIf a question does not make any"
            + " sense, or is not factually coherent, explain why instead of answering something not correct."
            + " If you don't know the answer to a question, please don't share false information.";
    static final String S_SIMPLE = "Answer the questions about the visual content that the user provides.";
    static final String S_SIMPLE_MMTAG =
            S_SIMPLE + "The visual content will be provided with the following format: <Image>visual content</Image>.";

    /** conv_vicuna_v0's built-in pair ({@code offset=2}). */
    static final List<Message> VICUNA_V0_FEW_SHOT = List.of(
            Message.user("What are the key differences between renewable and non-renewable energy sources?"),
            Message.assistant("Renewable energy sources are those that can be replenished naturally in a"
                    + " relatively short amount of time, such as solar, wind, hydro, geothermal, and biomass."
                    + " Non-renewable energy sources, on the other hand, are finite and will eventually be"
                    + " depleted, such as coal, oil, and natural gas. Here are some key differences between"
                    + " renewable and non-renewable energy sources:\n"
                    + "1. Availability: Renewable energy sources are virtually inexhaustible, while"
                    + " non-renewable energy sources are finite and will eventually run out.\n"
                    + "2. Environmental impact: Renewable energy sources have a much lower environmental impact"
                    + " than non-renewable sources, which can lead to air and water pollution, greenhouse gas"
                    + " emissions, and other negative effects.\n"
                    + "3. Cost: Renewable energy sources can be more expensive to initially set up, but they"
                    + " typically have lower operational costs than non-renewable sources.\n"
                    + "4. Reliability: Renewable energy sources are often more reliable and can be used in more"
                    + " remote locations than non-renewable sources.\n"
                    + "5. Flexibility: Renewable energy sources are often more flexible and can be adapted to"
                    + " different situations and needs, while non-renewable sources are more rigid and"
                    + " inflexible.\n"
                    + "6. Sustainability: Renewable energy sources are more sustainable over the long term,"
                    + " while non-renewable sources are not, and their depletion can lead to economic and"
                    + " social instability.\n"));

    private static final String IM_SYSTEM = "<|im_start|>system\n";
    private static final String IM_USER = "<|im_start|>user\n";
    private static final String IM_ASSISTANT = "<|im_start|>assistant\n";
    /** Stop strings that are single special tokens in the vocabularies these templates go with. */
    private static final Set<String> SPECIAL_TOKEN_TEXTS = Set.of("</s>", "<|im_end|>", "<|eot_id|>");

    private static final List<ChatTemplate> ALL = new ArrayList<>();
    private static final Map<String, ChatTemplate> BY_NAME = new LinkedHashMap<>();

    static {
        // HL and NX
        def("v0", "default")
                .text(S_HUMAN, "Human", "Assistant")
                .style(SINGLE, "###", null)
                .version("Unknown")
                .fewShot(VICUNA_V0_FEW_SHOT)
                .add();
        def("vicuna_v1", "v1")
                .text(S_USER, "USER", "ASSISTANT")
                .style(TWO, " ", "</s>")
                .version("v1")
                .add();
        def("llava_v1")
                .text(S_HUMAN, "USER", "ASSISTANT")
                .style(TWO, " ", "</s>")
                .version("v1")
                .add();
        def("llava_v0")
                .text(S_HUMAN, "Human", "Assistant")
                .style(SINGLE, "###", null)
                .version("Unknown")
                .add();
        def("v0_mmtag", "llava_v0_mmtag")
                .text(S_MMTAG, "Human", "Assistant")
                .style(SINGLE, "###", null)
                .version("v0_mmtag")
                .add();
        def("v1_mmtag", "llava_v1_mmtag")
                .text(S_MMTAG, "USER", "ASSISTANT")
                .style(TWO, " ", "</s>")
                .version("v1_mmtag")
                .add();
        def("llama_2")
                .text(S_LLAMA_2, "USER", "ASSISTANT")
                .style(LLAMA_2, "<s>", "</s>")
                .version("llama_v2")
                .add();
        def("llava_llama_2")
                .text(S_LV, "USER", "ASSISTANT")
                .style(LLAMA_2, "<s>", "</s>")
                .version("llama_v2")
                .add();
        def("mistral_instruct", "llava_mistral_instruct")
                .text("", "USER", "ASSISTANT")
                .style(LLAMA_2, "", "</s>")
                .version("llama_v2")
                .add();
        def("chatml_direct")
                .header(IM_SYSTEM)
                .text("Answer the questions.", IM_USER, IM_ASSISTANT)
                .style(MPT, "<|im_end|>", null)
                .version("mpt")
                .add();
        def("mistral_direct")
                .header(IM_SYSTEM)
                .text("Answer the questions.", IM_USER, IM_ASSISTANT)
                .style(MPT, "<|im_end|>", null)
                .version("mpt")
                .add();
        def("mpt")
                .header(IM_SYSTEM)
                .text(
                        "A conversation between a user and an LLM-based AI assistant."
                                + " The assistant gives helpful and honest answers.",
                        IM_USER,
                        IM_ASSISTANT)
                .style(MPT, "<|im_end|>", null)
                .version("mpt")
                .add();
        def("plain", "v0_plain")
                .text("", "", "")
                .style(PLAIN, "\n", null)
                .version("Unknown")
                .add();
        // NX only
        def("llava_llama_2_simple")
                .text(S_SIMPLE, "USER", "ASSISTANT")
                .style(LLAMA_2, "<s>", "</s>")
                .version("llama_v2")
                .add();
        def("llava_llama_2_mmtag")
                .text(S_SIMPLE_MMTAG, "USER", "ASSISTANT")
                .style(LLAMA_2, "<s>", "</s>")
                .version("llama_v2_mmtag")
                .add();
        def("mistral_orca")
                .header(IM_SYSTEM)
                .text(
                        "You are MistralOrca, a large language model trained by"
                                + " Alignment Lab AI. Write out your reasoning step-by-step to be sure you get the right answers!",
                        IM_USER,
                        IM_ASSISTANT)
                .style(MPT, "<|im_end|>", null)
                .version("mpt")
                .add();
        def("mistral_zephyr")
                .header("<|system|>\n")
                .text("You are a helpful AI assistant.", "<|user|>\n", "<|assistant|>\n")
                .style(MPT, "</s>", null)
                .version("mpt")
                .add();
        def("llava_llama_3")
                .text(S_LV, "user", "assistant")
                .style(LLAMA_3, "<|eot_id|>", null)
                .version("llama_v3")
                .add();
        def("qwen_1_5", "qwen_2")
                .header(IM_SYSTEM)
                .text("You are a helpful assistant.", "<|im_start|>user", "<|im_start|>assistant")
                .style(CHATML, "<|im_end|>", null)
                .version("qwen")
                .add();
        def("qwen_2_5")
                .header(IM_SYSTEM)
                .text(
                        "You are Qwen, created by Alibaba Cloud. You are a helpful" + " assistant.",
                        "<|im_start|>user",
                        "<|im_start|>assistant")
                .style(CHATML, "<|im_end|>", null)
                .version("qwen")
                .add();
    }

    private TemplateRegistry() {}

    static ChatTemplate get(String name) {
        ChatTemplate t = BY_NAME.get(name.strip().toLowerCase(Locale.ROOT));
        if (t == null) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "unknown chat template '" + name + "'; valid names: " + String.join(", ", names()));
        }
        return t;
    }

    static List<String> names() {
        return BY_NAME.keySet().stream().sorted().toList();
    }

    static List<ChatTemplate> all() {
        return List.copyOf(ALL);
    }

    /**
     * The stop string rule: the gradio/worker {@code stop} ({@code sep} for SINGLE and MPT,
     * {@code sep2} otherwise), or {@code cli.py}'s {@code sep} where {@code sep2} is None.
     */
    static String stopString(SeparatorStyle style, String sep, String sep2) {
        return (style == TWO || style == LLAMA_2) && sep2 != null ? sep2 : sep;
    }

    private static Def def(String name, String... aliases) {
        return new Def(name, aliases);
    }

    /** Reads like the reference's {@code Conversation(...)} constructor calls. */
    private static final class Def {
        private final String name;
        private final List<String> aliases;
        private String header = "";
        private String system;
        private String user;
        private String assistant;
        private SeparatorStyle style;
        private String sep;
        private String sep2;
        private String version;
        private List<Message> fewShot = List.of();

        Def(String name, String... aliases) {
            this.name = name;
            this.aliases = Arrays.asList(aliases);
        }

        /** The part of the reference's {@code system} that stays when the prompt is overridden. */
        Def header(String header) {
            this.header = header;
            return this;
        }

        Def text(String system, String user, String assistant) {
            this.system = system;
            this.user = user;
            this.assistant = assistant;
            return this;
        }

        Def style(SeparatorStyle style, String sep, String sep2) {
            this.style = style;
            this.sep = sep;
            this.sep2 = sep2;
            return this;
        }

        Def version(String version) {
            this.version = version;
            return this;
        }

        Def fewShot(List<Message> messages) {
            this.fewShot = messages;
            return this;
        }

        void add() {
            String stop = stopString(style, sep, sep2);
            List<String> stops = stop.isEmpty() ? List.of() : List.of(stop);
            List<String> stopTokens = SPECIAL_TOKEN_TEXTS.contains(stop) ? List.of(stop) : List.of();
            ChatTemplate t = new ChatTemplate(
                    name,
                    aliases,
                    header,
                    system,
                    user,
                    assistant,
                    style,
                    sep,
                    sep2,
                    version,
                    fewShot,
                    stops,
                    stopTokens);
            ALL.add(t);
            for (String key : concat(name, aliases)) {
                if (BY_NAME.put(key, t) != null) {
                    throw new IllegalStateException("duplicate template name " + key);
                }
            }
        }

        private static List<String> concat(String first, List<String> rest) {
            List<String> all = new ArrayList<>(rest.size() + 1);
            all.add(first);
            all.addAll(rest);
            return all;
        }
    }
}
