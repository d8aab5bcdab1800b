package io.llava4j.quantize;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.gguf.ClipKeys;
import io.llava4j.gguf.GeneralKeys;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufFormatException;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.gguf.LlmKeys;
import io.llava4j.model.ModelFileCheck;
import io.llava4j.nativeio.NativeLibrary;
import io.llava4j.nativeio.NativeLogTap;
import io.llava4j.nativeio.NativeStrings;
import io.llava4j.nativeio.bindings.LlamaLib;
import io.llava4j.nativeio.bindings.LlamaLib.llama_model_quantize_params;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.bytedeco.javacpp.BytePointer;

/**
 * Quantizes a language model or an mmproj GGUF with llama.cpp's {@code llama_model_quantize}.
 *
 * <p>The pinned mtmd tree has no CLIP quantizer of its own any more; instead llama.cpp registers a
 * {@code clip} architecture "only used by llama-quantize", and its tensor rules
 * ({@code tensor_allows_quantization} in src/llama-quant.cpp) keep exactly what the old
 * {@code clip_model_quantize} kept: 1-D tensors (norms, biases, the class embedding), the position
 * and patch embeddings, and matrices whose rows do not split into whole blocks (those fall back to a
 * smaller block type or F16, see {@link Fallback}). So one native path serves both file kinds.
 *
 * <p>Safety: the input is validated in Java first ({@link ModelFileCheck}), because llama.cpp
 * aborts the process on some malformed files. The output is written to a hidden {@code .part} file
 * beside {@code output} and moved into place only after it has been read back and checked, so
 * {@code output} is never left half-written, and an existing one is only replaced when {@code
 * overwrite} is set and quantizing succeeded.
 *
 * <p>Thread-safety: independent quantizations may run on different threads; each call blocks its
 * thread for the duration and uses all CPU cores.
 */
public final class Quantizer {
    /** llama.cpp's {@code LLAMA_MAX_LAYERS} (src/llama-hparams.h): a larger block count aborts the loader. */
    static final int MAX_LAYERS = 512;

    private Quantizer() {}

    /**
     * Quantizes {@code input} into {@code output}.
     *
     * @param input an F32/F16/BF16 language model or mmproj GGUF
     * @param output the file to write; its directory must exist; must not be {@code input}
     * @param type the target type
     * @param overwrite replace {@code output} if it exists (otherwise an existing file is an error)
     * @param listener receives one call per tensor written; {@link QuantizeListener#NONE} for none
     * @return sizes, tensor types and fallbacks of the written file
     * @throws Llava4jException {@code IO} when a file is missing or cannot be written,
     *     {@code INVALID_FILE} when the input is malformed or already quantized, {@code
     *     INVALID_ARGUMENT} when {@code output} is the input or exists without {@code overwrite},
     *     {@code NATIVE} when llama.cpp fails (with its reason)
     */
    public static QuantizeReport quantize(
            Path input, Path output, QuantType type, boolean overwrite, QuantizeListener listener) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(input, "input");
        GgufFile source = checkInput(input);
        checkOutput(input, output, overwrite);
        boolean projector = ClipKeys.ARCHITECTURE.equals(source.architecture());

        Path target = output.toAbsolutePath().normalize();
        Path partial = createPartial(target);
        boolean moved = false;
        try {
            QuantizeLog log = new QuantizeLog(listener);
            long start = System.nanoTime();
            int status = runNative(input, partial, type, log);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            if (status != 0) {
                throw new Llava4jException(
                        Code.NATIVE,
                        input.getFileName() + ": llama.cpp could not quantize it to " + type + ": "
                                + log.failureReason());
            }
            GgufFile written =
                    projector ? ModelFileCheck.checkProjector(partial) : ModelFileCheck.checkLanguageModel(partial);
            move(partial, target, overwrite);
            moved = true;
            return report(source, written, target, type, projector, log, elapsed);
        } finally {
            if (!moved) {
                deleteQuietly(partial);
            }
        }
    }

    /** Refuses an output that is the input, a directory, or an existing file without overwrite. */
    private static void checkOutput(Path input, Path output, boolean overwrite) {
        Objects.requireNonNull(output, "output");
        Path target = output.toAbsolutePath().normalize();
        if (target.equals(input.toAbsolutePath().normalize()) || sameFile(input, target)) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, output + " is the input file: write the quantized" + " model to a new file");
        }
        if (Files.isDirectory(target)) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, output + " is a directory: name the output file");
        }
        if (Files.exists(target) && !overwrite) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    output + " already exists: choose another name or" + " allow replacing it (--force)");
        }
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new Llava4jException(Code.IO, output + ": the directory " + dir + " does not exist");
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Validates the input: a readable GGUF, a language model or mmproj that passes {@link
     * ModelFileCheck}, a block count llama.cpp accepts, and no quantized tensors (llama.cpp refuses
     * to requantize by default, and requantizing compounds the error).
     */
    static GgufFile checkInput(Path input) {
        if (!Files.isRegularFile(input)) {
            throw new GgufFormatException(
                    Code.IO, input, Files.exists(input) ? "not a regular file" : "no such file", null);
        }
        GgufFile file = GgufReader.read(input);
        String arch = file.optionalString(GeneralKeys.ARCHITECTURE)
                .orElseThrow(() ->
                        new GgufFormatException(input, "missing general.architecture: not a llama.cpp model file"));
        if (arch.equals(ClipKeys.ARCHITECTURE)) {
            ModelFileCheck.checkProjector(input);
        } else {
            ModelFileCheck.checkLanguageModel(input);
            String key = LlmKeys.BLOCK_COUNT.of(arch);
            long blocks = file.has(key) ? file.getLong(key) : -1;
            if (blocks < 1 || blocks > MAX_LAYERS) {
                throw new GgufFormatException(
                        input,
                        key + (blocks < 0 ? " is missing" : " is " + blocks) + ": llama.cpp needs 1.." + MAX_LAYERS
                                + " blocks");
            }
        }
        for (GgufTensorInfo t : file.tensors()) {
            if (t.type().isQuantized()) {
                throw new GgufFormatException(
                        input,
                        "tensor " + t.name() + " is already quantized ("
                                + t.type().ggmlName() + "): quantize from the F32, F16 or BF16 file instead");
            }
        }
        if (file.tensors().isEmpty()) {
            throw new GgufFormatException(input, "the file has no tensors (a vocabulary-only file?)");
        }
        return file;
    }

    private static Path createPartial(Path target) {
        try {
            Path partial = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
            // A JVM stopped by Ctrl-C during the native call would otherwise leave the hidden file behind.
            partial.toFile().deleteOnExit();
            return partial;
        } catch (IOException e) {
            throw new Llava4jException(
                    Code.IO, target + ": cannot create a file in " + target.getParent() + ": " + e.getMessage(), e);
        }
    }

    private static int runNative(Path input, Path partial, QuantType type, QuantizeLog log) {
        NativeLibrary.ensureLoaded();
        // llama_model_quantize has no progress callback: progress, fallbacks and its reason for
        // failing arrive as log lines on this thread.
        NativeLogTap tap = NativeLogTap.open(log::accept);
        try (BytePointer in = NativeStrings.path(input);
                BytePointer out = NativeStrings.path(partial);
                llama_model_quantize_params params = LlamaLib.llama_model_quantize_default_params()) {
            params.ftype(type.ftype());
            params.nthread(Runtime.getRuntime().availableProcessors());
            return LlamaLib.llama_model_quantize(in, out, params);
        } finally {
            tap.close();
        }
    }

    private static void move(Path partial, Path target, boolean overwrite) {
        try {
            try {
                if (overwrite) {
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (AtomicMoveNotSupportedException e) {
                if (overwrite) {
                    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.move(partial, target);
                }
            }
        } catch (IOException e) {
            throw new Llava4jException(
                    Code.IO, target + ": cannot move the quantized file into place: " + e.getMessage(), e);
        }
    }

    private static QuantizeReport report(
            GgufFile source,
            GgufFile written,
            Path target,
            QuantType type,
            boolean projector,
            QuantizeLog log,
            Duration elapsed) {
        Map<String, GgmlType> before = new HashMap<>();
        for (GgufTensorInfo t : source.tensors()) {
            before.put(t.name(), t.type());
        }
        Map<GgmlType, Integer> counts = new EnumMap<>(GgmlType.class);
        int converted = 0;
        for (GgufTensorInfo t : written.tensors()) {
            counts.merge(t.type(), 1, Integer::sum);
            if (before.get(t.name()) != t.type()) {
                converted++;
            }
        }
        return new QuantizeReport(
                source.path(),
                target,
                type,
                projector,
                source.fileSize(),
                written.fileSize(),
                written.tensors().size(),
                converted,
                counts,
                log.fallbacks(),
                elapsed);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // Best effort: the file is hidden and marked delete-on-exit.
        }
    }
}
