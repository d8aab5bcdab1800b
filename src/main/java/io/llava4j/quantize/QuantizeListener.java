package io.llava4j.quantize;

/**
 * Progress of one quantization. Called on the thread that runs {@link Quantizer#quantize}, from
 * inside the native call, once per tensor after it is written; implementations must be quick and
 * must not throw (an exception is ignored).
 */
@FunctionalInterface
public interface QuantizeListener {
    /** Does nothing. */
    QuantizeListener NONE = (done, total, tensor) -> {};

    /**
     * @param done tensors written so far, 1-based
     * @param total tensors in the file
     * @param tensor the name of the tensor just written
     */
    void tensorDone(int done, int total, String tensor);
}
