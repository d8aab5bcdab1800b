package io.llava4j.template;

import java.util.List;

/** Renderer for {@link SeparatorStyle#CHATML}; mirrors LLaVA-NeXT {@code Conversation.get_prompt}, CHATML branch. */
final class ChatmlStyle {
    private ChatmlStyle() {}

    /**
     * {@code ret = "" if system == "" else system + sep + "\n"}; each message
     * {@code role + "\n" + msg + sep + "\n"}, the open slot {@code role + "\n"}. A tuple message
     * after the first becomes {@code "<image>" * len(images) + text} (no newline after the markers).
     */
    static String render(ChatTemplate t, String system, List<Entry> turns) {
        StringBuilder ret = new StringBuilder();
        if (!system.isEmpty()) {
            ret.append(system).append(t.sep()).append('\n');
        }
        for (Entry turn : turns) {
            ret.append(turn.role()).append('\n');
            if (turn.present()) {
                ret.append(turn.text()).append(t.sep()).append('\n');
            }
        }
        return ret.toString();
    }
}
