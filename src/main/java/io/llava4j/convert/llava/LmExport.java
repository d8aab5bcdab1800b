package io.llava4j.convert.llava;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.checkpoint.CheckpointTensor;
import io.llava4j.convert.tokenizer.TokenizerExport;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.gguf.LmSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the language model GGUF of a {@link SourceModel}: the header of {@link LmSchema} (the keys
 * {@code TextModel} / {@code LlamaModel} / {@code Qwen2Model.set_gguf_parameters} write), the
 * tokenizer, and every language-model tensor under its {@link LmSchema} name. Matrices get the output type, vectors stay f32
 * ({@code n_dims <= 1} or a norm, as {@code ModelBase.prepare_tensors} decides); LLaMA's q/k
 * weights are permuted for llama.cpp's rope ({@code LlamaModel.modify_tensors}); Qwen2 uses
 * NeoX-style rope and needs no permutation.
 */
final class LmExport {
    private LmExport() {}

    /** A planned GGUF tensor. */
    record Planned(
            String name, CheckpointTensor src, boolean transpose, int permuteHeads, GgmlType type, long[] dims) {}

    /**
     * Plans and writes {@code out}.
     *
     * @return the number of tensors written
     * @throws CheckpointException on an unknown tensor name, a missing tensor or a shape that does
     *     not match the config
     */
    static int write(
            SourceModel m, TokenizerExport tokenizer, GgmlType matrixType, int fileType, String name, Path out) {
        List<Planned> plan = plan(m, matrixType);
        TextParams t = m.text;
        CheckpointTensor embd = m.tensors.get("model.embed_tokens.weight").tensor();
        long nVocab = embd.dim(0);
        GgufWriter w = LmSchema.newWriter(new LmSchema.Header(
                t.arch(),
                name,
                null,
                fileType,
                t.nCtx(),
                t.nEmbd(),
                t.nLayer(),
                t.nFf(),
                t.nHead(),
                t.nHeadKv(),
                t.rmsEps(),
                t.ropeTheta(),
                nVocab));
        if (tokenizer.tokens().size() != nVocab) {
            throw new CheckpointException(
                    m.dir,
                    "the tokenizer has " + tokenizer.tokens().size() + " tokens, the embedding " + nVocab + " rows");
        }
        tokenizer.writeTo(w);
        for (Planned p : plan) {
            w.addTensor(
                    p.name(),
                    p.type(),
                    p.dims(),
                    TensorEncoding.source(p.src(), p.transpose(), p.permuteHeads(), p.type()));
        }
        w.write(out);
        return plan.size();
    }

    static List<Planned> plan(SourceModel m, GgmlType matrixType) {
        TextParams t = m.text;
        List<Planned> plan = new ArrayList<>();
        for (Map.Entry<String, SourceModel.Source> e : m.tensors.entrySet()) {
            String c = e.getKey();
            if (c.startsWith("vision:") || c.startsWith("mm:") || c.equals("newline")) {
                continue;
            }
            String gguf = TensorNames.lm(c)
                    .orElseThrow(() -> new CheckpointException(
                            e.getValue().tensor().file(),
                            "tensor '" + e.getValue().tensor().name() + "' is not part of a " + t.arch()
                                    + " language model"));
            int block = TensorNames.block(gguf);
            if (block >= t.nLayer()) {
                throw new CheckpointException(
                        m.dir,
                        "tensor '" + e.getValue().tensor().name() + "' is in block " + block
                                + ", but num_hidden_layers is " + t.nLayer());
            }
            CheckpointTensor src = e.getValue().tensor();
            boolean transpose = e.getValue().transposed() && src.rank() == 2 && !c.equals("model.embed_tokens.weight");
            long[] shape = src.shape();
            if (transpose) {
                shape = new long[] {shape[1], shape[0]};
            }
            int permute = 0;
            if (t.arch().equals(LmSchema.LLAMA) && gguf.endsWith("attn_q.weight")) {
                permute = t.nHead();
            } else if (t.arch().equals(LmSchema.LLAMA) && gguf.endsWith("attn_k.weight")) {
                permute = t.nHeadKv();
            }
            checkShape(m, src, gguf, shape, t);
            plan.add(new Planned(gguf, src, transpose, permute, typeFor(gguf, shape, matrixType), reverse(shape)));
        }
        for (String required :
                new String[] {LmSchema.TOKEN_EMBD, LmSchema.OUTPUT_NORM, LmSchema.Block.ATTN_Q.weight(0)}) {
            if (plan.stream().noneMatch(p -> p.name().equals(required))) {
                throw new CheckpointException(m.dir, "no tensor for " + required + " in the language model");
            }
        }
        return plan;
    }

    /** F32 for vectors and norms; the output type for matrices (f16 where a q8_0 row is not whole blocks). */
    static GgmlType typeFor(String gguf, long[] shape, GgmlType matrixType) {
        if (shape.length <= 1 || gguf.endsWith("_norm.weight")) {
            return GgmlType.F32;
        }
        if (matrixType == GgmlType.Q8_0 && shape[shape.length - 1] % 32 != 0) {
            return GgmlType.F16;
        }
        return matrixType;
    }

    private static void checkShape(SourceModel m, CheckpointTensor src, String gguf, long[] shape, TextParams t) {
        long expectedIn = -1;
        long expectedOut = -1;
        int kv = t.nHeadKv() * t.headDim();
        if (gguf.endsWith("attn_q.weight") || gguf.endsWith("attn_output.weight")) {
            expectedOut = t.nEmbd();
            expectedIn = t.nEmbd();
        } else if (gguf.endsWith("attn_k.weight") || gguf.endsWith("attn_v.weight")) {
            expectedOut = kv;
            expectedIn = t.nEmbd();
        } else if (gguf.endsWith("ffn_gate.weight") || gguf.endsWith("ffn_up.weight")) {
            expectedOut = t.nFf();
            expectedIn = t.nEmbd();
        } else if (gguf.endsWith("ffn_down.weight")) {
            expectedOut = t.nEmbd();
            expectedIn = t.nFf();
        } else if (gguf.equals(LmSchema.TOKEN_EMBD) || gguf.equals(LmSchema.OUTPUT)) {
            expectedIn = t.nEmbd();
        }
        boolean ok = expectedIn < 0
                || (shape.length == 2 && shape[1] == expectedIn && (expectedOut < 0 || shape[0] == expectedOut));
        if (!ok) {
            throw new CheckpointException(
                    src.file(),
                    "tensor '" + src.name() + "' has shape " + java.util.Arrays.toString(shape)
                            + ", the config (hidden_size " + t.nEmbd() + ", heads " + t.nHead() + "/" + t.nHeadKv()
                            + ", intermediate_size "
                            + t.nFf() + ") needs [" + (expectedOut < 0 ? "n" : expectedOut) + ", " + expectedIn + "]");
        }
    }

    static long[] reverse(long[] shape) {
        long[] d = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            d[i] = shape[shape.length - 1 - i];
        }
        return d;
    }
}
