package io.llava4j.template;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.List;

/** Renderer for {@link SeparatorStyle#LLAMA_2}; mirrors LLaVA {@code Conversation.get_prompt}, LLAMA_2 branch. */
final class Llama2Style {
    private Llama2Style() {}

    /**
     * {@code ret = ""}; the first message must be a non-empty user message and gets
     * {@code wrap_sys(system)} in front, where {@code wrap_sys(s) = "<<SYS>>\n" + s + "\n<</SYS>>\n\n"}
     * for a non-empty {@code s} and {@code ""} otherwise; even positions add
     * {@code sep + "[INST] " + msg + " [/INST]"}, odd positions {@code " " + msg + " " + sep2}, the
     * open slot adds nothing; finally {@code ret.lstrip(sep)} (Python strips the <em>characters</em>
     * of sep, harmless because the text continues with "[").
     *
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} if the first message is empty (the
     *     reference asserts "first message should not be none")
     */
    static String render(ChatTemplate t, String system, List<Entry> turns) {
        StringBuilder ret = new StringBuilder();
        for (int i = 0; i < turns.size(); i++) {
            Entry turn = turns.get(i);
            if (i == 0 && (!turn.present() || !turn.role().equals(t.userRole()))) {
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT,
                        "template '" + t.name()
                                + "' (LLAMA_2 style) needs a non-empty first user message"
                                + " (the reference asserts 'first message should not be none')");
            }
            if (!turn.present()) {
                continue;
            }
            String msg = turn.text();
            if (i == 0) {
                msg = wrapSys(system) + msg;
            }
            if (i % 2 == 0) {
                ret.append(t.sep()).append("[INST] ").append(msg).append(" [/INST]");
            } else {
                ret.append(' ').append(msg).append(' ').append(t.requireSep2());
            }
        }
        return PyText.lstripChars(ret.toString(), t.sep());
    }

    private static String wrapSys(String system) {
        return system.isEmpty() ? "" : "<<SYS>>\n" + system + "\n<</SYS>>\n\n";
    }
}
