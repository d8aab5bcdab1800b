package io.llava4j.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llava4j.convert.llava.Converter;
import io.llava4j.convert.llava.OutType;
import io.llava4j.convert.llava.SourceLayout;
import io.llava4j.gguf.ClipKeys;
import io.llava4j.gguf.GeneralKeys;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufValueType;
import io.llava4j.gguf.LlmKeys;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.testmodels.LlamaCppTree;
import io.llava4j.testmodels.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Guards the single writer path of {@code LmSchema}/{@code MmprojSchema}: a random-weight pair from
 * {@code io.llava4j.synthetic} and the converter's output for a checkpoint made from that same pair
 * carry the same metadata keys with the same value types, and the same tensor names and types. The
 * only keys allowed to differ are the optional ones whose presence the source decides:
 * {@code general.description} (the synthetic files describe their random weights, the converter
 * notes a default normalisation), {@code clip.vision.image_aspect_ratio} and
 * {@code clip.vision.mm_patch_merge_type} (the converter copies them from the checkpoint's config;
 * a synthetic spec without anyres has neither). The {@code tokenizer.*} keys come from the
 * tokenizer, not the schema, and are compared by {@link ConvertLayoutsTest}.
 */
class SchemaParityTest {
    private static final Set<String> SOURCE_DEPENDENT =
            Set.of(GeneralKeys.DESCRIPTION, ClipKeys.VISION_IMAGE_ASPECT_RATIO, ClipKeys.VISION_MM_PATCH_MERGE_TYPE);

    @TempDir
    Path dir;

    static Stream<Arguments> pairs() {
        LmSpec llama = LmSpec.tinyLlama().withSeed(7);
        // all F32, as the converter writes with --outtype f32 (tinyQwen2's embedding is F16)
        LmSpec qwen2 = LmSpec.tinyQwen2().withTypes(GgmlType.F32, GgmlType.F32).withSeed(7);
        return Stream.of(
                Arguments.of(
                        SourceLayout.HF_LLAVA,
                        llama,
                        ClipSpec.tiny(64)
                                .withLegacy(false)
                                .withFeatureLayer(true)
                                .withSeed(8)),
                Arguments.of(
                        SourceLayout.HF_LLAVA_NEXT,
                        qwen2,
                        ClipSpec.tiny(64)
                                .withLegacy(false)
                                .withFeatureLayer(true)
                                .withAnyres(true)
                                .withSeed(8)),
                Arguments.of(
                        SourceLayout.NEXT,
                        qwen2,
                        ClipSpec.tinySiglip(64).withAnyres(true).withSeed(8)));
    }

    @ParameterizedTest
    @MethodSource("pairs")
    void syntheticAndConvertedFilesHaveTheSameKeysTypesAndTensors(SourceLayout layout, LmSpec lm, ClipSpec clip)
            throws IOException {
        TinyModels.Pair src = TinyModels.writePair(lm, clip, dir.resolve("src"));
        Path ckpt = dir.resolve("checkpoint");
        Path tower = dir.resolve("tower");
        CheckpointExport.write(layout, lm, clip, src.lm(), src.mmproj(), LlamaCppTree.vocab(lm.vocab()), ckpt, tower);
        Converter.Result r = Converter.convert(new Converter.Options(
                ckpt, dir.resolve("out"), OutType.F32, layout == SourceLayout.NEXT ? tower : null, "tiny"));

        assertSameSchema(GgufReader.read(src.lm()), GgufReader.read(r.languageModel()));
        assertSameSchema(GgufReader.read(src.mmproj()), GgufReader.read(r.mmproj()));
    }

    private static void assertSameSchema(GgufFile synthetic, GgufFile converted) {
        assertEquals(
                schemaKeys(synthetic), schemaKeys(converted), converted.path().getFileName() + " metadata");
        for (GgufFile f : List.of(synthetic, converted)) {
            for (String k : SOURCE_DEPENDENT) {
                if (f.has(k)) {
                    f.requireType(k, GgufValueType.STRING);
                }
            }
        }
        assertEquals(tensors(synthetic), tensors(converted), converted.path().getFileName() + " tensors");
    }

    /** Key to value type (with the element type of arrays), less tokenizer and source-dependent keys. */
    private static Map<String, String> schemaKeys(GgufFile f) {
        Map<String, String> m = new TreeMap<>();
        for (String k : f.keys()) {
            if (!k.startsWith(LlmKeys.TOKENIZER_PREFIX) && !SOURCE_DEPENDENT.contains(k)) {
                m.put(k, f.value(k).typeName());
            }
        }
        return m;
    }

    private static Map<String, String> tensors(GgufFile f) {
        Map<String, String> m = new TreeMap<>();
        f.tensors().forEach(t -> m.put(t.name(), t.type().toString()));
        return m;
    }
}
