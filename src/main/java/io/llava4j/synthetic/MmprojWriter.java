package io.llava4j.synthetic;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufWriter;
import java.nio.file.Path;

/**
 * Writes a random-weight LLaVA mmproj ({@code general.architecture = clip}, projector {@code mlp},
 * CLIP or SigLIP tower) that the pinned llama.cpp's {@code clip_init} loads. Keys, their types and tensor shapes follow
 * {@code clip_model_loader::load_hparams/load_tensors} in tools/mtmd/clip.cpp (names in
 * clip-impl.h: {@code KEY_*}, {@code TN_*}) and the graph in tools/mtmd/models/llava.cpp; the legacy
 * layout mirrors tools/mtmd/legacy-models/convert_image_encoder_to_gguf.py. Every count is a UINT32
 * (clip.cpp's {@code get_u32} aborts the process on another type), epsilon a FLOAT32, the pinpoints
 * and feature layers INT32 arrays, mean/std FLOAT32 arrays.
 */
final class MmprojWriter {
    private MmprojWriter() {}

    static void write(ClipSpec s, Path out) {
        long seed = s.seed();
        GgmlType t2 = s.weightType();
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "clip")
                .putString("general.name", "llava4j tiny clip mmproj (random weights, seed " + seed + ")")
                .putString("general.description", "image encoder for LLaVA; random weights (no trained knowledge), written by"
                        + " llava4j's io.llava4j.synthetic (" + (s.siglip() ? "SigLIP tower, " : "")
                        + (s.legacy() ? "legacy" : "full") + " layout)")
                .putU32("general.file_type", t2 == GgmlType.F16 ? 1 : 0);
        if (s.legacy()) {
            w.putBool("clip.has_text_encoder", false);
        }
        w.putBool("clip.has_vision_encoder", true);
        if (s.legacy()) {
            w.putBool("clip.has_llava_projector", true);
        }
        int blocks = s.blocksWritten();
        w.putString("clip.projector_type", "mlp")
                .putU32("clip.vision.image_size", s.imageSize())
                .putU32("clip.vision.patch_size", s.patchSize())
                .putU32("clip.vision.embedding_length", s.nEmbd())
                .putU32("clip.vision.feed_forward_length", s.nFf())
                // legacy: CLIP's own projection width (768 = 3/4 of 1024 for ViT-L), NOT the LM width
                .putU32("clip.vision.projection_dim", s.legacy() ? s.nEmbd() * 3 / 4 : s.lmWidth())
                .putU32("clip.vision.attention.head_count", s.nHead())
                .putF32("clip.vision.attention.layer_norm_epsilon", s.layerNormEps())
                .putU32("clip.vision.block_count", blocks);
        if (s.anyres()) {
            w.putI32Array("clip.vision.image_grid_pinpoints", s.gridPinpoints())
                    .putString("clip.vision.mm_patch_merge_type", "spatial_unpad");
        }
        if (s.featureLayer()) {
            w.putI32Array("clip.vision.feature_layer", s.nLayer() - 1); // -2 made non-negative: n + (-2) + 1
        }
        // CLIP-L uses quick_gelu; SigLIP's gelu_pytorch_tanh is ggml_gelu (the tanh approximation),
        // which clip.cpp picks with use_gelu (FFN_GELU)
        w.putF32Array("clip.vision.image_mean", s.imageMean())
                .putF32Array("clip.vision.image_std", s.imageStd())
                .putBool("clip.use_gelu", s.siglip());

        long e = s.nEmbd();
        long lm = s.lmWidth();
        // the projector first, as the legacy converter writes it (mm.0 = linear_1, mm.2 = linear_2)
        LmWriter.matrix(w, seed, "mm.0.weight", t2, e, lm);
        LmWriter.vector(w, seed, "mm.0.bias", lm, 0f);
        LmWriter.matrix(w, seed, "mm.2.weight", t2, lm, lm);
        LmWriter.vector(w, seed, "mm.2.bias", lm, 0f);
        if (s.anyres()) { // llava_surgery_v2 puts the newline embedding with the projector
            LmWriter.vector(w, seed, s.imageNewlineName(), lm, 0f);
        }

        if (!s.siglip()) { // SigLIP has no class token: clip.cpp's llava graph then skips the concat and the offset
            LmWriter.vector(w, seed, "v.class_embd", e, 0f, LmWriter.EMBEDDING_STD);
        }
        long p = s.patchSize();
        // conv kernel, PyTorch [out=e, in=3, kh, kw] -> ggml ne [kw, kh, 3, e]; always F16 (ggml_conv_2d)
        // (std 1/sqrt(fan_in), fan_in = 3 * p * p, like every matrix)
        w.addTensor("v.patch_embd.weight", GgmlType.F16, new long[] {p, p, 3, e},
                RandomWeights.normal(seed, "v.patch_embd.weight", p * p * 3 * e, 0f, (float) (1 / Math.sqrt(3.0 * p * p))));
        if (s.siglip()) { // SiglipVisionEmbeddings' Conv2d has a bias, CLIP's has none (TN_PATCH_BIAS)
            LmWriter.vector(w, seed, "v.patch_embd.bias", e, 0f);
        }
        LmWriter.embedding(w, seed, "v.position_embd.weight", t2, e, s.nPositions(), LmWriter.EMBEDDING_STD);
        if (!s.siglip()) { // SigLIP has no pre-LN (CLIP's pre_layrnorm)
            LmWriter.norm(w, seed, "v.pre_ln.weight", e);
            LmWriter.vector(w, seed, "v.pre_ln.bias", e, 0f);
        }

        // legacy converter names fc1 "ffn_down" and fc2 "ffn_up"; clip.cpp swaps them back by shape
        String fc1 = s.legacy() ? "ffn_down" : "ffn_up";
        String fc2 = s.legacy() ? "ffn_up" : "ffn_down";
        for (int i = 0; i < blocks; i++) {
            String b = "v.blk." + i + ".";
            for (String proj : new String[] {"attn_k", "attn_v", "attn_q", "attn_out"}) {
                LmWriter.matrix(w, seed, b + proj + ".weight", t2, e, e);
                LmWriter.vector(w, seed, b + proj + ".bias", e, 0f);
            }
            LmWriter.norm(w, seed, b + "ln1.weight", e);
            LmWriter.vector(w, seed, b + "ln1.bias", e, 0f);
            LmWriter.matrix(w, seed, b + fc1 + ".weight", t2, e, s.nFf());
            LmWriter.vector(w, seed, b + fc1 + ".bias", s.nFf(), 0f);
            LmWriter.matrix(w, seed, b + fc2 + ".weight", t2, s.nFf(), e);
            LmWriter.vector(w, seed, b + fc2 + ".bias", e, 0f);
            LmWriter.norm(w, seed, b + "ln2.weight", e);
            LmWriter.vector(w, seed, b + "ln2.bias", e, 0f);
        }
        w.write(out);
    }
}
