package io.llava4j.template;

import java.util.List;

/** Renderer for {@link SeparatorStyle#MPT}; mirrors LLaVA {@code Conversation.get_prompt}, MPT branch. */
final class MptStyle {
    private MptStyle() {}

    /**
     * {@code ret = system + sep; for (role, msg): ret += msg ? role + msg + sep : role}. The roles
     * already end in "\n" and nothing follows {@code sep} (unlike {@link ChatmlStyle}), so the
     * prompt reads {@code ...<|im_end|><|im_start|>user\n...}.
     */
    static String render(ChatTemplate t, String system, List<Entry> turns) {
        StringBuilder ret = new StringBuilder(system).append(t.sep());
        for (Entry turn : turns) {
            ret.append(turn.role());
            if (turn.present()) {
                ret.append(turn.text()).append(t.sep());
            }
        }
        return ret.toString();
    }
}
