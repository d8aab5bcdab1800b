package io.llava4j.vision.reference;

import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A naive, double-precision forward pass of a LLaVA mmproj, written from the reference models and
 * not from llama.cpp: HF {@code CLIPVisionModel} (transformers {@code modeling_clip.py}) read at
 * {@code hidden_states[-2]} with the CLS token dropped (LLaVA's {@code vision_feature_layer = -2},
 * {@code vision_feature_select_strategy = "default"}), then LLaVA-1.5's {@code mlp2x_gelu} projector
 * ({@code Linear -> nn.GELU() -> Linear}). Test scope only: it is slow and holds every weight as
 * floats.
 *
 * <p>The forward, for {@code N} patches of width {@code D}:
 * <ol>
 *   <li>patch embedding: {@code Conv2d(3, D, kernel = stride = patch, bias = False)}, patches in
 *       row-major order;
 *   <li>tokens {@code [CLS, patch_0 .. patch_{N-1}]} plus {@code position_embedding[0 .. N]};
 *   <li>{@code pre_layrnorm}; this is {@code hidden_states[0]};
 *   <li>each block: {@code x += out_proj(attn(layer_norm1(x)))} with {@code q * head_dim^-0.5},
 *       then {@code x += fc2(act(fc1(layer_norm2(x))))}, {@code act} = quick_gelu unless
 *       {@code clip.use_gelu}; block {@code i}'s output is {@code hidden_states[i + 1]};
 *   <li>{@code hidden_states[depth - 1]} (= {@code [-2]} of a {@code depth}-block model), tokens
 *       {@code 1 .. N};
 *   <li>{@code mm.2(gelu(mm.0(x)))} with the exact erf GELU.
 * </ol>
 * No post-layernorm: {@code hidden_states} never include it.
 *
 * <p>A file without {@code v.class_embd} is read as LLaVA-NeXT's SigLIP tower (HF
 * {@code SiglipVisionModel}, transformers {@code modeling_siglip.py}): the patch {@code Conv2d} has
 * a bias, there is no CLS token (so every token is a patch and none is dropped) and no
 * {@code pre_layrnorm}, positions are {@code 0 .. N-1}, and the MLP's activation is
 * {@code gelu_pytorch_tanh}.
 *
 * <p>Which file blocks exist depends on the converter: the legacy one drops the last block
 * ({@code block_count = depth - 1}), a full file keeps all {@code depth}. Either way the reference
 * needs blocks {@code 0 .. depth - 2}; the caller states {@code depth}, the ORIGINAL model's number
 * of layers, so the reference does not share the file-layout guess it is meant to check.
 *
 * <p>Every computation takes an {@link Arith}: {@link Arith#exact()} is the reference model itself;
 * {@link Arith#ggml} adds the roundings ggml-cpu performs on purpose (fp16 pixels, fp16 activation
 * tables, fp16 attention), so that what is left between it and llama.cpp is f32 arithmetic.
 *
 * <p>Reads F32/F16/BF16 tensors through {@link GgufFile#readTensorFloats}; names follow clip.cpp
 * ({@code v.patch_embd.weight}, {@code v.blk.N.attn_q.weight}, {@code mm.0.weight}, ...). fc1/fc2 are
 * told apart by shape, as clip.cpp does, because the legacy converter swapped their names.
 */
public final class ClipReference {
    private final int imageSize;
    private final int patch;
    private final int width;
    private final int heads;
    private final int depth;
    private final int lmWidth;
    private final double eps;
    private final boolean siglip;
    private final Arith.Act act;
    private final float[] patchBias;
    private final float[] patchKernel;
    private final float[] classEmbd;
    private final float[] posEmbd;
    private final float[] preLnW;
    private final float[] preLnB;
    private final List<ClipBlock> blocks;
    private final float[] mm0W;
    private final float[] mm0B;
    private final float[] mm2W;
    private final float[] mm2B;

    private ClipReference(GgufFile f, int depth) {
        this.imageSize = f.getInt("clip.vision.image_size");
        this.patch = f.getInt("clip.vision.patch_size");
        this.width = f.getInt("clip.vision.embedding_length");
        this.heads = f.getInt("clip.vision.attention.head_count");
        int ff = f.getInt("clip.vision.feed_forward_length");
        this.eps = f.getFloat("clip.vision.attention.layer_norm_epsilon");
        this.siglip = f.findTensor("v.class_embd").isEmpty();
        boolean gelu = f.optionalBool("clip.use_gelu").orElse(false);
        // clip.cpp: use_gelu -> ggml_gelu (the tanh form, also SigLIP's gelu_pytorch_tanh), else quick_gelu
        this.act = siglip || gelu ? Arith.Act.GELU_TANH : Arith.Act.QUICK_GELU;
        this.depth = depth;
        int stored = f.getInt("clip.vision.block_count");
        if (depth < 2 || stored < depth - 1) {
            throw new IllegalArgumentException(f.path() + ": hidden_states[-2] of a " + depth + "-layer model needs "
                    + (depth - 1) + " blocks, the file has " + stored);
        }
        int n = (imageSize / patch) * (imageSize / patch);
        this.patchKernel = read(f, "v.patch_embd.weight", patch, patch, 3, width);
        this.classEmbd = siglip ? null : read(f, "v.class_embd", width);
        this.patchBias = siglip ? read(f, "v.patch_embd.bias", width) : null;
        this.posEmbd = read(f, "v.position_embd.weight", width, n + (siglip ? 0 : 1));
        this.preLnW = siglip ? null : read(f, "v.pre_ln.weight", width);
        this.preLnB = siglip ? null : read(f, "v.pre_ln.bias", width);
        this.blocks = new ArrayList<>();
        for (int i = 0; i < depth - 1; i++) {
            blocks.add(ClipBlock.read(f, "v.blk." + i + ".", width, ff));
        }
        GgufTensorInfo mm0 = f.tensor("mm.0.weight");
        this.lmWidth = (int) mm0.dim(1);
        this.mm0W = read(f, "mm.0.weight", width, lmWidth);
        this.mm0B = read(f, "mm.0.bias", lmWidth);
        this.mm2W = read(f, "mm.2.weight", lmWidth, lmWidth);
        this.mm2B = read(f, "mm.2.bias", lmWidth);
    }

    /**
     * Loads the weights of an mmproj.
     *
     * @param depth number of layers of the original CLIP ViT ({@code num_hidden_layers}; 24 for
     *     ViT-L), not the file's {@code block_count}
     * @throws IllegalArgumentException if a tensor is missing or has another shape
     */
    public static ClipReference load(Path mmproj, int depth) {
        return new ClipReference(GgufReader.read(mmproj), depth);
    }

    /** Projector output width (the language model's embedding width). */
    public int lmWidth() {
        return lmWidth;
    }

    /** Image side in pixels. */
    public int imageSize() {
        return imageSize;
    }

    /** Number of heads of the tower's attention. */
    public int heads() {
        return heads;
    }

    /** Width of the tower (the head size is {@code width / heads}). */
    public int width() {
        return width;
    }

    /**
     * The LLaVA image features of one image.
     *
     * @param hwc {@code imageSize^2 * 3} normalised floats, interleaved RGB, row-major (what
     *     {@code VisionEncoder.encode} takes)
     * @return {@code N * lmWidth} values, patch after patch in row-major order
     */
    public float[] encode(float[] hwc, Arith arith) {
        return project(hiddenState(hwc, depth - 1, arith), arith);
    }

    /**
     * What the unpatched graph (before native/patches/0001) computed: the CLS embedding appended
     * after the patches, so that patch {@code i} gets position {@code i} (its neighbour's) and CLS the
     * last one, and the "patch" outputs are tokens {@code 1 .. N}: patches 1 to N-1, then CLS.
     */
    public float[] encodeClsLast(float[] hwc, Arith arith) {
        if (siglip) {
            throw new IllegalStateException("SigLIP has no CLS token");
        }
        double[][] x = embed(hwc, true, arith);
        x = blocks(x, depth - 1, arith);
        return project(java.util.Arrays.copyOfRange(x, 1, x.length), arith);
    }

    /**
     * {@code hidden_states[layer]} of the model, patch tokens only ({@code [N][width]}), for
     * {@code 0 <= layer <= depth - 1}.
     */
    public double[][] hiddenState(float[] hwc, int layer, Arith arith) {
        if (hwc.length != imageSize * imageSize * 3) {
            throw new IllegalArgumentException(
                    "expected " + imageSize + "x" + imageSize + "x3 values, got " + hwc.length);
        }
        if (layer < 0 || layer > blocks.size()) {
            throw new IllegalArgumentException("layer " + layer + " outside 0.." + blocks.size());
        }
        double[][] x = blocks(embed(hwc, false, arith), layer, arith);
        if (siglip) {
            return x;
        }
        double[][] patches = new double[x.length - 1][];
        System.arraycopy(x, 1, patches, 0, patches.length);
        return patches;
    }

    /** {@code pre_layrnorm} (CLIP), then the first {@code layer} blocks. */
    private double[][] blocks(double[][] x, int layer, Arith arith) {
        if (preLnW != null) {
            for (int i = 0; i < x.length; i++) {
                x[i] = RefMath.layerNorm(x[i], preLnW, preLnB, eps, arith);
            }
        }
        for (int l = 0; l < layer; l++) {
            x = blocks.get(l).forward(x, heads, eps, act, arith);
        }
        return x;
    }

    /** {@code mm.2(gelu(mm.0(x)))} per token, flattened; the exact erf GELU (see {@link Arith#withTanhProjector}). */
    public float[] project(double[][] tokens, Arith arith) {
        float[] out = new float[tokens.length * lmWidth];
        for (int t = 0; t < tokens.length; t++) {
            double[] h = RefMath.linear(mm0W, mm0B, tokens[t], width, lmWidth, arith);
            for (int i = 0; i < h.length; i++) {
                h[i] = arith.act(arith.projectorAct(), h[i]);
            }
            double[] y = RefMath.linear(mm2W, mm2B, h, lmWidth, lmWidth, arith);
            for (int i = 0; i < lmWidth; i++) {
                out[t * lmWidth + i] = (float) y[i];
            }
        }
        return out;
    }

    /**
     * CLS first (CLIP only), then the patches, each plus its position embedding; with {@code
     * clsLast}, the unpatched graph's order (see {@link #encodeClsLast}).
     */
    private double[][] embed(float[] hwc, boolean clsLast, Arith arith) {
        int side = imageSize / patch;
        int first = siglip || clsLast ? 0 : 1;
        int n = side * side;
        double[][] x = new double[n + (siglip ? 0 : 1)][width];
        if (!siglip) {
            int cls = clsLast ? n : 0;
            for (int d = 0; d < width; d++) {
                x[cls][d] = arith.f32(classEmbd[d] + posEmbd[cls * width + d]);
            }
        }
        for (int py = 0; py < side; py++) {
            for (int px = 0; px < side; px++) {
                int token = first + py * side + px;
                double[] tok = x[token];
                for (int d = 0; d < width; d++) {
                    double s = patchBias == null ? 0 : patchBias[d];
                    double abs = Math.abs(s);
                    // kernel ne = [kw, kh, c, out]: PyTorch's [out][c][kh][kw]
                    for (int c = 0; c < 3; c++) {
                        for (int kh = 0; kh < patch; kh++) {
                            int row = (py * patch + kh) * imageSize + px * patch;
                            int k = ((d * 3 + c) * patch + kh) * patch;
                            for (int kw = 0; kw < patch; kw++) {
                                double t = patchKernel[k + kw] * arith.pixel(hwc[(row + kw) * 3 + c]);
                                s += t;
                                abs += Math.abs(t);
                            }
                        }
                    }
                    s = arith.sum(s, abs, 3 * patch * patch + 1);
                    tok[d] = arith.f32(s + posEmbd[token * width + d]);
                }
            }
        }
        return x;
    }

    /** A tensor's floats after checking its ggml shape ({@code ne0} first). */
    static float[] read(GgufFile f, String name, long... dims) {
        GgufTensorInfo t = f.findTensor(name)
                .orElseThrow(() -> new IllegalArgumentException(f.path() + ": tensor " + name + " is missing"));
        if (!java.util.Arrays.equals(trim(t.dims()), dims)) {
            throw new IllegalArgumentException(f.path() + ": tensor " + name + " has shape "
                    + java.util.Arrays.toString(t.dims()) + ", expected " + java.util.Arrays.toString(dims));
        }
        return f.readTensorFloats(name);
    }

    private static long[] trim(long[] dims) {
        int n = dims.length;
        while (n > 1 && dims[n - 1] == 1) {
            n--;
        }
        return java.util.Arrays.copyOf(dims, n);
    }
}
