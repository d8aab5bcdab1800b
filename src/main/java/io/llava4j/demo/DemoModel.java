package io.llava4j.demo;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.image.ImageLoader;
import io.llava4j.image.RgbImage;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.synthetic.SyntheticModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The built-in demo: a tiny LLaVA-1.5-shaped model pair with <b>random weights</b> (a LLaMA
 * language model with the real LLaVA-1.5 tokenizer, a legacy-layout CLIP mmproj at 336 px) and a
 * bundled picture, so that {@code llava4j run} shows the whole pipeline (image decoding,
 * preprocessing, CLIP encoding, prompt assembly, generation) on a fresh machine without any
 * download. Its answers are gibberish: the weights were never trained.
 *
 * <p>The pair (about 17 MB) is written once into {@code <cache>/demo/<version>/} and reused (see
 * {@link #defaultCache()}). Writing goes to a temporary folder
 * renamed into place, so concurrent first runs and interrupted ones never leave a half-written pair.
 */
public final class DemoModel {
    /** Bumped whenever the spec or the writers change what is written. */
    public static final String VERSION = "llava15-tiny-v1";

    static final String VOCAB_RESOURCE = "ggml-vocab-llama-spm.gguf";
    public static final String IMAGE_RESOURCE = "demo.png";
    private static final long SEED = 1;

    private DemoModel() {}

    /** The spec of the demo language model. */
    public static LmSpec lmSpec() {
        return LmSpec.tinyLlama().withSeed(SEED);
    }

    /** The spec of the demo mmproj. */
    public static ClipSpec clipSpec() {
        return ClipSpec.tiny(lmSpec().nEmbd()).withSeed(SEED + 1);
    }

    /**
     * The default cache folder: the system property {@code llava4j.cache}, else {@code $LLAVA4J_CACHE},
     * else {@code ~/.cache/llava4j}.
     */
    public static Path defaultCache() {
        String prop = System.getProperty("llava4j.cache");
        if (prop != null && !prop.isBlank()) {
            return Paths.get(prop);
        }
        String env = System.getenv("LLAVA4J_CACHE");
        return env != null && !env.isBlank()
                ? Paths.get(env)
                : Paths.get(System.getProperty("user.home"), ".cache", "llava4j");
    }

    /**
     * Returns the demo pair under {@code cache}, writing it first if it is not there yet.
     *
     * @throws Llava4jException {@code IO} if the folder cannot be written or the bundled tokenizer
     *     is missing from this build
     */
    public static SyntheticModels.Pair ensure(Path cache) {
        return SyntheticModels.writePairOnce(
                cache.resolve("demo").resolve(VERSION),
                lmSpec(),
                tmp -> {
                    Path vocab = tmp.resolve(VOCAB_RESOURCE);
                    try (InputStream in = resource(VOCAB_RESOURCE)) {
                        Files.copy(in, vocab);
                    }
                    return vocab;
                },
                clipSpec(),
                "demo model");
    }

    /** The bundled demo picture (640x427: a house, a tree and the sun). */
    public static RgbImage image() {
        try (InputStream in = resource(IMAGE_RESOURCE)) {
            return new ImageLoader().decode(in.readAllBytes(), IMAGE_RESOURCE);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot read the bundled " + IMAGE_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = DemoModel.class.getResourceAsStream(name);
        if (in == null) {
            throw new Llava4jException(
                    Code.IO,
                    "this build lacks the bundled demo resource io/llava4j/demo/" + name
                            + " (it is copied from the llama.cpp tree by the Maven build)");
        }
        return in;
    }
}
