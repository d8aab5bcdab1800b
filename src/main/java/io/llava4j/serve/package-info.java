/**
 * {@code llava4j serve}: an HTTP server speaking OpenAI's Chat Completions API (with images) over
 * a {@link io.llava4j.conversation.LlavaModel}. The HTTP layer ({@link io.llava4j.serve.LlavaServer},
 * request parsing, responses, errors, metrics) knows the model only through the narrow
 * {@code CompletionEngine} interface, so the engine (today a pool of chats) can change without
 * touching the protocol. Internal: not part of the library's API.
 */
package io.llava4j.serve;
