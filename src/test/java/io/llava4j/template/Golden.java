package io.llava4j.template;

import java.util.List;

/**
 * Inputs and system texts for golden tests, typed in independently of the main code from
 * docs/LLAVA.md 1.3/1.4 (which were produced by running the reference {@code conversation.py}).
 */
final class Golden {
    /** LLAVA.md 1.4 inputs. */
    static final String Q1 = "<image>\nWhat is shown in this image?";

    static final String A1 = "A cat sitting on a sofa.";
    static final String Q2 = "What color is the cat?";
    /** A custom system prompt for the "custom" cases. */
    static final String CUSTOM = "Answer in one word.";

    static final String S_HUMAN = "A chat between a curious human and an artificial intelligence assistant. The"
            + " assistant gives helpful, detailed, and polite answers to the human's questions.";
    static final String S_USER = "A chat between a curious user and an artificial intelligence assistant. The"
            + " assistant gives helpful, detailed, and polite answers to the user's questions.";
    static final String S_LV = "You are a helpful language and vision assistant. You are able to understand the"
            + " visual content that the user provides, and assist the user with a variety of tasks using natural"
            + " language.";
    static final String S_MMTAG = "A chat between a curious user and an artificial intelligence assistant. The"
            + " assistant is able to understand the visual content that the user provides, and assist the user"
            + " with a variety of tasks using natural language.The visual content will be provided with the"
            + " following format: <Image>visual content</Image>.";

    private Golden() {}

    /** One user turn: [Q1]. */
    static List<Message> oneTurn() {
        return List.of(Message.user(Q1));
    }

    /** Two user turns: [Q1, A1, Q2]. */
    static List<Message> twoTurns() {
        return List.of(Message.user(Q1), Message.assistant(A1), Message.user(Q2));
    }

    /** Renders with the template named {@code name}; {@code system} null = default. */
    static String render(String name, String system, List<Message> messages) {
        return ChatTemplate.forName(name).render(system, messages);
    }

    static String one(String name, String system) {
        return render(name, system, oneTurn());
    }

    static String two(String name, String system) {
        return render(name, system, twoTurns());
    }
}
