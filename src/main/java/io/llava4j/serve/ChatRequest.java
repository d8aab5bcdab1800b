package io.llava4j.serve;

import io.llava4j.serve.CompletionEngine.Completion;

/**
 * A parsed {@code POST /v1/chat/completions} body.
 *
 * @param model the {@code model} field, or null when the client left it out (the served model)
 * @param completion the conversation and the settings to answer it with
 * @param stream answer as Server-Sent Events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the token counts
 */
record ChatRequest(String model, Completion completion, boolean stream, boolean includeUsage) {}
