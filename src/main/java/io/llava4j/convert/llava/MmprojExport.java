package io.llava4j.convert.llava;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.checkpoint.CheckpointTensor;
import io.llava4j.gguf.ClipKeys;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.gguf.MmprojSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes the mmproj GGUF of a {@link SourceModel} in {@link MmprojSchema}'s full layout: CLIP/SigLIP
 * tower, {@code mlp2x_gelu} projector
 * ({@code clip.projector_type = mlp}: {@code mm.0} and {@code mm.2}) and, for LLaVA-NeXT, the
 * {@code image_newline} embedding, in the layout {@code clip_model_loader} of the pinned
 * tools/mtmd/clip.cpp loads (keys as {@code MmprojModel.set_gguf_parameters} writes them, the
 * LLaVA extras as the legacy {@code convert_image_encoder_to_gguf.py} does: pinpoints, merge type,
 * aspect ratio, feature layer). All tower blocks are kept and {@code clip.vision.feature_layer}
 * tells the graph where to stop; the post-LN is left out because LLaVA reads the hidden state
 * before it. The patch kernel is always f16 (ggml's conv im2col), vectors f32.
 */
final class MmprojExport {
    private MmprojExport() {}

    /** Plans and writes {@code out}; returns the number of tensors written. */
    static int write(SourceModel m, GgmlType matrixType, int fileType, String name, Path out) {
        VisionParams v = m.vision;
        MultimodalParams mm = m.multimodal;
        List<LmExport.Planned> plan = plan(m, matrixType);
        String mm2 = MmprojSchema.projector(2, "weight");
        long lmWidth = plan.stream()
                .filter(p -> p.name().equals(mm2))
                .findFirst()
                .orElseThrow()
                .dims()[1];
        if (lmWidth != m.text.nEmbd()) {
            throw new CheckpointException(
                    m.dir,
                    "the projector outputs " + lmWidth + " values, the language model's" + " hidden_size is "
                            + m.text.nEmbd());
        }
        // a default normalisation is a guess; the file says so for whoever inspects it (llava4j info)
        String description = mm.defaultNote() == null ? null : "llava4j convert: " + mm.defaultNote();
        GgufWriter w = MmprojSchema.newWriter(new MmprojSchema.Header(
                MmprojSchema.Layout.FULL,
                name,
                description,
                fileType,
                v.imageSize(),
                v.patchSize(),
                v.nEmbd(),
                v.nFf(),
                v.nLayer(),
                v.nHead(),
                v.eps(),
                lmWidth,
                mm.mean(),
                mm.std(),
                v.gelu(),
                new int[] {mm.featureLayer()},
                mm.mergeType(),
                mm.pinpoints(),
                mm.aspectRatio()));
        for (LmExport.Planned p : plan) {
            w.addTensor(p.name(), p.type(), p.dims(), TensorEncoding.source(p.src(), p.transpose(), 0, p.type()));
        }
        w.write(out);
        return plan.size();
    }

    static List<LmExport.Planned> plan(SourceModel m, GgmlType matrixType) {
        VisionParams v = m.vision;
        List<LmExport.Planned> plan = new ArrayList<>();
        for (Map.Entry<String, SourceModel.Source> e : m.tensors.entrySet()) {
            String c = e.getKey();
            if (!c.startsWith("vision:") && !c.startsWith("mm:") && !c.equals("newline")) {
                continue;
            }
            CheckpointTensor src = e.getValue().tensor();
            Optional<String> mapped = TensorNames.vision(c);
            if (mapped == null) {
                throw new CheckpointException(
                        src.file(),
                        "tensor '" + src.name() + "' is not part of a LLaVA"
                                + " CLIP/SigLIP tower or mlp2x_gelu projector");
            }
            if (mapped.isEmpty()) {
                continue;
            }
            String gguf = mapped.get();
            boolean transpose =
                    e.getValue().transposed() && src.rank() == 2 && !gguf.equals(MmprojSchema.POSITION_EMBD);
            long[] shape = src.shape();
            if (transpose) {
                shape = new long[] {shape[1], shape[0]};
            }
            GgmlType type;
            if (gguf.equals(MmprojSchema.PATCH_EMBD)) {
                type = GgmlType.F16;
                if (shape.length != 4
                        || shape[1] != 3
                        || shape[2] != v.patchSize()
                        || shape[3] != v.patchSize()
                        || shape[0] != v.nEmbd()) {
                    throw badShape(src, shape, "[" + v.nEmbd() + ", 3, " + v.patchSize() + ", " + v.patchSize() + "]");
                }
            } else {
                type = LmExport.typeFor(gguf, shape, matrixType);
                if (gguf.equals(MmprojSchema.POSITION_EMBD) && type == GgmlType.Q8_0) {
                    type = GgmlType.F16;
                }
            }
            if (gguf.equals(MmprojSchema.POSITION_EMBD)) {
                long side = v.imageSize() / v.patchSize();
                long n = side * side + (v.siglip() ? 0 : 1);
                if (shape.length != 2 || shape[0] != n || shape[1] != v.nEmbd()) {
                    throw badShape(
                            src,
                            shape,
                            "[" + n + ", " + v.nEmbd() + "] for image_size " + v.imageSize() + " and patch_size "
                                    + v.patchSize());
                }
            }
            plan.add(new LmExport.Planned(gguf, src, transpose, 0, type, LmExport.reverse(shape)));
        }
        for (String required : new String[] {
            MmprojSchema.PATCH_EMBD,
            MmprojSchema.POSITION_EMBD,
            MmprojSchema.projector(0, "weight"),
            MmprojSchema.projector(2, "weight")
        }) {
            if (plan.stream().noneMatch(p -> p.name().equals(required))) {
                throw new CheckpointException(m.dir, "no tensor for " + required + " in the vision tower/projector");
            }
        }
        boolean hasNewline = plan.stream().anyMatch(p -> p.name().equals(MmprojSchema.Layout.FULL.imageNewline()));
        if (m.multimodal.mergeType().equals(ClipKeys.MERGE_SPATIAL_UNPAD) && !hasNewline) {
            throw new CheckpointException(
                    m.dir, "mm_patch_merge_type is spatial_unpad, but there is no image_newline tensor");
        }
        return plan;
    }

    private static CheckpointException badShape(CheckpointTensor src, long[] shape, String expected) {
        return new CheckpointException(
                src.file(),
                "tensor '" + src.name() + "' has shape " + java.util.Arrays.toString(shape) + ", expected " + expected);
    }
}
