package io.llava4j.template;

import java.util.List;

/** Renderer for {@link SeparatorStyle#PLAIN}; mirrors LLaVA {@code Conversation.get_prompt}, PLAIN branch. */
final class PlainStyle {
    private PlainStyle() {}

    /**
     * {@code seps = [sep, sep2]; ret = system; for i, (role, msg): ret += msg ? msg + seps[i % 2] :
     * ""}. Roles are not written. The {@code plain} template has {@code sep2 = None}, so a present
     * assistant message (a second turn) fails here as the reference's {@code TypeError} does.
     */
    static String render(ChatTemplate t, String system, List<Entry> turns) {
        StringBuilder ret = new StringBuilder(system);
        for (int i = 0; i < turns.size(); i++) {
            Entry turn = turns.get(i);
            if (turn.present()) {
                ret.append(turn.text()).append(i % 2 == 0 ? t.sep() : t.requireSep2());
            }
        }
        return ret.toString();
    }
}
