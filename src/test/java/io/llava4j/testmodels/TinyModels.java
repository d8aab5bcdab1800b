package io.llava4j.testmodels;

import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.synthetic.SyntheticModels;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * The random-weight LLaVA pairs of the tests and benchmarks ({@link SyntheticModels}), with
 * vocabularies from the llama.cpp tree ({@link LlamaCppTree}). Command line:
 * {@code TinyModels OUT_DIR [SEED] [tiny|qwen2|7b]} writes {@code lm.gguf} and {@code mmproj.gguf}.
 */
public final class TinyModels {
    private TinyModels() {}

    /** A language model and its mmproj. */
    public record Pair(Path lm, Path mmproj) {}

    private static Pair of(SyntheticModels.Pair p) {
        return new Pair(p.lm(), p.mmproj());
    }

    /**
     * Writes a language model.
     *
     * @throws io.llava4j.Llava4jException if writing fails; IllegalStateException if the llama.cpp
     *     tree with the vocabulary files cannot be found
     */
    public static Path writeLm(LmSpec spec, Path out) {
        return SyntheticModels.writeLm(spec, LlamaCppTree.vocab(spec.vocab()), out);
    }

    /** Writes an mmproj; see {@link ClipSpec} for the flavours. */
    public static Path writeMmproj(ClipSpec spec, Path out) {
        return SyntheticModels.writeMmproj(spec, out);
    }

    /** Writes {@code dir/lm.gguf} and {@code dir/mmproj.gguf} with the given specs. */
    public static Pair writePair(LmSpec lm, ClipSpec clip, Path dir) {
        return of(SyntheticModels.writePair(lm, LlamaCppTree.vocab(lm.vocab()), clip, dir));
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
        ClipSpec clip = ClipSpec.tiny(lm.nEmbd())
                .withLegacy(false)
                .withFeatureLayer(true)
                .withAnyres(true)
                .withSeed(seed + 1);
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
        System.out.printf(
                Locale.ROOT, "wrote %s and %s in %.1f s%n", p.lm(), p.mmproj(), (System.nanoTime() - t0) / 1e9);
    }
}
