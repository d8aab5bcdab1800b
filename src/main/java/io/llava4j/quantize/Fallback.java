package io.llava4j.quantize;

/**
 * A matrix that llama.cpp could not store in the type it chose, because its row length is not a
 * multiple of that type's block size (256 for K-quants, 32 for the others), and the type it used
 * instead ({@code tensor_type_fallback} in src/llama-quant.cpp: Q4_K becomes Q5_0, Q5_K becomes Q5_1,
 * Q6_K becomes Q8_0, and F16 when even 32 does not divide the row).
 *
 * @param tensor tensor name
 * @param columns row length ({@code ne[0]})
 * @param wanted the type chosen first, as ggml names it ({@code q4_K})
 * @param used the type written ({@code q5_0})
 */
public record Fallback(String tensor, long columns, String wanted, String used) {
    @Override
    public String toString() {
        return tensor + " (" + columns + " columns): " + wanted + " -> " + used;
    }
}
