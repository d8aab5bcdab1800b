package io.llava4j.template;

import java.util.List;

/** Renderer for {@link SeparatorStyle#TWO}; mirrors LLaVA {@code Conversation.get_prompt}, TWO branch. */
final class TwoStyle {
    private TwoStyle() {}

    /**
     * {@code seps = [sep, sep2]; ret = system + sep; for i, (role, msg): ret += msg ? role + ": " +
     * msg + seps[i % 2] : role + ":"}. The separator alternates by position, so a user message ends
     * in {@code sep} (" ") and an assistant message in {@code sep2} ("</s>").
     */
    static String render(ChatTemplate t, String system, List<Entry> turns) {
        StringBuilder ret = new StringBuilder(system).append(t.sep());
        for (int i = 0; i < turns.size(); i++) {
            Entry turn = turns.get(i);
            if (turn.present()) {
                String sep = i % 2 == 0 ? t.sep() : t.requireSep2();
                ret.append(turn.role()).append(": ").append(turn.text()).append(sep);
            } else {
                ret.append(turn.role()).append(':');
            }
        }
        return ret.toString();
    }
}
