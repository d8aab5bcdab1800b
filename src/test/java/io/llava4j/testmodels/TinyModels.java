package io.llava4j.testmodels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Writes deterministic random-weight LLaVA model pairs (language model + mmproj) that the pinned
 * llama.cpp loads, for tests and benchmarks. Same spec and seed give the same bytes on every run
 * and platform.
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
 * token (see {@link LmSpec#tinyQwen2()}). The texts are gibberish, of course.
 *
 * <p>Tokenizers are real: all {@code tokenizer.*} keys are copied from the llama.cpp tree's
 * {@code models/ggml-vocab-*.gguf} (found by {@link LlamaCppTree}), so tokenisation matches the real
 * LLaVA-1.5 (llama-spm, 32000) and LLaVA-NeXT-Interleave-Qwen (qwen2, 151936) models.
 *
 * <p>Shapes are parameters ({@link LmSpec}, {@link ClipSpec}) with tiny defaults; real shapes such
 * as {@link LmSpec#llama2x7b()} are streamed to disk in F16 without holding the model in memory
 * (the LLaVA-1.5-7B-shaped pair, 13.5 GB + 0.6 GB, took 114 s with {@code -Xmx256m} on 2 cores).
 * Command line: {@code TinyModels OUT_DIR [SEED] [tiny|qwen2|7b]} writes {@code lm.gguf} and
 * {@code mmproj.gguf}.
 */
public final class TinyModels {
    private TinyModels() {}

    /** A language model and its mmproj. */
    public record Pair(Path lm, Path mmproj) {}

    /**
     * Writes a language model.
     *
     * @throws io.llava4j.Llava4jException if writing fails; IllegalStateException if the llama.cpp
     *     tree with the vocabulary files cannot be found
     */
    public static Path writeLm(LmSpec spec, Path out) {
        LmWriter.write(spec, out);
        return out;
    }

    /** Writes an mmproj; see {@link ClipSpec} for the flavours. */
    public static Path writeMmproj(ClipSpec spec, Path out) {
        MmprojWriter.write(spec, out);
        return out;
    }

    /** Writes {@code dir/lm.gguf} and {@code dir/mmproj.gguf} with the given specs. */
    public static Pair writePair(LmSpec lm, ClipSpec clip, Path dir) {
        if (clip.lmWidth() != lm.nEmbd()) {
            throw new IllegalArgumentException("mmproj output width " + clip.lmWidth() + " != LM width " + lm.nEmbd());
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Pair(writeLm(lm, dir.resolve("lm.gguf")), writeMmproj(clip, dir.resolve("mmproj.gguf")));
    }

    /** Tiny LLaVA-1.5: {@link LmSpec#tinyLlama()} + legacy {@link ClipSpec#tiny} at 336 px (about 17 MB). */
    public static Pair llava15(Path dir, long seed) {
        LmSpec lm = LmSpec.tinyLlama().withSeed(seed);
        return writePair(lm, ClipSpec.tiny(lm.nEmbd()).withSeed(seed + 1), dir);
    }

    /**
     * Tiny LLaVA-NeXT (1.6) on Qwen2: {@link LmSpec#tinyQwen2()} + a full-layout anyres mmproj with
     * {@code feature_layer} and {@code v.image_newline}, at 336 px.
     */
    public static Pair llavaNextQwen2(Path dir, long seed) {
        LmSpec lm = LmSpec.tinyQwen2().withSeed(seed);
        ClipSpec clip = ClipSpec.tiny(lm.nEmbd()).withLegacy(false).withFeatureLayer(true).withAnyres(true).withSeed(seed + 1);
        return writePair(lm, clip, dir);
    }

    /** LLaVA-1.5-7B shapes (LLaMA-2-7B + CLIP-L/336), F16 random weights: about 14 GB, for benchmarks. */
    public static Pair llava15x7b(Path dir, long seed) {
        LmSpec lm = LmSpec.llama2x7b().withSeed(seed);
        return writePair(lm, ClipSpec.clipL336(lm.nEmbd()).withSeed(seed + 1), dir);
    }

    /** {@code TinyModels OUT_DIR [SEED] [tiny|qwen2|7b]}. */
    public static void main(String[] args) {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: TinyModels OUT_DIR [SEED] [tiny|qwen2|7b]");
            System.exit(2);
        }
        Path dir = Paths.get(args[0]);
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        String kind = args.length > 2 ? args[2] : "tiny";
        long t0 = System.nanoTime();
        Pair p = switch (kind) {
            case "tiny" -> llava15(dir, seed);
            case "qwen2" -> llavaNextQwen2(dir, seed);
            case "7b" -> llava15x7b(dir, seed);
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        };
        System.out.printf("wrote %s and %s in %.1f s%n", p.lm(), p.mmproj(), (System.nanoTime() - t0) / 1e9);
    }
}
