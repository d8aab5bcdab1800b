package io.llava4j.template;

import java.util.ArrayList;
import java.util.List;

/**
 * How a template rewrites the first message of a conversation when it carries images (the
 * reference's tuple message); mirrors the block at the top of {@code Conversation.get_prompt} in
 * LLaVA ({@code HL}) and LLaVA-NeXT ({@code NX}). Plain-string messages ({@link
 * Message#imageCount()} {@code == 0}) are never rewritten, and neither is a tuple message that is
 * not first (the {@code default}/{@code v0} template's few-shot pair comes first, so its user
 * message is never rewritten).
 *
 * <p>Both rules first handle templates whose {@link ChatTemplate#version()} contains
 * {@code "mmtag"}: every {@code <image>} is removed from the text, the text is stripped, and two
 * messages are inserted in front of it: (user, {@code "<Image><image></Image>"}), (assistant,
 * {@code "Received."}).
 */
public enum ImageRewrite {
    /**
     * haotian-liu/LLaVA: remove every {@code <image>}, strip, prefix one {@code "<image>\n"}. A
     * first message with several images therefore keeps a single marker (single-image models).
     */
    HL,
    /**
     * LLaVA-VL/LLaVA-NeXT: as {@link #HL}, except that a text that already starts with
     * {@code <image>} is kept verbatim (how {@code "<image>\n<image>\n..."} survives for
     * multi-image models). Quirk kept: {@code "Compare <image> and <image>"} becomes
     * {@code "<image>\nCompare  and"}.
     */
    NX;

    static final String MMTAG_IMAGE = "<Image><image></Image>";
    static final String MMTAG_ACK = "Received.";

    /**
     * Applies the rewrite to the reference's message list.
     *
     * @param template supplies the version and roles
     * @param turns the messages, few-shot and open slot included; not modified
     * @return the list {@code get_prompt} renders (a new list, or {@code turns} if nothing changes)
     */
    List<Turn> apply(ChatTemplate template, List<Turn> turns) {
        if (turns.isEmpty() || turns.get(0).images() == 0) {
            return turns;
        }
        Turn first = turns.get(0);
        List<Turn> out = new ArrayList<>(turns);
        String text = first.text();
        if (template.version().contains("mmtag")) {
            out.set(0, new Turn(first.role(), stripMarkers(text), 0));
            out.add(0, new Turn(template.userRole(), MMTAG_IMAGE, 0));
            out.add(1, new Turn(template.assistantRole(), MMTAG_ACK, 0));
        } else if (this == NX && text.startsWith(Message.IMAGE_MARKER)) {
            out.set(0, new Turn(first.role(), text, 0));
        } else {
            out.set(0, new Turn(first.role(), Message.IMAGE_MARKER + "\n" + stripMarkers(text), 0));
        }
        return out;
    }

    /** {@code text.replace("<image>", "").strip()}. */
    private static String stripMarkers(String text) {
        return PyText.strip(text.replace(Message.IMAGE_MARKER, ""));
    }
}
