package io.llava4j.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufReader;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.GpuFit;
import io.llava4j.model.MemoryPlan;
import io.llava4j.nativeio.Backends;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code llava4j info --fit}: what each part of a model pair needs, and how many layers fit a GPU
 * of a given size, from the GGUF headers (no weights read; nothing native unless --vram is left to
 * this machine's GPUs).
 */
final class FitReport {
    private FitReport() {}

    static int print(PrintWriter out, Path lm, Path mmproj, int ctx, GgmlType kv, long vram, boolean json)
            throws IOException {
        ContextOptions options =
                ContextOptions.defaults().withContextLength(ctx).withKvType(kv);
        MemoryPlan plan = MemoryPlan.of(
                GgufReader.read(lm), mmproj == null ? Optional.empty() : Optional.of(GgufReader.read(mmproj)), options);
        List<Backends.Device> gpus;
        String budgetSource;
        if (vram >= 0) {
            gpus = List.of(new Backends.Device("VRAM", "--vram", "planned", Backends.DeviceType.GPU, vram, vram));
            budgetSource = "--vram " + Sizes.bytes(vram);
        } else {
            gpus = Backends.gpus();
            budgetSource = gpus.isEmpty()
                    ? "no GPU on this machine (pass --vram SIZE to plan for one)"
                    : "this machine's GPUs";
        }
        GpuFit withVision = GpuFit.choose(plan, gpus, true);
        GpuFit cpuVision = GpuFit.choose(plan, gpus, false);
        int n = plan.layerCount();
        if (json) {
            try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
                g.useDefaultPrettyPrinter();
                g.writeStartObject();
                g.writeNumberField("context", ctx);
                g.writeNumberField("kv_length", plan.kvLength());
                g.writeStringField("kv_type", kv.ggmlName());
                g.writeNumberField("layers", n);
                g.writeNumberField("token_embeddings_bytes", plan.inputBytes());
                g.writeNumberField(
                        "layer_weights_bytes", plan.weightBytes() - plan.inputBytes() - plan.outputBytes(false));
                g.writeNumberField("output_layer_bytes", plan.outputBytes(false));
                g.writeNumberField("kv_cache_bytes", plan.kvBytes());
                g.writeNumberField("compute_bytes", plan.computeBytes());
                g.writeNumberField("mmproj_weights_bytes", plan.mmprojWeightBytes());
                g.writeNumberField("mmproj_compute_bytes", plan.mmprojComputeBytes());
                g.writeNumberField("cpu_only_bytes", plan.hostBytes(0, false));
                g.writeNumberField("all_on_gpu_bytes", plan.deviceBytes(-1, plan.mmprojWeightBytes() > 0));
                g.writeStringField("budget", budgetSource);
                if (!gpus.isEmpty()) {
                    g.writeNumberField("gpu_layers", withVision.gpuLayers());
                    g.writeBooleanField("vision_on_gpu", withVision.visionOnGpu());
                    g.writeNumberField("gpu_layers_mmproj_on_cpu", cpuVision.gpuLayers());
                    g.writeNumberField("gpu_bytes", plan.deviceBytes(withVision.gpuLayers(), withVision.visionOnGpu()));
                    g.writeNumberField("host_bytes", plan.hostBytes(withVision.gpuLayers(), withVision.visionOnGpu()));
                }
                g.writeEndObject();
            }
            out.println();
            out.flush();
            return 0;
        }
        out.printf(
                Locale.ROOT,
                "memory plan: %s%s, context %d (KV cache %d tokens, %s)%n",
                lm.getFileName(),
                mmproj == null ? "" : " + " + mmproj.getFileName(),
                ctx,
                plan.kvLength(),
                kv.ggmlName());
        row(out, "token embeddings (always CPU)", plan.inputBytes());
        long layers = plan.weightBytes() - plan.inputBytes() - plan.outputBytes(false);
        row(out, String.format(Locale.ROOT, "%d layers, weights", n), layers);
        row(out, String.format(Locale.ROOT, "%d layers, KV cache", n), plan.kvBytes());
        row(out, "output layer", plan.outputBytes(false));
        row(out, "compute buffers (estimate)", plan.computeBytes());
        if (mmproj != null) {
            row(out, "vision tower + projector", plan.mmprojWeightBytes());
            row(out, "vision compute (estimate)", plan.mmprojComputeBytes());
        }
        row(out, "total, all on the CPU", plan.hostBytes(0, false));
        out.printf(
                Locale.ROOT,
                "per layer: %s weights + %s KV cache%n",
                Sizes.bytes(layers / n),
                Sizes.bytes(plan.kvBytesPerLayer()));
        if (gpus.isEmpty()) {
            out.printf(Locale.ROOT, "GPU: %s%n", budgetSource);
        } else {
            out.printf(Locale.ROOT, "GPU (%s, %s kept free per device):%n", budgetSource, Sizes.bytes(GpuFit.HEADROOM));
            fitLine(out, plan, withVision, mmproj != null ? "" : null);
            if (mmproj != null) {
                fitLine(out, plan, cpuVision, "--mmproj-on-cpu");
            }
        }
        out.flush();
        return 0;
    }

    private static void fitLine(PrintWriter out, MemoryPlan plan, GpuFit fit, String flag) {
        out.printf(
                Locale.ROOT,
                "  %-16s -ngl %d of %d%s: GPU %s, CPU %s%n",
                flag == null ? "" : flag,
                fit.gpuLayers(),
                plan.layerCount() + 1,
                fit.visionOnGpu() ? " + vision tower" : "",
                Sizes.bytes(plan.deviceBytes(fit.gpuLayers(), fit.visionOnGpu())),
                Sizes.bytes(plan.hostBytes(fit.gpuLayers(), fit.visionOnGpu())));
    }

    private static void row(PrintWriter out, String what, long bytes) {
        out.printf(Locale.ROOT, "  %-32s %12s%n", what, Sizes.bytes(bytes));
    }
}
