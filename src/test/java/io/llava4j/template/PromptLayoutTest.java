package io.llava4j.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.template.PromptLayout.Image;
import io.llava4j.template.PromptLayout.Text;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PromptLayout} against the chunking of LLaVA's {@code tokenizer_image_token} (LLAVA.md 4). */
class PromptLayoutTest {
    @Test
    void llavaV1PromptSplitsAroundItsImage() {
        PromptLayout layout = PromptLayout.of(Golden.one("llava_v1", null));
        assertEquals(
                List.of(Golden.S_HUMAN + " USER: ", "\nWhat is shown in this image? ASSISTANT:"), layout.textChunks());
        assertEquals(1, layout.imageCount());
        assertEquals(
                List.of(
                        new Text(Golden.S_HUMAN + " USER: ", 0, true),
                        new Image(0),
                        new Text("\nWhat is shown in this image? ASSISTANT:", 1, false)),
                layout.parts());
    }

    @Test
    void emptyChunksAreKeptLikePythonSplit() {
        // plain prompt starts with the marker: chunk 0 is "" but still carries the BOS flag
        PromptLayout plain = PromptLayout.of(Golden.one("plain", null));
        assertEquals(List.of("", "\nWhat is shown in this image?\n"), plain.textChunks());
        assertEquals(new Text("", 0, true), plain.parts().get(0));
        // adjacent and trailing markers (Java's String.split would drop the trailing "")
        assertEquals(List.of("", "", "x"), PromptLayout.of("<image><image>x").textChunks());
        assertEquals(List.of("a", ""), PromptLayout.of("a<image>").textChunks());
        assertEquals(List.of("no images"), PromptLayout.of("no images").textChunks());
        assertEquals(0, PromptLayout.of("").imageCount());
    }

    @Test
    void multiImageQwenPromptHasImagesInOrder() {
        List<Message> messages = List.of(
                Message.user("<image>\n<image>\nWhat differs?"),
                Message.assistant("The color."),
                Message.user("<image>And this one?"));
        PromptLayout layout = PromptLayout.of(Golden.render("qwen_1_5", null, messages));
        assertEquals(3, layout.imageCount());
        List<PromptLayout.Part> parts = layout.parts();
        assertEquals(7, parts.size());
        assertEquals(new Image(0), parts.get(1));
        assertEquals(new Text("\n", 1, false), parts.get(2));
        assertEquals(new Image(2), parts.get(5));
        assertTrue(((Text) parts.get(6)).text().startsWith("And this one?<|im_end|>"));
        layout.requireImages(3);
    }

    @Test
    void llama3FirstChunkStartsWithTheBosText() {
        // documented: tokenizing chunk 0 with add_special and parse_special gives the reference's double BOS
        PromptLayout layout = PromptLayout.of(Golden.one("llava_llama_3", null));
        assertTrue(layout.textChunks().get(0).startsWith("<|begin_of_text|><|start_header_id|>system"));
    }

    @Test
    void imageCountMismatchIsReportedLikeTheWorker() {
        Llava4jException e = assertThrows(
                Llava4jException.class, () -> PromptLayout.of("a<image>b").requireImages(2));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertEquals("number of images (2) does not match number of <image> markers in the prompt (1)", e.getMessage());
    }

    @Test
    void constructorRejectsMalformedChunks() {
        assertThrows(Llava4jException.class, () -> new PromptLayout(List.of()));
        assertThrows(Llava4jException.class, () -> new PromptLayout(List.of("a<image>b")));
        assertThrows(NullPointerException.class, () -> PromptLayout.of(null));
    }
}
