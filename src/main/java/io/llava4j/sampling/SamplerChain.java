package io.llava4j.sampling;

import io.llava4j.Llava4jException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The {@link Sampler} behind {@link Sampler#create}: penalties, then top-k, top-p, min-p and
 * temperature as {@link SamplerStage}s, then a {@link Draw} (or the argmax when the temperature is
 * 0). Disabled stages are not built, so each token pays only for the stages in use.
 *
 * <p>Cost per token: greedy and top-k are one pass over the logits buffer (top-k above 128: two);
 * min-p without top-k one pass; top-p without top-k, or plain temperature sampling, a few passes and
 * one exponential per token, still without sorting the vocabulary. All scratch space (about 20
 * bytes per vocabulary entry, 3 MB for 152064) is allocated here, once.
 *
 * <p>Not thread-safe. Holds no native resources and needs no closing.
 */
final class SamplerChain implements Sampler {
    private final SamplerConfig config;
    private final int vocabSize;
    private final PenaltyStage penalties;
    private final SamplerStage[] stages;
    private final Candidates candidates;
    private final Draw draw;
    /** Whether {@link #rng} was created here from the seed (and may be re-seeded by {@link #reset}). */
    private final boolean ownsRng;

    private RandomGenerator rng;
    /** Lazily made copy target for read-only buffers when penalties must write. */
    private FloatBuffer writableCopy;

    /**
     * @param config the settings
     * @param vocabSize number of logits per position
     * @param rng the random source, or null to create one from {@link SamplerConfig#seed()}
     * @throws Llava4jException INVALID_ARGUMENT if {@code vocabSize <= 0}
     */
    SamplerChain(SamplerConfig config, int vocabSize, RandomGenerator rng) {
        this.config = Objects.requireNonNull(config, "config");
        if (vocabSize <= 0) {
            throw new Llava4jException(
                    Llava4jException.Code.INVALID_ARGUMENT, "sampler vocabSize must be > 0, got " + vocabSize);
        }
        this.vocabSize = vocabSize;
        this.penalties = config.hasPenalties()
                ? new PenaltyStage(
                        config.penaltyWindow(),
                        (float) config.repeatPenalty(),
                        (float) config.frequencyPenalty(),
                        (float) config.presencePenalty(),
                        vocabSize)
                : null;
        this.ownsRng = rng == null;
        this.rng = ownsRng ? new SplittableRandom(config.seed()) : rng;
        if (config.isGreedy()) {
            // top-k, top-p and min-p all keep the most likely token, so greedy ignores them.
            this.stages = new SamplerStage[0];
            this.candidates = null;
            this.draw = null;
        } else {
            this.stages = buildStages(config);
            this.candidates = new Candidates(vocabSize);
            this.draw = new Draw(vocabSize);
        }
    }

    private static SamplerStage[] buildStages(SamplerConfig config) {
        List<SamplerStage> list = new ArrayList<>(4);
        if (config.topK() > 0) {
            list.add(new TopKStage(config.topK()));
        }
        if (config.topP() < 1) {
            list.add(new TopPStage((float) config.topP()));
        }
        if (config.minP() > 0) {
            list.add(new MinPStage((float) config.minP()));
        }
        list.add(new TemperatureStage((float) config.temperature()));
        return list.toArray(new SamplerStage[0]);
    }

    @Override
    public int sample(FloatBuffer logits) {
        if (logits.remaining() != vocabSize) {
            throw new Llava4jException(
                    Llava4jException.Code.INVALID_ARGUMENT,
                    "logits must hold vocabSize=" + vocabSize + " floats, got " + logits.remaining());
        }
        FloatBuffer src = logits;
        int base = logits.position();
        boolean penalise = penalties != null && penalties.distinctCount() > 0;
        if (penalise && logits.isReadOnly()) {
            if (writableCopy == null) {
                writableCopy = FloatBuffer.allocate(vocabSize);
            }
            writableCopy.put(0, logits, base, vocabSize);
            src = writableCopy;
            base = 0;
        }
        if (penalise) {
            penalties.apply(src, base);
        }
        try {
            if (draw == null) {
                return LogitScan.argmax(src, base, vocabSize);
            }
            candidates.load(src, base);
            for (SamplerStage stage : stages) {
                stage.apply(candidates);
            }
            return draw.draw(candidates, rng);
        } finally {
            if (candidates != null) {
                candidates.source = null; // keep no reference to a buffer that is only valid until the next decode
            }
            if (penalise) {
                penalties.restore(src, base);
            }
        }
    }

    @Override
    public void accept(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new Llava4jException(
                    Llava4jException.Code.INVALID_ARGUMENT, "token must be in [0, " + vocabSize + "), got " + token);
        }
        if (penalties != null) {
            penalties.accept(token);
        }
    }

    @Override
    public void reset() {
        if (penalties != null) {
            penalties.reset();
        }
        if (ownsRng) {
            rng = new SplittableRandom(config.seed());
        }
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public String toString() {
        return "SamplerChain" + config;
    }
}
