package io.llava4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.llava4j.Llava4jException;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.image.ChatImage;
import io.llava4j.sampling.SamplerConfig;
import io.llava4j.serve.CompletionEngine.Completion;
import io.llava4j.serve.CompletionEngine.ModelInfo;
import io.llava4j.template.Message;
import io.llava4j.template.Role;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * Reads an OpenAI Chat Completions request into a {@link ChatRequest}, refusing what the model
 * cannot do with a 400 naming the field. Unknown fields are ignored, as OpenAI ignores them.
 *
 * <p>Messages: {@code system} and {@code developer} messages make the system prompt (joined with
 * "\n"); {@code user} and {@code assistant} messages the history, consecutive ones of one role
 * joined with "\n". Content is a string or parts: {@code {type:"text",text}} and
 * {@code {type:"image_url",image_url:{url,detail}}} (or {@code image_url:"url"}). A user turn's
 * images go before its text, LLaVA's training layout, unless the text places them with one
 * {@code <image>} marker each.
 *
 * <p>Sampling: absent fields keep llava4j's defaults (LLaVA's: temperature 0.2, top-k 50), except
 * the seed, which is random per request unless given (as OpenAI's answers vary), and
 * {@code max_tokens}, which defaults to the room left in the context. OpenAI's own fields are
 * checked against OpenAI's ranges.
 */
final class ChatRequestParser {
    private static final SecureRandom SEEDS = new SecureRandom();

    private final ModelInfo model;
    private final ImageSource images;

    ChatRequestParser(ModelInfo model, ImageSource images) {
        this.model = model;
        this.images = images;
    }

    /**
     * The {@code model} field: which served model is to answer, read before the body is parsed
     * for that model.
     *
     * @return null when absent
     * @throws ApiError 400 if the body is not an object or {@code model} not a string
     */
    static String model(JsonNode body) {
        if (!body.isObject()) {
            throw ApiError.badRequest("the request body must be a JSON object", null);
        }
        return optionalString(body, "model");
    }

    /** The request, for this parser's model (the caller routed it by {@link #model}). */
    ChatRequest parse(JsonNode body) {
        if (!body.isObject()) {
            throw ApiError.badRequest("the request body must be a JSON object", null);
        }
        long n = integer(body, "n", 1);
        if (n != 1) {
            throw ApiError.badRequest("only n=1 is supported, got " + n, "n");
        }
        String template = optionalString(body, "template");
        if (template != null && !model.templateNames().contains(template)) {
            throw ApiError.badRequest(
                    "this server renders prompts with template " + model.templateNames() + "; start it with --template "
                            + template + " for another",
                    "template");
        }
        boolean stream = bool(body, "stream", false);
        JsonNode options = body.path("stream_options");
        boolean includeUsage = options.isObject() && bool(options, "include_usage", false);

        List<String> system = new ArrayList<>();
        List<Message> history = messages(body.get("messages"), system);
        String systemPrompt = system.isEmpty() ? null : String.join("\n", system);
        return new ChatRequest(new Completion(systemPrompt, history, settings(body)), stream, includeUsage);
    }

    private List<Message> messages(JsonNode messages, List<String> system) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiError.badRequest("messages must be a non-empty array", "messages");
        }
        List<Message> history = new ArrayList<>();
        Role role = null;
        List<String> texts = new ArrayList<>();
        List<ChatImage> pictures = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            String param = "messages[" + i + "]";
            JsonNode m = messages.get(i);
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw ApiError.badRequest(param + " must be an object with a role", param);
            }
            String name = m.get("role").asText();
            Role next = switch (name) {
                case "system", "developer" -> null;
                case "user" -> Role.USER;
                case "assistant" -> Role.ASSISTANT;
                default ->
                    throw ApiError.badRequest(
                            "role " + name + " is not supported (system, developer, user, assistant)", param + ".role");
            };
            List<String> text = new ArrayList<>();
            List<ChatImage> found = new ArrayList<>();
            content(m.get("content"), param + ".content", text, next == Role.USER ? found : null);
            if (next == null) {
                system.add(String.join("\n", text));
                continue;
            }
            if (role != null && next != role) {
                history.add(message(role, texts, pictures));
                texts.clear();
                pictures.clear();
            }
            if (role == null && next == Role.ASSISTANT) {
                throw ApiError.badRequest("the conversation must start with a user message", param);
            }
            role = next;
            texts.addAll(text);
            pictures.addAll(found);
        }
        if (role != Role.USER) {
            throw ApiError.badRequest("the last message must be a user message", "messages");
        }
        history.add(message(role, texts, pictures));
        return history;
    }

    private Message message(Role role, List<String> texts, List<ChatImage> pictures) {
        String text = String.join("\n", texts);
        if (!pictures.isEmpty() && !model.vision()) {
            throw ApiError.badRequest(
                    "model " + model.id() + " has no vision encoder: it cannot take images", "messages");
        }
        try {
            return role == Role.USER
                    ? Message.user(text, pictures).requireOneMarkerPerImage()
                    : Message.assistant(text);
        } catch (Llava4jException e) {
            throw ApiError.badRequest(e.getMessage(), "messages");
        }
    }

    /** Collects a content's text parts, and its images when {@code found} is not null (user turns). */
    private void content(JsonNode content, String param, List<String> text, List<ChatImage> found) {
        if (content == null || content.isNull()) {
            return;
        }
        if (content.isTextual()) {
            text.add(content.asText());
            return;
        }
        if (!content.isArray()) {
            throw ApiError.badRequest(param + " must be a string or an array of parts", param);
        }
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            String at = param + "[" + i + "]";
            String type = part.path("type").asText("");
            if (type.equals("text") && part.path("text").isTextual()) {
                text.add(part.get("text").asText());
            } else if (type.equals("image_url") && found != null) {
                JsonNode url = part.path("image_url");
                JsonNode value = url.isObject() ? url.path("url") : url;
                if (!value.isTextual()) {
                    throw ApiError.badRequest(at + ".image_url must hold a url string", at + ".image_url");
                }
                found.add(images.load(value.asText(), at + ".image_url"));
            } else {
                throw ApiError.badRequest(
                        at + ": a part of type '" + type + "' is not supported here"
                                + (found != null ? " (text, image_url)" : " (text)"),
                        at);
            }
        }
    }

    private GenerationSettings settings(JsonNode body) {
        SamplerConfig s = SamplerConfig.defaults().withSeed(SEEDS.nextLong());
        s = apply(s, body, "temperature", 0, 2, s::withTemperature);
        s = apply(s, body, "top_p", 0, 1, s::withTopP);
        s = apply(s, body, "frequency_penalty", -2, 2, s::withFrequencyPenalty);
        s = apply(s, body, "presence_penalty", -2, 2, s::withPresencePenalty);
        s = apply(s, body, "min_p", 0, 1, s::withMinP);
        s = apply(s, body, "repeat_penalty", Double.MIN_VALUE, Double.MAX_VALUE, s::withRepeatPenalty);
        if (body.hasNonNull("top_k")) {
            s = s.withTopK((int) integer(body, "top_k", 0, Integer.MAX_VALUE));
        }
        if (body.hasNonNull("seed")) {
            s = s.withSeed(integer(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE));
        }
        int maxTokens = model.contextLength();
        for (String field : List.of("max_tokens", "max_completion_tokens")) {
            if (body.hasNonNull(field)) {
                maxTokens = (int) Math.min(integer(body, field, 1, Long.MAX_VALUE), Integer.MAX_VALUE);
            }
        }
        return new GenerationSettings(s, maxTokens, stops(body.get("stop")));
    }

    /** A number field within [min, max] passed to a validating setter; 400 otherwise. */
    private static SamplerConfig apply(
            SamplerConfig s, JsonNode body, String field, double min, double max, DoubleFunction<SamplerConfig> set) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return s;
        }
        if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
            throw ApiError.badRequest(field + " must be a number in [" + bound(min) + ", " + bound(max) + "]", field);
        }
        try {
            return set.apply(v.asDouble());
        } catch (Llava4jException e) {
            throw ApiError.badRequest(field + ": " + e.getMessage(), field);
        }
    }

    private static String bound(double v) {
        return v == Double.MAX_VALUE ? "inf" : v == Double.MIN_VALUE ? "0 (exclusive)" : String.valueOf(v);
    }

    private static List<String> stops(JsonNode stop) {
        List<String> out = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return out;
        }
        if (stop.isTextual()) {
            stop = JsonNodeFactory.instance.arrayNode().add(stop);
        }
        if (!stop.isArray()) {
            throw ApiError.badRequest("stop must be a string or an array of strings", "stop");
        }
        for (JsonNode s : stop) {
            if (!s.isTextual()) {
                throw ApiError.badRequest("stop must be a string or an array of strings", "stop");
            }
            if (!s.asText().isEmpty()) {
                out.add(s.asText());
            }
        }
        return out;
    }

    private static long integer(JsonNode body, String field, long fallback) {
        return body.hasNonNull(field) ? integer(body, field, Long.MIN_VALUE, Long.MAX_VALUE) : fallback;
    }

    private static long integer(JsonNode body, String field, long min, long max) {
        JsonNode v = body.get(field);
        if (!v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw ApiError.badRequest(
                    field + " must be an integer" + (min > Long.MIN_VALUE ? " >= " + min : ""), field);
        }
        return v.asLong();
    }

    private static boolean bool(JsonNode body, String field, boolean fallback) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw ApiError.badRequest(field + " must be true or false", field);
        }
        return v.asBoolean();
    }

    private static String optionalString(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.badRequest(field + " must be a string", field);
        }
        return v.asText();
    }
}
