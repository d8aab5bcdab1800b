/**
 * LLaVA conversation templates as data: {@link io.llava4j.template.Message} records, one renderer per
 * {@link io.llava4j.template.SeparatorStyle}, the {@link io.llava4j.template.ChatTemplate} registry that
 * transcribes the reference's {@code conv_templates} (haotian-liu/LLaVA and LLaVA-VL/LLaVA-NeXT,
 * {@code llava/conversation.py}) with exact system texts, roles, separators and stop strings, the
 * {@link io.llava4j.template.TemplateSelector} that picks a template from model facts, and the
 * {@link io.llava4j.template.PromptLayout} that splits a rendered prompt into text chunks and image
 * slots as {@code tokenizer_image_token} does.
 *
 * <p>No image data and no tokenizer live here: a prompt carries each image as the literal
 * {@code <image>} ({@link io.llava4j.template.Message#IMAGE_MARKER}). Rendering follows the reference
 * byte for byte, quirks included (e.g. TWO style's {@code "</s>USER:"}, MPT's missing newline
 * after {@code <|im_end|>}); every template's output is pinned by golden tests.
 */
package io.llava4j.template;
