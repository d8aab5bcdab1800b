package io.llava4j.sampling;

import io.llava4j.Llava4jException;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Picks the next token from the logits of the last decoded position.
 *
 * <p>The generation loop calls {@link #sample}, then {@link #accept} with the token it keeps (the
 * sampled one, or a forced one), so that penalties see the history. {@code sample} does not record
 * anything by itself. Prompt tokens may be accepted too, to penalise repeating the prompt.
 *
 * <p>Implementations preallocate their scratch space for the vocabulary once; {@code sample} and
 * {@code accept} allocate nothing ({@code reset} may). They are not thread-safe: use one sampler
 * per generation at a time.
 */
public interface Sampler {

    /**
     * Chooses a token.
     *
     * <p>The logit of token {@code i} is {@code logits.get(logits.position() + i)}, and
     * {@code logits.remaining()} must equal {@link #vocabSize()}. The buffer is typically a direct
     * view of llama.cpp's logits. A writable buffer may be modified during the call (penalties are
     * applied in place) but holds its original values again when the call returns; a read-only
     * buffer is copied into a scratch buffer (allocated on first need) when penalties apply.
     * Position, limit and mark are left alone. Logits should be finite or {@code -infinity}; a NaN
     * logit is never chosen while some logit is finite. If every logit is {@code -infinity} (or
     * NaN), token 0 is returned.
     *
     * @param logits the logits of one position; not retained after the call
     * @return a token id in {@code [0, vocabSize())}
     * @throws Llava4jException {@link Llava4jException.Code#INVALID_ARGUMENT} if
     *     {@code logits.remaining() != vocabSize()}
     * @throws NullPointerException if {@code logits} is null
     */
    int sample(FloatBuffer logits);

    /**
     * Records a token that became part of the sequence (for the penalties' window).
     *
     * @param token a token id in {@code [0, vocabSize())}
     * @throws Llava4jException {@link Llava4jException.Code#INVALID_ARGUMENT} if out of range
     */
    void accept(int token);

    /**
     * Forgets the accepted history. A sampler made by {@link #create(SamplerConfig, int)} also
     * rewinds its random generator to the seed, so it then repeats its first sequence; a generator
     * passed in by the caller is left as it is.
     */
    void reset();

    /** Number of logits {@link #sample} expects. */
    int vocabSize();

    /**
     * The greedy choice: the index of the largest logit in the buffer's {@code [0, limit)}, ties
     * to the lowest index, as llama.cpp's greedy sampler. Reads in place, allocates nothing.
     */
    static int argmax(FloatBuffer logits) {
        return LogitScan.argmax(logits, 0, logits.limit());
    }

    /**
     * A sampler for {@code config} that draws from a {@link SplittableRandom} seeded with
     * {@link SamplerConfig#seed()}; the same seed gives the same tokens for the same logits.
     *
     * @param config the settings
     * @param vocabSize number of logits per position, {@code > 0}
     * @throws Llava4jException {@link Llava4jException.Code#INVALID_ARGUMENT} if {@code vocabSize <= 0}
     */
    static Sampler create(SamplerConfig config, int vocabSize) {
        return new SamplerChain(config, vocabSize, null);
    }

    /**
     * A sampler for {@code config} that draws from {@code rng} (one {@code nextDouble()} per
     * sampled token unless greedy). {@link SamplerConfig#seed()} is ignored; the caller owns the
     * generator and must not share it with another thread while sampling.
     *
     * @param config the settings
     * @param vocabSize number of logits per position, {@code > 0}
     * @param rng the random source
     * @throws Llava4jException {@link Llava4jException.Code#INVALID_ARGUMENT} if {@code vocabSize <= 0}
     */
    static Sampler create(SamplerConfig config, int vocabSize, RandomGenerator rng) {
        java.util.Objects.requireNonNull(rng, "rng");
        return new SamplerChain(config, vocabSize, rng);
    }
}
