package io.llava4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufReader;
import io.llava4j.nativeio.Backends.Device;
import io.llava4j.nativeio.Backends.DeviceType;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.testmodels.TinyModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --gpu-layers auto}'s arithmetic: llama.cpp's placement order, budgets at the byte, pooling, vision. */
class GpuFitTest {
    @TempDir
    static Path dir;

    static MemoryPlan plan;
    static MemoryPlan textOnly;

    @BeforeAll
    static void plan() {
        TinyModels.Pair pair = TinyModels.writePair(
                new LmSpec(
                        "llama",
                        "llama-spm",
                        128,
                        6,
                        4,
                        2,
                        256,
                        4096,
                        1e-5f,
                        10000f,
                        GgmlType.F16,
                        GgmlType.F16,
                        false,
                        9),
                io.llava4j.synthetic.ClipSpec.tiny(128),
                dir.resolve("m"));
        ContextOptions ctx = ContextOptions.defaults().withContextLength(1024);
        plan = MemoryPlan.of(GgufReader.read(pair.lm()), Optional.of(GgufReader.read(pair.mmproj())), ctx);
        textOnly = MemoryPlan.of(GgufReader.read(pair.lm()), Optional.empty(), ctx);
    }

    static Device gpu(String name, String backend, long free) {
        return new Device(name, "test device", backend, DeviceType.GPU, free, free);
    }

    @Test
    void layersGoOutputFirstThenFromTheLastLayerDown() {
        assertEquals(0, plan.deviceBytes(0, false));
        assertEquals(plan.outputBytes(true) + plan.computeBytes(), plan.deviceBytes(1, false));
        int n = plan.layerCount();
        long previous = plan.deviceBytes(1, false);
        for (int k = 2; k <= n + 1; k++) {
            int layer = n + 1 - k; // the layer the k-th offloaded one adds
            assertEquals(
                    previous + plan.layerBytes(layer) + plan.kvBytesPerLayer(), plan.deviceBytes(k, false), "k=" + k);
            assertEquals(
                    plan.weightBytes()
                            + plan.kvBytes()
                            + plan.computeBytes()
                            + plan.hostComputeBytes()
                            + plan.mmprojWeightBytes()
                            + plan.mmprojComputeBytes(),
                    plan.deviceBytes(k, false) + plan.hostBytes(k, false),
                    "nothing lost or counted twice, k=" + k);
            previous = plan.deviceBytes(k, false);
        }
        assertEquals(plan.deviceBytes(n + 1, false), plan.deviceBytes(-1, false), "-1 = all");
        assertEquals(
                plan.inputBytes() + plan.hostComputeBytes(),
                plan.hostBytes(-1, true),
                "token embeddings stay on the CPU");
        assertEquals(
                plan.mmprojWeightBytes() + plan.mmprojComputeBytes(),
                plan.deviceBytes(3, true) - plan.deviceBytes(3, false));
    }

    @Test
    void theBudgetIsRespectedToTheByte() {
        for (int k = 1; k <= plan.layerCount() + 1; k++) {
            long need = plan.deviceBytes(k, true);
            GpuFit fits = GpuFit.choose(plan, List.of(gpu("CUDA0", "CUDA", need + GpuFit.HEADROOM)), true);
            assertEquals(k, fits.gpuLayers(), fits.reason());
            assertTrue(fits.visionOnGpu());
            GpuFit short1 = GpuFit.choose(plan, List.of(gpu("CUDA0", "CUDA", need + GpuFit.HEADROOM - 1)), true);
            assertEquals(k - 1, short1.gpuLayers(), short1.reason());
        }
    }

    @Test
    void theVisionTowerOnTheCpuLeavesRoomForMoreLayers() {
        long free = plan.deviceBytes(plan.layerCount() - 1, true) + GpuFit.HEADROOM;
        GpuFit withVision = GpuFit.choose(plan, List.of(gpu("CUDA0", "CUDA", free)), true);
        GpuFit cpuVision = GpuFit.choose(plan, List.of(gpu("CUDA0", "CUDA", free)), false);
        assertFalse(cpuVision.visionOnGpu());
        assertTrue(cpuVision.gpuLayers() > withVision.gpuLayers(), cpuVision.reason() + " vs " + withVision.reason());
        assertTrue(withVision.reason().contains("vision tower on the GPU"), withVision.reason());
    }

    @Test
    void devicesArePooledLessHeadroomEach() {
        long need = textOnly.deviceBytes(-1, false);
        long half = need / 2 + 1 + GpuFit.HEADROOM;
        GpuFit two = GpuFit.choose(textOnly, List.of(gpu("CUDA0", "CUDA", half), gpu("CUDA1", "CUDA", half)), true);
        assertEquals(textOnly.layerCount() + 1, two.gpuLayers(), two.reason());
        GpuFit one = GpuFit.choose(textOnly, List.of(gpu("CUDA0", "CUDA", half)), true);
        assertTrue(one.gpuLayers() < two.gpuLayers());
        assertTrue(two.reason().contains("CUDA0+CUDA1"), two.reason());
    }

    @Test
    void withoutALocalGpuEverythingStaysOnTheCpuOrTheVisionTowerDoes() {
        GpuFit none = GpuFit.choose(plan, List.of(), true);
        assertEquals(0, none.gpuLayers());
        assertFalse(none.visionOnGpu());
        GpuFit rpc = GpuFit.choose(plan, List.of(gpu("RPC0[10.0.0.2:50052]", "RPC", 1L << 40)), true);
        assertEquals(plan.layerCount() + 1, rpc.gpuLayers(), rpc.reason());
        assertFalse(rpc.visionOnGpu(), "the vision tower is not sent to an RPC server");
        GpuFit tiny = GpuFit.choose(plan, List.of(gpu("CUDA0", "CUDA", GpuFit.HEADROOM / 2)), true);
        assertEquals(0, tiny.gpuLayers());
        assertFalse(tiny.visionOnGpu());
    }

    @Test
    void kvCacheFollowsTheContextTypeAndPadding() {
        Path lm = TinyModels.writeLm(LmSpec.tinyLlama(), dir.resolve("kv.gguf"));
        var header = GgufReader.read(lm);
        MemoryPlan f16 = MemoryPlan.of(
                header, Optional.empty(), ContextOptions.defaults().withContextLength(1000));
        MemoryPlan q8 = MemoryPlan.of(
                header,
                Optional.empty(),
                ContextOptions.defaults().withContextLength(1000).withKvType(GgmlType.Q8_0));
        assertEquals(1024, f16.kvLength(), "rounded up to 256");
        // tiny llama: 4 KV heads x 16 = 64 per token and layer, for K and V
        assertEquals(2L * 1024 * 64 * 2, f16.kvBytesPerLayer());
        assertEquals(2L * 1024 * 64 / 32 * 34, q8.kvBytesPerLayer(), "Q8_0: 34 bytes per 32 values");
    }
}
