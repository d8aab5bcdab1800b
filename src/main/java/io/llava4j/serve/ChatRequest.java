package io.llava4j.serve;

import io.llava4j.serve.CompletionEngine.Completion;

/**
 * A parsed {@code POST /v1/chat/completions} body.
 *
 * @param completion the conversation and the settings to answer it with
 * @param stream answer as Server-Sent Events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the token counts
 */
record ChatRequest(Completion completion, boolean stream, boolean includeUsage) {}
