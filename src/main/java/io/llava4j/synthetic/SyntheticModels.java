package io.llava4j.synthetic;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes deterministic random-weight LLaVA model pairs (language model + mmproj) that the pinned
 * llama.cpp loads: the built-in demo pair, the models of the tests and the real-shape models of
 * the benchmarks. Same spec and seed give the same bytes on every run and platform. The weights
 * carry no trained knowledge: what such a model says is gibberish.
 *
 * <p>Weights ({@code z} approximately standard normal, see {@link RandomWeights}): matrices
 * {@code z / sqrt(fan_in)}, so activations keep unit scale through every layer; token, position and
 * class embeddings {@code z}; biases {@code 0.02 z}; norm weights {@code 1 + 0.02 z}. Why not the
 * textbook 0.02 everywhere: at width 64 that leaves attention logits near zero, so attention
 * averages the whole context, and after an image (576 to 2880 nearly alike positions) the average
 * no longer changes from one step to the next: greedy decoding fell into a 1- or 2-token loop at
 * once, and different images gave the same text. With this scaling (checked with llama-mtmd-cli on
 * four images) the tiny LLaMA gives 8 to 20 varied tokens after an image before it settles into a
 * short loop, the tiny Qwen2 about 30, text-only prompts give 100 and more, and different images
 * give different texts. Tied output embeddings still make greedy decoding repeat the last prompt
 * token (see {@link LmSpec#tinyQwen2()}).
 *
 * <p>Tokenizers are real: all {@code tokenizer.*} keys are copied from a vocabulary GGUF (the
 * llama.cpp tree's {@code models/ggml-vocab-*.gguf}), so tokenisation matches the real LLaVA-1.5
 * (llama-spm, 32000) and LLaVA-NeXT-Interleave-Qwen (qwen2, 151936) models.
 *
 * <p>Real shapes such as {@link LmSpec#llama2x7b()} are streamed to disk without holding the model
 * in memory (the LLaVA-1.5-7B-shaped F16 pair, 13.5 GB + 0.6 GB, takes about 2 minutes with
 * {@code -Xmx256m} on 2 cores).
 */
public final class SyntheticModels {
    private SyntheticModels() {}

    /** A language model and its mmproj. */
    public record Pair(Path lm, Path mmproj) {}

    /**
     * Writes a language model.
     *
     * @param vocabFile a GGUF whose {@code tokenizer.*} keys are copied (its token count is the
     *     vocabulary size)
     * @throws io.llava4j.Llava4jException if reading or writing fails
     */
    public static Path writeLm(LmSpec spec, Path vocabFile, Path out) {
        LmWriter.write(spec, vocabFile, out);
        return out;
    }

    /** Writes an mmproj; see {@link ClipSpec} for the flavours. */
    public static Path writeMmproj(ClipSpec spec, Path out) {
        MmprojWriter.write(spec, out);
        return out;
    }

    /** Writes {@code dir/lm.gguf} and {@code dir/mmproj.gguf} with the given specs. */
    public static Pair writePair(LmSpec lm, Path vocabFile, ClipSpec clip, Path dir) {
        if (clip.lmWidth() != lm.nEmbd()) {
            throw new IllegalArgumentException("mmproj output width " + clip.lmWidth() + " != LM width " + lm.nEmbd());
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Pair(writeLm(lm, vocabFile, dir.resolve("lm.gguf")), writeMmproj(clip, dir.resolve("mmproj.gguf")));
    }

    /** Where {@link #writePairOnce} gets the tokenizer file: written into {@code tmp}, or found elsewhere. */
    @FunctionalInterface
    public interface VocabSource {
        Path vocabFile(Path tmp) throws IOException;
    }

    /**
     * The pair in {@code dir} ({@code lm.gguf}, {@code mmproj.gguf}), written first if it is not
     * there: into a temporary folder beside it, renamed into place whole, so that a reader never
     * sees half a pair and two processes writing at once leave one complete pair.
     *
     * @param what names the pair in errors
     * @throws Llava4jException {@code IO} if it cannot be written, or {@code dir} holds something else
     */
    public static Pair writePairOnce(Path dir, LmSpec lm, VocabSource vocab, ClipSpec clip, String what) {
        Pair files = new Pair(dir.resolve("lm.gguf"), dir.resolve("mmproj.gguf"));
        if (Files.isRegularFile(files.lm()) && Files.isRegularFile(files.mmproj())) {
            return files;
        }
        Path tmp = null;
        try {
            Files.createDirectories(dir.getParent());
            tmp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".tmp");
            Path scratch = Files.createDirectory(tmp.resolve("vocab"));
            writePair(lm, vocab.vocabFile(scratch), clip, tmp);
            deleteTree(scratch);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir);
            }
            tmp = null;
        } catch (FileAlreadyExistsException e) {
            // another process finished first; its pair is complete (it was renamed into place whole)
        } catch (IOException | UncheckedIOException e) {
            throw new Llava4jException(Code.IO, "cannot write the " + what + " into " + dir + ": " + e.getMessage(), e);
        } finally {
            deleteTree(tmp);
        }
        if (!Files.isRegularFile(files.lm()) || !Files.isRegularFile(files.mmproj())) {
            throw new Llava4jException(
                    Code.IO, dir + " exists but does not hold lm.gguf and mmproj.gguf: delete it and run again");
        }
        return files;
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary folder is harmless; the next run makes its own
        }
    }
}
