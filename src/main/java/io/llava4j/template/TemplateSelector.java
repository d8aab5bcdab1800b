package io.llava4j.template;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Chooses a {@link ChatTemplate} from {@link ModelFacts}, or resolves an explicit choice by name.
 * Stateless and thread-safe.
 *
 * <p>Rules, first match wins (names are {@code general.name} and the file name, lower-cased; a name
 * rule matches if either contains the text):
 *
 * <ol>
 *   <li>architecture {@code qwen*}, or a name containing {@code qwen} → {@code qwen_1_5} (what
 *       LLaVA-NeXT pairs with its Qwen checkpoints; the interleave demo's {@code qwen} rule);
 *   <li>Llama 3: embedded template with {@code <|start_header_id|>}, or a {@code llama} model with
 *       128256 tokens (or a BPE vocabulary of at least 128000), or a name containing
 *       {@code llama3}/{@code llama-3} → {@code llava_llama_3};
 *   <li>LLaVA's auto conv-mode on the name ({@code cli.py}, refined by gradio's {@code http_bot}):
 *       {@code llama-2} → {@code llava_llama_2}; {@code mistral}/{@code mixtral} →
 *       {@code mistral_orca} if {@code orca}, {@code chatml_direct} if {@code hermes}, else
 *       {@code mistral_instruct}; {@code 1.6-34b} or the word {@code yi} → {@code chatml_direct};
 *       {@code v1} → {@code v1_mmtag} if {@code mmtag} or {@code plain} without {@code finetune},
 *       else {@code llava_v1}; {@code mpt} (or architecture {@code mpt}) → {@code mpt};
 *       {@code mmtag}/{@code plain} without {@code finetune} → {@code v0_mmtag}; the word
 *       {@code v0} → {@code llava_v0};
 *   <li>the embedded template: ChatML ({@code <|im_start|>}) → {@code chatml_direct};
 *       {@code [INST]} with {@code <<SYS>>} → {@code llava_llama_2}; {@code [INST]} →
 *       {@code mistral_instruct}; {@code USER:}/{@code ASSISTANT:} (Vicuna) → {@code llava_v1};
 *   <li>a {@code llama} model with 64000 tokens (Yi-34B, LLaVA-v1.6-34B) → {@code chatml_direct};
 *   <li>otherwise {@code llava_v1}: legacy LLaVA-1.5/1.6 GGUFs carry no template and need the Vicuna
 *       v1 format (LLaVA's {@code cli.py} would fall back to {@code llava_v0}, a format no released
 *       GGUF uses).
 * </ol>
 */
public final class TemplateSelector {
    private static final Pattern LLAMA_2 = Pattern.compile("llama[-_ ]?2(?![0-9])");
    private static final Pattern LLAMA_3 = Pattern.compile("llama[-_ ]?3(?![0-9])");
    private static final Pattern YI = Pattern.compile("(^|[^a-z0-9])yi([^a-z0-9]|$)");
    private static final Pattern V0 = Pattern.compile("(^|[^a-z0-9])v0(?![0-9]|\\.[0-9])");
    private static final int LLAMA_3_VOCAB = 128256;
    private static final int YI_VOCAB = 64000;

    private TemplateSelector() {}

    /**
     * Resolves a template chosen by the user ({@code --template NAME}).
     *
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} for an unknown name, listing the valid names
     */
    public static ChatTemplate resolve(String name) {
        return ChatTemplate.forName(name);
    }

    /**
     * The user's template if {@code templateName} is given, else the automatic choice. Like
     * LLaVA's {@code --conv-mode}, an explicit name always wins; the reason says what
     * auto-detection would have picked.
     *
     * @param templateName a template name, or null/blank for automatic selection
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} for an unknown name
     */
    public static TemplateChoice select(ModelFacts facts, String templateName) {
        if (templateName == null || templateName.isBlank()) {
            return select(facts);
        }
        ChatTemplate chosen = resolve(templateName);
        TemplateChoice auto = select(facts);
        String verdict = auto.template() == chosen
                ? "auto-detection agrees"
                : "the auto-detected template is " + auto.template().name() + ", using " + chosen.name();
        return new TemplateChoice(
                chosen,
                "template '" + templateName.strip() + "' given explicitly (" + verdict + "; auto-detection: "
                        + auto.reason() + ")");
    }

    /** Chooses a template automatically; see the class comment for the rules. */
    public static TemplateChoice select(ModelFacts facts) {
        Objects.requireNonNull(facts, "facts");
        Names n = new Names(facts);
        String arch = facts.architecture().toLowerCase(Locale.ROOT);
        String tpl = facts.chatTemplate();
        boolean llamaArch = arch.equals("llama");
        String hit;

        // 1. Qwen
        if (arch.startsWith("qwen")) {
            return pick(
                    "qwen_1_5",
                    "general.architecture is '" + arch + "': LLaVA-NeXT pairs its Qwen"
                            + " checkpoints (OneVision, LLaVA-Video, Interleave, NeXT-72B/110B) with qwen_1_5");
        }
        if ((hit = n.find("qwen")) != null) {
            return pick("qwen_1_5", hit + " contains 'qwen' (LLaVA-NeXT interleave rule)");
        }
        // 2. Llama 3
        if (tpl.contains("<|start_header_id|>")) {
            return pick("llava_llama_3", "the embedded chat template uses Llama 3 headers (<|start_header_id|>)");
        }
        if (llamaArch
                && (facts.vocabSize() == LLAMA_3_VOCAB
                        || (facts.tokenizerModel().equals("gpt2") && facts.vocabSize() >= 128000))) {
            return pick(
                    "llava_llama_3",
                    "a llama model with the Llama 3 vocabulary (" + facts.vocabSize() + " tokens, tokenizer '"
                            + facts.tokenizerModel() + "')");
        }
        if ((hit = n.find(LLAMA_3)) != null) {
            return pick("llava_llama_3", hit + " names Llama 3 (llama3-llava-next-8b uses llava_llama_3)");
        }
        // 3. LLaVA's name rules (cli.py order, gradio refinements)
        if ((hit = n.find(LLAMA_2)) != null) {
            return pick("llava_llama_2", hit + " contains 'llama-2' (LLaVA auto conv-mode)");
        }
        if ((hit = n.find("mistral")) != null || (hit = n.find("mixtral")) != null) {
            if (n.find("orca") != null) {
                return pick("mistral_orca", hit + " names Mistral and 'orca' (LLaVA gradio rule)");
            }
            if (n.find("hermes") != null) {
                return pick("chatml_direct", hit + " names Mistral and 'hermes' (LLaVA gradio rule)");
            }
            return pick("mistral_instruct", hit + " names Mistral (LLaVA auto conv-mode)");
        }
        if ((hit = n.find("1.6-34b")) != null) {
            return pick("chatml_direct", hit + " contains 'v1.6-34b' (LLaVA auto conv-mode: Yi-34B ChatML)");
        }
        if ((hit = n.find(YI)) != null) {
            return pick("chatml_direct", hit + " names Yi (Yi-34B chat models use ChatML, as LLaVA-v1.6-34B)");
        }
        boolean pretrain = (n.find("mmtag") != null || n.find("plain") != null) && n.find("finetune") == null;
        if ((hit = n.find("v1")) != null) {
            if (pretrain) {
                return pick("v1_mmtag", hit + " contains 'v1' and 'mmtag' or 'plain' (LLaVA gradio rule)");
            }
            return pick("llava_v1", hit + " contains 'v1' (LLaVA auto conv-mode)");
        }
        if ((hit = n.find("mpt")) != null || arch.equals("mpt")) {
            return pick(
                    "mpt",
                    (hit != null ? hit + " contains 'mpt'" : "general.architecture is 'mpt'")
                            + " (LLaVA auto conv-mode)");
        }
        if (pretrain) {
            return pick("v0_mmtag", n.describe() + " contains 'mmtag' or 'plain' (LLaVA gradio rule)");
        }
        if ((hit = n.find(V0)) != null) {
            return pick("llava_v0", hit + " says 'v0' (LLaVA auto conv-mode fallback)");
        }
        // 4. The embedded template
        if (tpl.contains("<|im_start|>")) {
            return pick(
                    "chatml_direct",
                    "the embedded chat template is ChatML (<|im_start|>), as in"
                            + " Yi-34B/Nous-Hermes-2-Yi based LLaVA-v1.6-34B");
        }
        if (tpl.contains("[INST]")) {
            return tpl.contains("<<SYS>>")
                    ? pick("llava_llama_2", "the embedded chat template is Llama-2 chat ([INST] with <<SYS>>)")
                    : pick("mistral_instruct", "the embedded chat template is Mistral's ([INST] without <<SYS>>)");
        }
        if (tpl.contains("USER:") && tpl.contains("ASSISTANT:")) {
            return pick("llava_v1", "the embedded chat template is Vicuna-style (USER: ... ASSISTANT:)");
        }
        // 5. Yi vocabulary
        if (llamaArch && facts.vocabSize() == YI_VOCAB) {
            return pick("chatml_direct", "a llama model with the Yi vocabulary (64000 tokens, LLaVA-v1.6-34B)");
        }
        // 6. Default
        String why = facts.hasChatTemplate()
                ? "the embedded chat template is not one LLaVA uses and no name rule matched"
                : "no chat template in the file and no name rule matched";
        return pick(
                "llava_v1",
                why + "; defaulting to llava_v1, the LLaVA-1.5/1.6 Vicuna format"
                        + " (choose another with --template)");
    }

    private static TemplateChoice pick(String name, String reason) {
        return new TemplateChoice(ChatTemplate.forName(name), reason);
    }

    /** The two names a rule can match, lower-cased. */
    private static final class Names {
        private final String name;
        private final String file;

        Names(ModelFacts facts) {
            this.name = facts.name().toLowerCase(Locale.ROOT);
            this.file = facts.fileName().toLowerCase(Locale.ROOT);
        }

        /** Which name contains {@code text}, described for the reason, or null. */
        String find(String text) {
            return name.contains(text) ? nameLabel() : file.contains(text) ? fileLabel() : null;
        }

        String find(Pattern p) {
            return p.matcher(name).find() ? nameLabel() : p.matcher(file).find() ? fileLabel() : null;
        }

        String describe() {
            return name.isEmpty() ? fileLabel() : file.isEmpty() ? nameLabel() : nameLabel() + " or " + fileLabel();
        }

        private String nameLabel() {
            return "general.name '" + name + "'";
        }

        private String fileLabel() {
            return "file name '" + file + "'";
        }
    }
}
