package io.llava4j.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.gguf.GgmlType;
import io.llava4j.nativeio.bindings.LlamaLib;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** Type names, llama.cpp's ftype numbers, and reading llama_model_quantize's log lines. */
class QuantTypeTest {
    @Test
    void parsesNamesIgnoringCaseAndListsTheValidOnesOtherwise() {
        assertSame(QuantType.Q4_K_M, QuantType.parse("q4_k_m"));
        assertSame(QuantType.F16, QuantType.parse(" F16 "));
        Llava4jException e = assertThrows(Llava4jException.class, () -> QuantType.parse("q3_k"));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("Q4_0, Q4_K_M, Q5_0, Q5_K_M, Q8_0, F16"), e.getMessage());
    }

    /** Guards the hand-copied numbers against the llama.h the binding was generated from. */
    @Test
    void ftypesMatchLlamaH() {
        assertEquals(LlamaLib.LLAMA_FTYPE_MOSTLY_Q4_0, QuantType.Q4_0.ftype());
        assertEquals(LlamaLib.LLAMA_FTYPE_MOSTLY_Q4_K_M, QuantType.Q4_K_M.ftype());
        assertEquals(LlamaLib.LLAMA_FTYPE_MOSTLY_Q5_0, QuantType.Q5_0.ftype());
        assertEquals(LlamaLib.LLAMA_FTYPE_MOSTLY_Q5_K_M, QuantType.Q5_K_M.ftype());
        assertEquals(LlamaLib.LLAMA_FTYPE_MOSTLY_Q8_0, QuantType.Q8_0.ftype());
        assertEquals(LlamaLib.LLAMA_FTYPE_MOSTLY_F16, QuantType.F16.ftype());
        assertEquals(GgmlType.Q5_K, QuantType.Q5_K_M.mainType());
    }

    /** Lines as src/llama-quant.cpp prints them at the pinned commit. */
    @Test
    void readsProgressFallbacksAndFailureReasonsFromTheLog() {
        List<String> progress = new ArrayList<>();
        QuantizeLog log = new QuantizeLog((done, total, tensor) -> progress.add(done + "/" + total + " " + tensor));
        log.accept(
                Level.WARN,
                "warning: mm.0.weight                          - ncols     32 not divisible by 256"
                        + " (required for type    q4_K) -> falling back to    q5_0");
        log.accept(
                Level.WARN,
                "warning: v.blk.0.ffn_down.weight              - ncols     30 not divisible by 256"
                        + " (required for type    q6_K) (WARNING: must use F16 due to unusual shape) -> falling back to     f16");
        log.accept(
                Level.INFO,
                "[   2/  41] mm.0.weight                          - [    32,     64,      1,      1],"
                        + " type =    f32, converting to q5_0 .. size =     0.01 MiB ->     0.00 MiB");
        log.accept(Level.INFO, "llama_model_quantize_impl: model size  =     0.23 MiB (27.64 BPW)");
        log.accept(Level.ERROR, "llama_model_quantize: failed to quantize: unknown model architecture: 'nosuch'");

        assertEquals(List.of("2/41 mm.0.weight"), progress);
        assertEquals(
                List.of(
                        new Fallback("mm.0.weight", 32, "q4_K", "q5_0"),
                        new Fallback("v.blk.0.ffn_down.weight", 30, "q6_K", "f16")),
                log.fallbacks());
        assertEquals("unknown model architecture: 'nosuch'", log.failureReason());
        assertEquals(2, log.done());
        assertEquals(41, log.total());
    }

    @Test
    void aThrowingListenerDoesNotStopTheLog() {
        QuantizeLog log = new QuantizeLog((done, total, tensor) -> {
            throw new IllegalStateException("listener bug");
        });
        log.accept(Level.INFO, "[   1/   2] a.weight - [4, 4], type = f32, size = 0.000 MiB");
        assertEquals(1, log.done());
    }
}
