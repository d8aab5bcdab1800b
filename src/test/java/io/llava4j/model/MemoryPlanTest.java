package io.llava4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.VisionEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MemoryPlan}'s arithmetic against llama.cpp's own measurement of the same files on the CPU
 * ({@code llama_get_memory_breakdown}, the figures llama.cpp logs at load): weights to within the
 * file's tensor alignment, the KV cache exactly, the compute buffers within {@link
 * #COMPUTE_TOLERANCE} across shapes where each of the estimate's terms is the largest (the score
 * matrix without flash attention, feed-forward, output logits of a 32000- and a 151936-token
 * vocabulary), micro-batches, KV types and tied embeddings; the vision tower's likewise (its patch
 * embedding or its feed-forward being the peak).
 */
class MemoryPlanTest {
    /**
     * Relative error allowed on the compute-buffer estimates. The estimate models which tensors are
     * live at the allocator's peak and comes within 1% on these shapes; 5% leaves room for the
     * allocator's alignment and small tensors (positions, norms) it does not list.
     */
    static final double COMPUTE_TOLERANCE = 0.05;

    @TempDir
    static Path dir;

    record Shape(String name, LmSpec spec) {}

    static List<Shape> shapes() {
        return List.of(
                new Shape("tiny-llama", LmSpec.tinyLlama().withSeed(3)),
                new Shape(
                        "gqa-f16-tied",
                        new LmSpec(
                                "llama",
                                "llama-spm",
                                256,
                                3,
                                8,
                                2,
                                688,
                                4096,
                                1e-5f,
                                10000f,
                                GgmlType.F16,
                                GgmlType.F16,
                                true,
                                4)),
                new Shape(
                        "wide-ffn",
                        new LmSpec(
                                "llama",
                                "llama-spm",
                                128,
                                2,
                                4,
                                4,
                                24576,
                                4096,
                                1e-5f,
                                10000f,
                                GgmlType.F32,
                                GgmlType.F32,
                                false,
                                5)),
                new Shape("qwen2-vocab", LmSpec.tinyQwen2().withSeed(6)));
    }

    @Test
    void weightsKvAndComputeMatchLlamaCppsMeasurement() {
        List<String> report = new ArrayList<>();
        for (Shape shape : shapes()) {
            Path file = TinyModels.writeLm(shape.spec(), dir.resolve(shape.name() + ".gguf"));
            GgufFile header = GgufReader.read(file);
            try (LanguageModel lm = LanguageModel.load(file)) {
                List<ContextOptions> contexts = new ArrayList<>(List.of(
                        ContextOptions.defaults().withContextLength(512).withThreads(1),
                        ContextOptions.defaults()
                                .withContextLength(2048)
                                .withThreads(1)
                                .withBatchSize(128),
                        ContextOptions.defaults()
                                .withContextLength(2048)
                                .withThreads(1)
                                .withFlashAttention(false)
                                .withKvType(GgmlType.F32)));
                if (shape.spec().nHead() >= 8) { // the score matrix of 8 heads x 8192 positions outgrows the logits
                    contexts.add(ContextOptions.defaults()
                            .withContextLength(8192)
                            .withThreads(1)
                            .withFlashAttention(false));
                }
                if (shape.spec().nEmbd() / shape.spec().nHead() % 32 == 0) { // quantized KV needs it
                    contexts.add(ContextOptions.defaults()
                            .withContextLength(1000)
                            .withThreads(1)
                            .withKvType(GgmlType.Q8_0));
                }
                for (ContextOptions options : contexts) {
                    MemoryPlan plan = MemoryPlan.of(header, Optional.empty(), options);
                    InferenceContext.MemoryUse measured;
                    try (InferenceContext ctx = lm.newContext(options)) {
                        measured = ctx.memoryUse();
                    }
                    String where = shape.name() + " " + options;
                    long slack = (long) header.tensors().size() * header.alignment();
                    assertTrue(
                            Math.abs(measured.hostWeights() - plan.weightBytes()) <= slack,
                            where + ": weights measured " + measured.hostWeights() + ", planned " + plan.weightBytes());
                    assertEquals(measured.hostKv(), plan.kvBytes(), where + ": KV cache");
                    double err = (plan.computeBytes() - (double) measured.hostCompute()) / measured.hostCompute();
                    report.add(String.format(
                            Locale.ROOT,
                            "%-13s ctx %4d ub %3d fa %-5s kv %-4s compute measured %9d planned %9d (%+.1f%%)",
                            shape.name(),
                            options.contextLength(),
                            options.microBatchSize(),
                            options.flashAttention(),
                            options.kvType().ggmlName(),
                            measured.hostCompute(),
                            plan.computeBytes(),
                            100 * err));
                    assertEquals(0, measured.deviceWeights() + measured.deviceKv() + measured.deviceCompute(), where);
                }
            }
        }
        System.out.println(String.join("\n", report));
        for (String line : report) {
            double pct = Double.parseDouble(line.substring(line.lastIndexOf('(') + 1, line.lastIndexOf('%')));
            assertTrue(
                    Math.abs(pct) <= 100 * COMPUTE_TOLERANCE,
                    "compute estimate off by more than " + 100 * COMPUTE_TOLERANCE + "%:\n"
                            + String.join("\n", report));
        }
    }

    @Test
    void theVisionTowerPlanMatchesTheEncodersMeasurement() {
        for (ClipSpec spec : List.of(ClipSpec.tiny(64), ClipSpec.tinySiglip(64))) {
            Path file = TinyModels.writeMmproj(spec, dir.resolve("mm-" + spec.siglip() + ".gguf"));
            GgufFile mm = GgufReader.read(file);
            Path lmFile = TinyModels.writeLm(LmSpec.tinyLlama(), dir.resolve("lm-for-mm.gguf"));
            MemoryPlan plan = MemoryPlan.of(GgufReader.read(lmFile), Optional.of(mm), ContextOptions.defaults());
            try (VisionEncoder encoder = VisionEncoder.load(file, false)) {
                long measured = encoder.memoryBytes();
                long planned = plan.mmprojWeightBytes() + plan.mmprojComputeBytes();
                double err = (planned - (double) measured) / measured;
                System.out.printf(
                        Locale.ROOT,
                        "mmproj siglip=%s measured %d planned %d (%+.1f%%)%n",
                        spec.siglip(),
                        measured,
                        planned,
                        100 * err);
                assertTrue(
                        Math.abs(err) <= COMPUTE_TOLERANCE,
                        "vision memory measured " + measured + ", planned " + planned);
            }
        }
    }
}
