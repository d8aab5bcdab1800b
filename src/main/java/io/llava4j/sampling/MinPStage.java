package io.llava4j.sampling;

/**
 * Min-p filter (llama.cpp {@code llama_sampler_min_p} with {@code min_keep = 1}): keeps the tokens
 * whose probability is at least {@code p} times that of the most likely one, i.e. whose logit is
 * at least {@code max + ln p} (with {@code ln p} multiplied by the temperature if one was applied
 * earlier, which llama.cpp's order never does). The threshold is computed in float as llama.cpp
 * does. The most likely token always survives.
 *
 * <p>On the full vocabulary this is the cheap pre-filter: a single pass collects the survivors
 * (usually a handful) against a threshold that follows the running maximum
 * ({@link LogitScan#collectNearMax}); no exponentials and no sort.
 */
final class MinPStage implements SamplerStage {
    private final float logP;

    /** @param p in {@code (0, 1]} */
    MinPStage(float p) {
        if (!(p > 0 && p <= 1)) {
            throw new IllegalArgumentException("min-p must be in (0, 1]: " + p);
        }
        this.logP = (float) Math.log(p);
    }

    @Override
    public void apply(Candidates c) {
        if (c.full) {
            c.size = LogitScan.collectNearMax(c.source, c.base, c.vocabSize, logP / c.scale, c.ids, c.logits);
            c.full = false;
            c.sorted = false;
            return;
        }
        float max = c.maxLogit();
        if (max == Float.NEGATIVE_INFINITY) {
            return; // nothing to compare against (all -inf or NaN): leave the set as it is
        }
        float threshold = max + logP / c.scale;
        if (c.sorted) {
            int keep = 1;
            while (keep < c.size && c.logits[keep] >= threshold) {
                keep++;
            }
            c.size = keep;
            return;
        }
        int kept = 0;
        for (int i = 0; i < c.size; i++) {
            float v = c.logits[i];
            if (v >= threshold) {
                c.ids[kept] = c.ids[i];
                c.logits[kept] = v;
                kept++;
            }
        }
        c.size = kept;
    }
}
