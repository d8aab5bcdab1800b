package io.llava4j.vision;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.gguf.GgufFile;
import io.llava4j.model.ModelFileCheck;
import io.llava4j.nativeio.CallGuard;
import io.llava4j.nativeio.ComputeThread;
import io.llava4j.nativeio.NativeErrors;
import io.llava4j.nativeio.NativeLibrary;
import io.llava4j.nativeio.NativeStrings;
import io.llava4j.nativeio.bindings.LlamaLib;
import io.llava4j.nativeio.bindings.LlamaLib.llava4j_clip;
import java.nio.file.Path;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The vision tower and projector of an mmproj GGUF (llama.cpp's CLIP encoder): turns one
 * preprocessed image into the embeddings the language model reads.
 *
 * <p>Input images are what preprocessing produces: {@code width * height * 3} floats, interleaved
 * RGB, row-major (HWC), already normalised with the model's mean and std.
 *
 * <p>Not thread-safe: one encode at a time (a second thread gets {@code ILLEGAL_STATE}); {@link
 * #close()} during an encode on another thread throws {@link IllegalStateException}. After close
 * every method but {@code close()} throws {@code CLOSED}.
 */
public final class VisionEncoder implements AutoCloseable {
    private final Path path;
    private final GgufFile header;
    private final llava4j_clip handle;
    private final CallGuard guard;
    private final int embeddingWidth;
    private final int imageSize;
    private final int patchSize;
    private final String projector;

    private VisionEncoder(Path path, GgufFile header, llava4j_clip handle) {
        this.path = path;
        this.header = header;
        this.handle = handle;
        this.guard = new CallGuard("VisionEncoder " + path.getFileName());
        int[] v = new int[1];
        NativeErrors.checkShim(LlamaLib.llava4j_clip_n_embd(handle, v), path + ": reading the embedding width");
        this.embeddingWidth = v[0];
        NativeErrors.checkShim(LlamaLib.llava4j_clip_image_size(handle, v), path + ": reading the image size");
        this.imageSize = v[0];
        NativeErrors.checkShim(LlamaLib.llava4j_clip_patch_size(handle, v), path + ": reading the patch size");
        this.patchSize = v[0];
        byte[] name = new byte[64];
        NativeErrors.checkShim(
                LlamaLib.llava4j_clip_projector(handle, name, name.length), path + ": reading the projector");
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        this.projector = new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Loads the vision encoder of an mmproj file, validated in Java first.
     *
     * @param useGpu run on the first GPU backend when one is compiled in
     * @throws Llava4jException {@code IO}, {@code INVALID_FILE} (malformed, or not an mmproj) or
     *     {@code LOAD_FAILED}
     */
    public static VisionEncoder load(Path path, boolean useGpu) {
        return load(ModelFileCheck.checkProjector(path), useGpu);
    }

    /**
     * Loads the vision encoder of the mmproj whose header {@link ModelFileCheck#checkProjector}
     * validated (the file is not parsed again).
     *
     * @param header what {@code checkProjector} returned
     * @throws Llava4jException {@code LOAD_FAILED} if the native loader rejects the file
     */
    public static VisionEncoder load(GgufFile header, boolean useGpu) {
        Path path = header.path();
        NativeLibrary.ensureLoaded();
        llava4j_clip handle = new llava4j_clip();
        try (BytePointer p = NativeStrings.path(path)) {
            NativeErrors.checkShim(LlamaLib.llava4j_clip_load(p, useGpu ? 1 : 0, 1, handle), "loading " + path);
        }
        try {
            return new VisionEncoder(path, header, handle);
        } catch (RuntimeException e) {
            LlamaLib.llava4j_clip_free(handle);
            throw e;
        }
    }

    public Path path() {
        guard.checkOpen();
        return path;
    }

    /** The validated GGUF header of the mmproj. */
    public GgufFile header() {
        guard.checkOpen();
        return header;
    }

    /** Width of each output embedding; must equal the language model's input width. */
    public int embeddingWidth() {
        guard.checkOpen();
        return embeddingWidth;
    }

    /** Side of the square images the encoder takes. */
    public int imageSize() {
        guard.checkOpen();
        return imageSize;
    }

    public int patchSize() {
        guard.checkOpen();
        return patchSize;
    }

    /** Projector type, e.g. "mlp" for LLaVA. */
    public String projector() {
        guard.checkOpen();
        return projector;
    }

    /** Memory the encoder holds (weights and its reserved compute buffers), as llama.cpp counts it. */
    public long memoryBytes() {
        guard.enter();
        try {
            long[] n = new long[1];
            NativeErrors.checkShim(LlamaLib.llava4j_clip_memory(handle, n), path + ": memory");
            return n[0];
        } finally {
            guard.exit();
        }
    }

    /** Number of embeddings one {@code width x height} image produces. */
    public int tokenCount(int width, int height) {
        guard.enter();
        try {
            int[] n = new int[1];
            NativeErrors.checkShim(LlamaLib.llava4j_clip_n_tokens(handle, width, height, n), path + ": token count");
            return n[0];
        } finally {
            guard.exit();
        }
    }

    /**
     * Encodes one image.
     *
     * @param pixels {@code width * height * 3} normalised floats, HWC
     * @param threads CPU threads for the encode
     * @return {@code tokenCount(width, height) * embeddingWidth()} floats, token after token
     */
    public float[] encode(float[] pixels, int width, int height, int threads) {
        if ((long) width * height * 3 != pixels.length) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "a " + width + "x" + height + " image has " + (long) width * height * 3 + " values, got "
                            + pixels.length);
        }
        guard.enter();
        try {
            int[] n = new int[1];
            NativeErrors.checkShim(LlamaLib.llava4j_clip_n_tokens(handle, width, height, n), path + ": token count");
            float[] out = new float[Math.multiplyExact(n[0], embeddingWidth)];
            try (FloatPointer in = new FloatPointer(pixels);
                    FloatPointer result = new FloatPointer(out.length)) {
                // on the compute thread, like every decode (see ComputeThread); the shim's error
                // message is that thread's, so it is read there
                ComputeThread.run(() -> {
                    NativeErrors.checkShim(
                            LlamaLib.llava4j_clip_encode(handle, threads, in, width, height, result, out.length),
                            path + ": encoding a " + width + "x" + height + " image");
                    return 0;
                });
                result.get(out);
            }
            return out;
        } finally {
            guard.exit();
        }
    }

    /** Frees the encoder; idempotent. */
    @Override
    public void close() {
        if (guard.close()) {
            LlamaLib.llava4j_clip_free(handle);
        }
    }
}
