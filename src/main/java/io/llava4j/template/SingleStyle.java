package io.llava4j.template;

import java.util.List;

/** Renderer for {@link SeparatorStyle#SINGLE}; mirrors LLaVA {@code Conversation.get_prompt}, SINGLE branch. */
final class SingleStyle {
    private SingleStyle() {}

    /** {@code ret = system + sep; for (role, msg): ret += msg ? role + ": " + msg + sep : role + ":"}. */
    static String render(ChatTemplate t, String system, List<Entry> turns) {
        StringBuilder ret = new StringBuilder(system).append(t.sep());
        for (Entry turn : turns) {
            if (turn.present()) {
                ret.append(turn.role()).append(": ").append(turn.text()).append(t.sep());
            } else {
                ret.append(turn.role()).append(':');
            }
        }
        return ret.toString();
    }
}
