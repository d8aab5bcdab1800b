package io.llava4j.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llava4j.convert.TransformersExport.Save;
import io.llava4j.gguf.GgufReader;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.synthetic.SyntheticModels;
import io.llava4j.testmodels.LlamaCppTree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java writers of the transformers layouts ({@link TransformersExport}, {@link HfTokenizerFiles})
 * against what transformers 4.57.6 and 5.18.0 wrote for the same tiny model
 * ({@code src/test/resources/transformers/}, made by src/test/python/make_transformers_fixtures.py):
 * the same files, every config and processor file equal as JSON, the same tensor names, dtypes and
 * shapes, and the same {@code tokenizer.json} (structure, and vocab and merges by digest). The
 * round trips of {@link ConvertTransformersLayoutsTest} then convert exactly what transformers saves.
 */
class ConvertTransformersFixturesTest {
    static final Path FIXTURES = fixtures();

    @TempDir
    Path dir;

    static Stream<Arguments> saves() {
        return Stream.of(
                Arguments.of("llava-4.57.6", Save.V4_57, false),
                Arguments.of("llava-5.18.0", Save.V5_18, false),
                Arguments.of("llava_next-4.57.6", Save.V4_57, true),
                Arguments.of("llava_next-5.18.0", Save.V5_18, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("saves")
    void javaExportWritesWhatTransformersSaves(String fixture, Save save, boolean next) throws IOException {
        Path expected = FIXTURES.resolve(fixture);
        LmSpec lm = LmSpec.tinyLlama();
        ClipSpec clip = ClipSpec.tiny(lm.nEmbd())
                .withLegacy(false)
                .withFeatureLayer(true)
                .withAnyres(next);
        Path sp = LlamaCppTree.vocab("llama-spm");
        SyntheticModels.Pair pair = SyntheticModels.writePair(
                lm, TransformersExport.llavaHfVocab(sp, dir.resolve("vocab.gguf")), clip, dir.resolve("src"));
        Path ckpt = dir.resolve("ckpt");
        TransformersExport.write(save, next, lm, clip, pair.lm(), pair.mmproj(), sp, ckpt);

        try (Stream<Path> files = Files.list(ckpt)) {
            assertEquals(
                    Files.readAllLines(expected.resolve("files.txt")),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "the files written");
        }
        try (Stream<Path> files = Files.list(expected)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".json") && !name.startsWith("tokenizer.") && !name.startsWith("model.safetensors")) {
                    assertEquals(Json.read(f), Json.read(ckpt.resolve(name)), name);
                } else if (name.endsWith(".jinja")) {
                    assertEquals(Files.readString(f), Files.readString(ckpt.resolve(name)), name);
                }
            }
        }
        assertEquals(
                fixtureHeader(expected.resolve("model.safetensors.header.json")),
                header(ckpt.resolve("model.safetensors")),
                "tensor names, dtypes, shapes");
        if (!save.v4()) {
            TransformersExport.write(
                    Save.V5_18_NATIVE, next, lm, clip, pair.lm(), pair.mmproj(), sp, dir.resolve("native"));
            assertEquals(
                    fixtureHeader(expected.resolve("model.safetensors.header.save_original_format_false.json")),
                    header(dir.resolve("native").resolve("model.safetensors")),
                    "save_original_format=False names");
        }
        assertSameTokenizerJson(expected, Json.readObject(ckpt.resolve("tokenizer.json")));
    }

    /** transformers 5's own LlamaTokenizer, made from tokenizer.model: the tokenizer.json-only form of item 4's tests. */
    @Test
    void llamaTokenizerOfTransformers5() throws IOException {
        Path expected = FIXTURES.resolve("llama_tokenizer-5.18.0");
        Path out = dir.resolve("tok.json");
        CheckpointExport.json(
                out,
                HfTokenizerFiles.tokenizerJson(
                        GgufReader.read(LlamaCppTree.vocab("llama-spm")),
                        HfTokenizerFiles.Style.LLAMA_TOKENIZER_5,
                        TransformersExport.ADDED));
        assertSameTokenizerJson(expected, Json.readObject(out));
        CheckpointExport.json(
                dir.resolve("tc.json"),
                HfTokenizerFiles.tokenizerConfig(
                        false, HfTokenizerFiles.Style.LLAMA_TOKENIZER_5, TransformersExport.ADDED, null));
        assertEquals(Json.read(expected.resolve("tokenizer_config.json")), Json.read(dir.resolve("tc.json")));
    }

    /** Everything but the vocab and merges equal; those by count and digest, and their first entries. */
    private static void assertSameTokenizerJson(Path expected, Map<String, Object> actual) {
        assertEquals(
                Json.read(expected.resolve("tokenizer.digest.json")),
                HfTokenizerFiles.digest(actual),
                "vocab and merges");
        Map<String, Object> skeleton = new LinkedHashMap<>(actual);
        Map<String, Object> model = new LinkedHashMap<>(Json.asObject(actual.get("model")));
        Map<String, Object> vocab = new LinkedHashMap<>();
        Json.asObject(model.get("vocab")).entrySet().stream()
                .sorted(Comparator.comparingLong(e -> (Long) e.getValue()))
                .limit(6)
                .forEach(e -> vocab.put(e.getKey(), e.getValue()));
        model.put("vocab", vocab);
        model.put("merges", Json.asList(model.get("merges")).subList(0, 6));
        skeleton.put("model", model);
        assertEquals(Json.read(expected.resolve("tokenizer.json")), skeleton, "tokenizer.json");
    }

    private static Path fixtures() {
        java.net.URL url = ConvertTransformersFixturesTest.class.getResource("/transformers/llava-5.18.0/files.txt");
        if (url == null) {
            throw new IllegalStateException("missing test fixtures transformers/ (regenerate with"
                    + " src/test/python/make_transformers_fixtures.py)");
        }
        try {
            return Path.of(url.toURI()).getParent().getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A safetensors file's header without the data offsets: name to [dtype, shape], and the metadata. */
    static Map<String, Object> header(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            long n = ByteBuffer.wrap(in.readNBytes(8))
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .getLong();
            return withoutOffsets(Json.asObject(Json.parse(in.readNBytes((int) n), file)));
        }
    }

    private static Map<String, Object> fixtureHeader(Path file) {
        return withoutOffsets(Json.readObject(file));
    }

    private static Map<String, Object> withoutOffsets(Map<String, Object> h) {
        Map<String, Object> out = new TreeMap<>();
        h.forEach((k, v) -> {
            Map<String, Object> m = Json.asObject(v);
            out.put(k, k.equals("__metadata__") ? m : List.of(m.get("dtype"), m.get("shape")));
        });
        return out;
    }
}
