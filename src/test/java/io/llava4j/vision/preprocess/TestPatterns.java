package io.llava4j.vision.preprocess;

import io.llava4j.image.RgbImage;

/**
 * The deterministic test images of {@code src/test/python/pil_inputs.py} {@code pattern(w, h,
 * seed)}, byte for byte: a colour gradient, +-32 hash noise, and every fifth 8x8 cell hard black or
 * white (sharp edges make bicubic overshoot, exercising the 8-bit clamps).
 */
final class TestPatterns {
    private TestPatterns() {}

    static RgbImage pattern(int w, int h, int seed) {
        byte[] out = new byte[w * h * 3];
        long seedMix = (seed * 2654435761L) & 0xFFFFFFFFL;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    long hsh = ((x * 73856093L) ^ (y * 19349663L) ^ (c * 83492791L) ^ seedMix) & 0xFFFFFFFFL;
                    hsh = (hsh * 2246822519L) & 0xFFFFFFFFL;
                    hsh ^= hsh >>> 13;
                    int grad =
                            ((x * 255) / Math.max(w - 1, 1) * (c + 1) + (y * 255) / Math.max(h - 1, 1) * (3 - c)) / 4;
                    int v = Math.max(0, Math.min(255, grad + (int) (hsh & 63) - 32));
                    if (((x / 8 + y / 8 + seed) % 5) == 0) {
                        v = (x / 8) % 2 == 1 ? 255 : 0;
                    }
                    out[(y * w + x) * 3 + c] = (byte) v;
                }
            }
        }
        return new RgbImage(w, h, out);
    }
}
