package io.llava4j.model;

import io.llava4j.nativeio.Backends;
import io.llava4j.nativeio.Backends.Device;
import java.util.List;
import java.util.Locale;

/**
 * {@code --gpu-layers auto}: as many layers as the GPUs' free memory holds after the mmproj (when it
 * goes there), the KV cache and the compute buffers, by {@link MemoryPlan}; the rest stays on the
 * CPU. llama.cpp splits offloaded layers across several devices in proportion to their free memory,
 * so their free memory is pooled, less a {@link #HEADROOM} per device for what the plan does not
 * see (driver allocations, fragmentation, other programs starting).
 *
 * @param gpuLayers the layer count to load with (0 = CPU only)
 * @param visionOnGpu whether the vision tower should go to the GPU
 * @param reason one line saying what was chosen and why, for the log
 */
public record GpuFit(int gpuLayers, boolean visionOnGpu, String reason) {
    /** Memory left free on each device. */
    public static final long HEADROOM = 512L << 20;

    /**
     * Decides from a plan and the devices that take layers (see {@link Backends#gpus()}).
     *
     * @param mmprojOnGpu whether the vision tower may go to a GPU (false: {@code --mmproj-on-cpu})
     */
    public static GpuFit choose(MemoryPlan plan, List<Device> gpus, boolean mmprojOnGpu) {
        if (gpus.isEmpty()) {
            return new GpuFit(0, false, "no GPU: all layers on the CPU");
        }
        long free = 0;
        for (Device d : gpus) {
            free += Math.max(0, d.freeBytes() - HEADROOM);
        }
        boolean localGpu = gpus.stream().anyMatch(d -> !d.backend().equals("RPC"));
        boolean vision = mmprojOnGpu && localGpu && plan.mmprojWeightBytes() > 0 && plan.deviceBytes(0, true) <= free;
        int layers = plan.layersThatFit(free, vision);
        int all = plan.layerCount() + 1;
        String where =
                gpus.stream().map(Device::name).reduce((a, b) -> a + "+" + b).orElse("");
        String reason = String.format(
                Locale.ROOT,
                "%d/%d layers on %s (%s free after %s headroom: needs %s)%s",
                layers,
                all,
                where,
                mib(free),
                mib(HEADROOM * gpus.size()),
                mib(plan.deviceBytes(layers, vision)),
                plan.mmprojWeightBytes() == 0
                        ? ""
                        : vision ? ", vision tower on the GPU" : ", vision tower on the CPU");
        return new GpuFit(layers, vision, reason);
    }

    /** Decides for this process's GPUs ({@link Backends#gpus()}). */
    public static GpuFit choose(MemoryPlan plan, boolean mmprojOnGpu) {
        return choose(plan, Backends.gpus(), mmprojOnGpu);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
    }
}
