package io.llava4j.synthetic;

import io.llava4j.gguf.ClipKeys;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.gguf.MmprojSchema;
import java.nio.file.Path;

/**
 * Writes a random-weight LLaVA mmproj ({@code general.architecture = clip}, projector {@code mlp},
 * CLIP or SigLIP tower) that the pinned llama.cpp's {@code clip_init} loads. Keys, their types and
 * tensor names are {@link MmprojSchema}'s (shared with the converter); tensor shapes follow
 * {@code clip_model_loader::load_tensors} in tools/mtmd/clip.cpp and the graph in
 * tools/mtmd/models/llava.cpp; the legacy layout mirrors
 * tools/mtmd/legacy-models/convert_image_encoder_to_gguf.py.
 */
final class MmprojWriter {
    private MmprojWriter() {}

    static void write(ClipSpec s, Path out) {
        long seed = s.seed();
        GgmlType t2 = s.weightType();
        MmprojSchema.Layout layout = s.layout();
        int blocks = s.blocksWritten();
        GgufWriter w = MmprojSchema.newWriter(new MmprojSchema.Header(
                layout,
                "llava4j tiny clip mmproj (random weights, seed " + seed + ")",
                "image encoder for LLaVA; random weights (no trained knowledge), written by llava4j's io.llava4j.synthetic ("
                        + (s.siglip() ? "SigLIP tower, " : "") + (s.legacy() ? "legacy" : "full") + " layout)",
                t2 == GgmlType.F16 ? 1 : 0,
                s.imageSize(),
                s.patchSize(),
                s.nEmbd(),
                s.nFf(),
                blocks,
                s.nHead(),
                s.layerNormEps(),
                // legacy: CLIP's own projection width (768 = 3/4 of 1024 for ViT-L), NOT the LM width
                s.legacy() ? s.nEmbd() * 3 / 4 : s.lmWidth(),
                s.imageMean(),
                s.imageStd(),
                s.siglip(),
                s.featureLayer() ? new int[] {s.nLayer() - 1} : null, // -2 made non-negative: n + (-2) + 1
                s.anyres() ? ClipKeys.MERGE_SPATIAL_UNPAD : null,
                s.anyres() ? s.gridPinpoints() : null,
                null));

        long e = s.nEmbd();
        long lm = s.lmWidth();
        // the projector first, as the legacy converter writes it (mm.0 = linear_1, mm.2 = linear_2)
        LmWriter.matrix(w, seed, MmprojSchema.projector(0, "weight"), t2, e, lm);
        LmWriter.vector(w, seed, MmprojSchema.projector(0, "bias"), lm, 0f);
        LmWriter.matrix(w, seed, MmprojSchema.projector(2, "weight"), t2, lm, lm);
        LmWriter.vector(w, seed, MmprojSchema.projector(2, "bias"), lm, 0f);
        if (s.anyres()) { // llava_surgery_v2 puts the newline embedding with the projector
            LmWriter.vector(w, seed, s.imageNewlineName(), lm, 0f);
        }

        if (!s.siglip()) { // SigLIP has no class token: clip.cpp's llava graph then skips the concat and the offset
            LmWriter.vector(w, seed, MmprojSchema.CLASS_EMBD, e, 0f, LmWriter.EMBEDDING_STD);
        }
        long p = s.patchSize();
        // conv kernel, PyTorch [out=e, in=3, kh, kw] -> ggml ne [kw, kh, 3, e]; always F16 (ggml_conv_2d)
        // (std 1/sqrt(fan_in), fan_in = 3 * p * p, like every matrix)
        w.addTensor(
                MmprojSchema.PATCH_EMBD,
                GgmlType.F16,
                new long[] {p, p, 3, e},
                RandomWeights.normal(
                        seed, MmprojSchema.PATCH_EMBD, p * p * 3 * e, 0f, (float) (1 / Math.sqrt(3.0 * p * p))));
        if (s.siglip()) { // SiglipVisionEmbeddings' Conv2d has a bias, CLIP's has none (TN_PATCH_BIAS)
            LmWriter.vector(w, seed, MmprojSchema.PATCH_BIAS, e, 0f);
        }
        LmWriter.embedding(w, seed, MmprojSchema.POSITION_EMBD, t2, e, s.nPositions(), LmWriter.EMBEDDING_STD);
        if (!s.siglip()) { // SigLIP has no pre-LN (CLIP's pre_layrnorm)
            LmWriter.norm(w, seed, MmprojSchema.PRE_LN_WEIGHT, e);
            LmWriter.vector(w, seed, MmprojSchema.PRE_LN_BIAS, e, 0f);
        }

        // legacy converter names fc1 "ffn_down" and fc2 "ffn_up"; clip.cpp swaps them back by shape
        MmprojSchema.Block fc1 = layout.fc1();
        MmprojSchema.Block fc2 = layout.fc2();
        for (int i = 0; i < blocks; i++) {
            for (MmprojSchema.Block proj : new MmprojSchema.Block[] {
                MmprojSchema.Block.ATTN_K,
                MmprojSchema.Block.ATTN_V,
                MmprojSchema.Block.ATTN_Q,
                MmprojSchema.Block.ATTN_OUT
            }) {
                LmWriter.matrix(w, seed, proj.weight(i), t2, e, e);
                LmWriter.vector(w, seed, proj.bias(i), e, 0f);
            }
            LmWriter.norm(w, seed, MmprojSchema.Block.LN1.weight(i), e);
            LmWriter.vector(w, seed, MmprojSchema.Block.LN1.bias(i), e, 0f);
            LmWriter.matrix(w, seed, fc1.weight(i), t2, e, s.nFf());
            LmWriter.vector(w, seed, fc1.bias(i), s.nFf(), 0f);
            LmWriter.matrix(w, seed, fc2.weight(i), t2, s.nFf(), e);
            LmWriter.vector(w, seed, fc2.bias(i), e, 0f);
            LmWriter.norm(w, seed, MmprojSchema.Block.LN2.weight(i), e);
            LmWriter.vector(w, seed, MmprojSchema.Block.LN2.bias(i), e, 0f);
        }
        w.write(out);
    }
}
