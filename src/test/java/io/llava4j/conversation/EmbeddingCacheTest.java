package io.llava4j.conversation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.image.ChatImage;
import io.llava4j.image.RgbImage;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.ImageEmbedder.ImageEmbedding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding cache alone (memory bound, files, damage) and through a model's chats. */
class EmbeddingCacheTest {
    @TempDir
    Path dir;

    static EmbeddingKey key(String sha) {
        return new EmbeddingKey(sha, "mm", EmbeddingKey.Layout.SINGLE);
    }

    static ImageEmbedding embedding(int tokens, float v) {
        float[] data = new float[tokens * 4];
        for (int i = 0; i < data.length; i++) {
            data[i] = v + i;
        }
        return new ImageEmbedding(data, tokens, 4);
    }

    @Test
    void memoryKeepsTheMostRecentlyUsedWithinItsBound() {
        EmbeddingCache cache = EmbeddingCache.inMemory(2 * 10 * 4 * 4); // two entries of 10 tokens
        AtomicInteger computed = new AtomicInteger();
        cache.get(key("a"), () -> {
            computed.incrementAndGet();
            return embedding(10, 1);
        });
        cache.get(key("b"), () -> {
            computed.incrementAndGet();
            return embedding(10, 2);
        });
        cache.get(key("a"), () -> {
            computed.incrementAndGet();
            return embedding(10, 1);
        });
        cache.get(key("c"), () -> {
            computed.incrementAndGet();
            return embedding(10, 3);
        }); // evicts b
        assertEquals(3, computed.get());
        assertTrue(cache.containsInMemory(key("a")));
        assertFalse(cache.containsInMemory(key("b")));
        assertEquals(new EmbeddingCache.Stats(1, 0, 3, 0, 2, 320), cache.stats());
    }

    @Test
    void filesSurviveARestartAndDamageIsDetectedAndRecomputed() throws IOException {
        ImageEmbedding e = embedding(6, 0.5f);
        EmbeddingCache first = EmbeddingCache.onDisk(1 << 20, dir);
        first.get(key("abc"), () -> e);

        EmbeddingCache restarted = EmbeddingCache.onDisk(1 << 20, dir);
        ImageEmbedding read = restarted.get(key("abc"), () -> {
            throw new AssertionError("must come from disk");
        });
        assertArrayEquals(e.data(), read.data());
        assertEquals(1, restarted.stats().diskHits());

        Path file;
        try (Stream<Path> files = Files.list(dir)) {
            file = files.filter(p -> p.toString().endsWith(".emb")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(file, bytes);
        EmbeddingCache third = EmbeddingCache.onDisk(1 << 20, dir);
        AtomicInteger computed = new AtomicInteger();
        ImageEmbedding again = third.get(key("abc"), () -> {
            computed.incrementAndGet();
            return e;
        });
        assertEquals(1, computed.get(), "recomputed");
        assertEquals(1, third.stats().corruptFiles());
        assertArrayEquals(e.data(), again.data());
        assertArrayEquals(
                e.data(),
                EmbeddingCache.onDisk(1 << 20, dir).get(key("abc"), () -> null).data(),
                "the rewritten file is good");

        Files.write(file, new byte[] {1, 2, 3}); // truncated
        EmbeddingCache fourth = EmbeddingCache.onDisk(1 << 20, dir);
        fourth.get(key("abc"), () -> e);
        assertEquals(1, fourth.stats().corruptFiles());
    }

    @Test
    void aModelEncodesTheSameImageOnceAcrossChatsAndAgainForOtherPixels() {
        TinyModels.Pair pair = TinyModels.llava15(dir.resolve("m"), 43);
        Path cacheDir = dir.resolve("cache");
        ChatImage img = ChatTest.image(0);
        ChatImage sameBytes = ChatImage.of(
                new RgbImage(
                        img.pixels().width(),
                        img.pixels().height(),
                        img.pixels().rgb()),
                null);
        ChatImage other = ChatTest.image(5);
        float[] firstEmbedding;
        try (LlavaModel m = LlavaModel.builder(pair.lm())
                .mmproj(pair.mmproj())
                .embeddingCache(EmbeddingCache.onDisk(EmbeddingCache.DEFAULT_MAX_BYTES, cacheDir))
                .open()) {
            AtomicInteger encodes = new AtomicInteger();
            GenerationListener counting = new GenerationListener() {
                @Override
                public void onText(String piece) {}

                @Override
                public void onImageEncoding(int image, int images, int done, int total) {
                    if (done == total) {
                        encodes.incrementAndGet();
                    }
                }
            };
            for (ChatImage i : List.of(img, sameBytes)) {
                try (Chat chat = m.newChat(ChatTest.context())) {
                    chat.addUser("Describe it.", List.of(i));
                    GenerationResult r = chat.generate(ChatTest.greedy(1), counting);
                    assertEquals(576, r.imagePositions());
                }
            }
            assertEquals(1, encodes.get(), "the same pixels are encoded once");
            assertEquals(
                    new EmbeddingCache.Stats(1, 0, 1, 0, 1, 576L * 64 * 4),
                    m.embeddingCache().stats());
            try (Chat chat = m.newChat(ChatTest.context())) {
                chat.addUser("Describe it.", List.of(other));
                chat.generate(ChatTest.greedy(1), counting);
            }
            assertEquals(2, encodes.get(), "other pixels are encoded");
            firstEmbedding = m.embed(img, EmbeddingKey.Layout.SINGLE, 1, (d, t) -> {})
                    .embedding()
                    .data();
        }
        try (LlavaModel m = LlavaModel.builder(pair.lm())
                .mmproj(pair.mmproj())
                .embeddingCache(EmbeddingCache.onDisk(EmbeddingCache.DEFAULT_MAX_BYTES, cacheDir))
                .open()) {
            ImageEmbedding e = m.embed(img, EmbeddingKey.Layout.SINGLE, 1, (d, t) -> {
                        throw new AssertionError("encoded again after a restart");
                    })
                    .embedding();
            assertArrayEquals(firstEmbedding, e.data());
            assertEquals(1, m.embeddingCache().stats().diskHits());
            assertSame(
                    e, m.embed(img, EmbeddingKey.Layout.SINGLE, 1, (d, t) -> {}).embedding(), "then from memory");
        }
    }
}
