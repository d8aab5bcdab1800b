package io.llava4j.model;

import io.llava4j.gguf.ClipKeys;
import io.llava4j.gguf.GeneralKeys;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufFormatException;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.gguf.GgufValue;
import io.llava4j.gguf.GgufValueType;
import io.llava4j.gguf.LlmKeys;
import io.llava4j.gguf.MmprojSchema;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Checks model files in Java before llama.cpp sees them. llama.cpp reads several keys with
 * {@code gguf_get_val_*}/{@code gguf_get_arr_str}, which abort the process when the stored type
 * differs, and the CLIP graph asserts on inconsistent tensor shapes; here each such problem becomes
 * a {@link GgufFormatException} naming the file and the key or tensor.
 */
public final class ModelFileCheck {
    /**
     * Keys the pinned clip.cpp reads for vision models with the type its getter demands
     * ({@code clip_model_loader::get_u32/get_f32/get_bool/get_string} in tools/mtmd/clip.cpp).
     */
    private static final Map<String, GgufValueType> CLIP_KEY_TYPES = Map.ofEntries(
            Map.entry(GeneralKeys.NAME, GgufValueType.STRING),
            Map.entry(GeneralKeys.DESCRIPTION, GgufValueType.STRING),
            Map.entry(ClipKeys.PROJECTOR_TYPE, GgufValueType.STRING),
            Map.entry(ClipKeys.VISION_PROJECTOR_TYPE, GgufValueType.STRING),
            Map.entry(ClipKeys.VISION_MM_PATCH_MERGE_TYPE, GgufValueType.STRING),
            Map.entry(ClipKeys.HAS_VISION_ENCODER, GgufValueType.BOOL),
            Map.entry(ClipKeys.HAS_AUDIO_ENCODER, GgufValueType.BOOL),
            Map.entry(ClipKeys.USE_GELU, GgufValueType.BOOL),
            Map.entry(ClipKeys.USE_SILU, GgufValueType.BOOL),
            Map.entry(ClipKeys.VISION_EMBEDDING_LENGTH, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_HEAD_COUNT, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_HEAD_COUNT_KV, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_HEAD_DIM, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_FEED_FORWARD_LENGTH, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_BLOCK_COUNT, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_PROJECTION_DIM, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_IMAGE_SIZE, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_PATCH_SIZE, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_IMAGE_MIN_PIXELS, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_IMAGE_MAX_PIXELS, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_SPATIAL_MERGE_SIZE, GgufValueType.UINT32),
            Map.entry(ClipKeys.VISION_LAYER_NORM_EPS, GgufValueType.FLOAT32),
            Map.entry(ClipKeys.MINICPMV_VERSION, GgufValueType.INT32));

    /** Keys read as arrays: only the element kind is checked (clip.cpp converts int types itself). */
    private static final Map<String, Boolean> CLIP_ARRAY_KEYS = Map.of(
            ClipKeys.VISION_IMAGE_MEAN, true,
            ClipKeys.VISION_IMAGE_STD, true,
            ClipKeys.VISION_IMAGE_GRID_PINPOINTS, false,
            ClipKeys.VISION_FEATURE_LAYER, false);

    private ModelFileCheck() {}

    /**
     * Validates a language-model GGUF: structure, that it is not an mmproj, and the tokenizer
     * arrays llama.cpp reads without type checks.
     *
     * @return the parsed header, for callers that want metadata without loading the model
     * @throws GgufFormatException naming the file and the problem
     */
    public static GgufFile checkLanguageModel(Path path) {
        GgufFile file = GgufReader.read(path);
        String arch = file.optionalString(GeneralKeys.ARCHITECTURE)
                .orElseThrow(() ->
                        new GgufFormatException(path, "missing general.architecture: not a llama.cpp model file"));
        if (arch.equals(ClipKeys.ARCHITECTURE)) {
            throw new GgufFormatException(
                    path,
                    "this is an mmproj (vision encoder + projector), not a language"
                            + " model; pass it as the mmproj (--mmproj)");
        }
        if (file.has(LlmKeys.TOKENIZER_TOKENS)) {
            int n = file.requireArray(LlmKeys.TOKENIZER_TOKENS, GgufValueType.STRING)
                    .length();
            checkArray(file, LlmKeys.TOKENIZER_SCORES, GgufValueType.FLOAT32, n);
            checkArray(file, LlmKeys.TOKENIZER_TOKEN_TYPE, GgufValueType.INT32, n);
            if (file.has(LlmKeys.TOKENIZER_MERGES)) {
                file.requireArray(LlmKeys.TOKENIZER_MERGES, GgufValueType.STRING);
            }
            if (file.has(LlmKeys.TOKENIZER_MODEL)) {
                file.requireType(LlmKeys.TOKENIZER_MODEL, GgufValueType.STRING);
            }
        }
        return file;
    }

    /**
     * Validates an mmproj GGUF: structure, key types clip.cpp would abort on, and (for LLaVA's
     * {@code mlp} projector) tensor shapes the graph asserts on.
     *
     * @return the parsed header
     * @throws GgufFormatException naming the file and the key or tensor
     */
    public static GgufFile checkProjector(Path path) {
        GgufFile file = GgufReader.read(path);
        String arch = file.optionalString(GeneralKeys.ARCHITECTURE).orElse("");
        if (!arch.equals(ClipKeys.ARCHITECTURE)) {
            throw new GgufFormatException(
                    path,
                    "general.architecture is '" + arch + "', expected 'clip': this is "
                            + (arch.isEmpty()
                                    ? "not an mmproj file"
                                    : "a language model, not an mmproj (pass it as --model)"));
        }
        CLIP_KEY_TYPES.forEach((key, type) -> {
            if (file.has(key)) {
                file.requireType(key, type);
            }
        });
        CLIP_ARRAY_KEYS.forEach((key, isFloat) -> {
            if (file.has(key)) {
                GgufValue v = file.value(key);
                if (!v.isArray()
                        || (isFloat && v.elementType() != GgufValueType.FLOAT32)
                        || (!isFloat && !v.elementType().isInteger())) {
                    throw new GgufFormatException(
                            path,
                            "key " + key + " must be an array of " + (isFloat ? "FLOAT32" : "integers") + ", found "
                                    + v.typeName());
                }
            }
        });
        if (!file.optionalBool(ClipKeys.HAS_VISION_ENCODER).orElse(false)) {
            throw new GgufFormatException(
                    path, "clip.has_vision_encoder is missing or false: this mmproj has no" + " vision encoder");
        }
        String projector = file.optionalString(ClipKeys.VISION_PROJECTOR_TYPE)
                .or(() -> file.optionalString(ClipKeys.PROJECTOR_TYPE))
                .orElse(ClipKeys.PROJECTOR_MLP);
        if (projector.equals(ClipKeys.PROJECTOR_MLP)) {
            checkLlavaShapes(file);
        }
        return file;
    }

    /** The shapes {@code clip_graph_llava} combines, in ggml order (ne0 first). */
    private static void checkLlavaShapes(GgufFile file) {
        Path path = file.path();
        int imageSize = positive(file, ClipKeys.VISION_IMAGE_SIZE);
        int patch = positive(file, ClipKeys.VISION_PATCH_SIZE);
        int width = positive(file, ClipKeys.VISION_EMBEDDING_LENGTH);
        int ff = positive(file, ClipKeys.VISION_FEED_FORWARD_LENGTH);
        int blocks = positive(file, ClipKeys.VISION_BLOCK_COUNT);
        positive(file, ClipKeys.VISION_HEAD_COUNT);
        if (imageSize < patch) {
            throw new GgufFormatException(
                    path, "clip.vision.image_size " + imageSize + " is smaller than clip.vision.patch_size " + patch);
        }
        // clip.cpp's n_patches = (image_size / patch_size)^2, rounded down: SigLIP-so400m's 384 px
        // with patch 14 gives 27 x 27, the stride-14 convolution leaving out the last 6 pixels.
        // A SigLIP tower (LLaVA-NeXT-Interleave) has no class token, so one position per patch,
        // and a patch-embedding bias; clip.cpp loads v.class_embd and v.patch_embd.bias as optional.
        long patches = (long) (imageSize / patch) * (imageSize / patch);
        boolean classToken = file.findTensor(MmprojSchema.CLASS_EMBD).isPresent();
        shape(file, MmprojSchema.PATCH_EMBD, patch, patch, 3, width);
        if (classToken) {
            shape(file, MmprojSchema.CLASS_EMBD, width);
        }
        if (file.findTensor(MmprojSchema.PATCH_BIAS).isPresent()) {
            shape(file, MmprojSchema.PATCH_BIAS, width);
        }
        shape(file, MmprojSchema.POSITION_EMBD, width, patches + (classToken ? 1 : 0));
        for (int i = 0; i < blocks; i++) {
            shape(file, MmprojSchema.Block.ATTN_Q.weight(i), width, width);
            shape(file, MmprojSchema.Block.ATTN_K.weight(i), width, width);
            shape(file, MmprojSchema.Block.ATTN_V.weight(i), width, width);
            shape(file, MmprojSchema.Block.ATTN_OUT.weight(i), width, width);
            // The legacy converter swapped the names of fc1/fc2; clip.cpp swaps them back by shape.
            GgufTensorInfo up = require(file, MmprojSchema.Block.FFN_UP.weight(i));
            GgufTensorInfo down = require(file, MmprojSchema.Block.FFN_DOWN.weight(i));
            boolean straight = is(up, width, ff) && is(down, ff, width);
            boolean swapped = is(up, ff, width) && is(down, width, ff);
            if (!straight && !swapped) {
                throw wrongShape(
                        file,
                        up,
                        "with " + down.name() + " " + java.util.Arrays.toString(down.dims()) + " expected [" + width
                                + ", " + ff + "] and [" + ff + ", " + width + "] (either order)");
            }
        }
        String mm0Name = MmprojSchema.projector(0, "weight");
        GgufTensorInfo mm0 = require(file, mm0Name);
        if (mm0.dim(0) != width) {
            throw wrongShape(file, mm0, "its first dimension must be the vision width " + width);
        }
        Optional<GgufTensorInfo> mm2 = file.findTensor(MmprojSchema.projector(2, "weight"));
        if (mm2.isPresent() && mm2.get().dim(0) != mm0.dim(1)) {
            throw wrongShape(file, mm2.get(), "its first dimension must match " + mm0Name + "'s output " + mm0.dim(1));
        }
    }

    /**
     * Checks that an mmproj belongs to a language model: its projector must produce embeddings as
     * wide as the model's input ({@code <arch>.embedding_length}).
     *
     * @throws Llava4jException {@code INCOMPATIBLE} naming both files and widths
     */
    public static void checkPair(GgufFile mmproj, GgufFile lm) {
        long projected = projectorOutputWidth(mmproj);
        String arch = lm.architecture();
        long width = lm.optionalLong(LlmKeys.EMBEDDING_LENGTH.of(arch)).orElse(-1);
        if (projected > 0 && width > 0 && projected != width) {
            throw new io.llava4j.Llava4jException(
                    io.llava4j.Llava4jException.Code.INCOMPATIBLE,
                    mmproj.path().getFileName() + " produces embeddings of width " + projected + " but "
                            + lm.path().getFileName() + " (" + arch + ") takes " + width + ": they are not a pair");
        }
    }

    /** The projector's output width (the LM width it must match), from mm.2 or mm.0. */
    public static long projectorOutputWidth(GgufFile mmproj) {
        return mmproj.findTensor(MmprojSchema.projector(2, "weight"))
                .or(() -> mmproj.findTensor(MmprojSchema.projector(0, "weight")))
                .map(t -> t.dim(1))
                .orElse(-1L);
    }

    private static int positive(GgufFile file, String key) {
        if (!file.has(key)) {
            throw new GgufFormatException(file.path(), "missing key " + key);
        }
        long v = file.getLong(key);
        if (v <= 0 || v > 1 << 20) {
            throw new GgufFormatException(file.path(), "key " + key + " has an unusable value " + v);
        }
        return (int) v;
    }

    private static void checkArray(GgufFile file, String key, GgufValueType type, int expectedLength) {
        if (!file.has(key)) {
            return;
        }
        GgufValue v = file.requireArray(key, type);
        if (v.length() != expectedLength) {
            throw new GgufFormatException(
                    file.path(),
                    "key " + key + " has " + v.length() + " entries but tokenizer.ggml.tokens has " + expectedLength);
        }
    }

    private static GgufTensorInfo require(GgufFile file, String name) {
        return file.findTensor(name).orElseThrow(() -> new GgufFormatException(file.path(), "missing tensor " + name));
    }

    private static void shape(GgufFile file, String name, long... dims) {
        GgufTensorInfo t = require(file, name);
        if (!is(t, dims)) {
            throw wrongShape(file, t, "expected " + java.util.Arrays.toString(dims));
        }
    }

    private static boolean is(GgufTensorInfo t, long... dims) {
        boolean same = t.nDims() >= dims.length;
        for (int i = 0; same && i < t.nDims(); i++) {
            same = t.dim(i) == (i < dims.length ? dims[i] : 1);
        }
        return same;
    }

    private static GgufFormatException wrongShape(GgufFile file, GgufTensorInfo t, String expectation) {
        return new GgufFormatException(
                file.path(),
                "tensor " + t.name() + " has shape " + java.util.Arrays.toString(t.dims()) + ": " + expectation);
    }
}
