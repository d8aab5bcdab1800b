package io.llava4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.conversation.FinishReason;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.serve.CompletionEngine.ModelInfo;
import java.util.List;

/**
 * The response bodies, in the shapes of OpenAI's API reference ({@code chat.completion},
 * {@code chat.completion.chunk}, the model list, errors), plus llava4j's {@code timings}.
 */
final class OpenAiJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private OpenAiJson() {}

    /** A whole answer: {@code chat.completion}. */
    static ObjectNode completion(String id, long created, String model, GenerationResult r) {
        ObjectNode root = head(id, "chat.completion", created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", r.text());
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(r.finishReason()));
        root.set("usage", usage(r));
        root.set("timings", timings(r));
        root.set("llava4j", extension(r));
        return root;
    }

    /** A streamed piece with one choice whose delta is {@code role} and/or {@code content}. */
    static ObjectNode chunk(String id, long created, String model, String role, String content, boolean usageField) {
        ObjectNode root = head(id, "chat.completion.chunk", created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (role != null) {
            delta.put("role", role);
        }
        if (content != null) {
            delta.put("content", content);
        }
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        if (usageField) {
            root.putNull("usage");
        }
        return root;
    }

    /** The last choice chunk: an empty delta, the finish reason and llava4j's timings. */
    static ObjectNode finalChunk(String id, long created, String model, GenerationResult r, boolean usageField) {
        ObjectNode root = chunk(id, created, model, null, null, usageField);
        ((ObjectNode) root.get("choices").get(0)).put("finish_reason", finishReason(r.finishReason()));
        root.set("timings", timings(r));
        root.set("llava4j", extension(r));
        return root;
    }

    /** {@code stream_options.include_usage}'s chunk: no choices, the token counts. */
    static ObjectNode usageChunk(String id, long created, String model, GenerationResult r) {
        ObjectNode root = head(id, "chat.completion.chunk", created, model);
        root.putArray("choices");
        root.set("usage", usage(r));
        return root;
    }

    /** An in-band error event for a stream whose status line was already sent. */
    static ObjectNode error(ApiError e) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.type());
        error.put("param", e.param());
        error.put("code", e.code());
        return root;
    }

    /** {@code GET /v1/models}. */
    static ObjectNode models(List<ModelInfo> models) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        models.forEach(m -> data.add(model(m)));
        return root;
    }

    /** One entry of the model list ({@code GET /v1/models/{id}}). */
    static ObjectNode model(ModelInfo m) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", m.id());
        o.put("object", "model");
        o.put("created", m.created());
        o.put("owned_by", "llava4j");
        o.put("context_length", m.contextLength());
        ArrayNode modalities = o.putArray("input_modalities").add("text");
        if (m.vision()) {
            modalities.add("image");
        }
        return o;
    }

    /** {@code GET /health}: {@code ok} or {@code loading}, and the ids of the models loaded so far. */
    static ObjectNode status(String status, List<String> loaded) {
        ObjectNode root = MAPPER.createObjectNode().put("status", status);
        ArrayNode ids = root.putArray("loaded");
        loaded.forEach(ids::add);
        return root;
    }

    static String finishReason(FinishReason reason) {
        return switch (reason) {
            case STOP -> "stop";
            case LENGTH -> "length";
            // a cancelled answer reaches a client only when the server cancels it (shutdown)
            case CANCELLED -> "stop";
        };
    }

    static byte[] bytes(ObjectNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serialises", e);
        }
    }

    private static ObjectNode head(String id, String object, long created, String model) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        return root;
    }

    /** Prompt tokens count image embeddings as positions, as OpenAI counts image tokens. */
    private static ObjectNode usage(GenerationResult r) {
        ObjectNode u = MAPPER.createObjectNode();
        u.put("prompt_tokens", r.promptPositions());
        u.put("completion_tokens", r.generatedTokens());
        u.put("total_tokens", r.promptPositions() + r.generatedTokens());
        return u;
    }

    /**
     * llava4j's own fields: {@code truncated_turns}, the oldest turns left out because the
     * conversation no longer fit the context.
     */
    private static ObjectNode extension(GenerationResult r) {
        return MAPPER.createObjectNode().put("truncated_turns", r.droppedTurns());
    }

    private static ObjectNode timings(GenerationResult r) {
        ObjectNode t = MAPPER.createObjectNode();
        t.put("encode_ms", r.encodeMillis());
        t.put("prefill_ms", r.prefillMillis());
        t.put("generation_ms", r.generateMillis());
        t.put("prompt_positions", r.promptPositions());
        t.put("reused_positions", r.reusedPositions());
        return t;
    }
}
