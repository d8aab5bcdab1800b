package io.llava4j.convert.llava;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import io.llava4j.convert.checkpoint.Checkpoint;
import io.llava4j.convert.checkpoint.CheckpointTensor;
import io.llava4j.convert.checkpoint.Checkpoints;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An opened LLaVA checkpoint: its layout, hyper-parameters and tensors by canonical name (see
 * {@link TensorNames}). Original LLaVA-1.5 checkpoints leave the CLIP tower out (the code loads
 * {@code mm_vision_tower} from the hub at run time); for them the tower comes from
 * {@code visionTower}, a local copy of that checkpoint. Close to release the weight files.
 */
final class SourceModel implements AutoCloseable {
    /** A checkpoint tensor and whether its 2-D Linear weights are stored {@code [in, out]} (Paddle). */
    record Source(CheckpointTensor tensor, boolean transposed) {}

    final Path dir;
    final SourceLayout layout;
    final TextParams text;
    final VisionParams vision;
    final MultimodalParams multimodal;
    final Map<String, Source> tensors = new LinkedHashMap<>();
    private final List<Checkpoint> open = new ArrayList<>();

    private SourceModel(Path dir, SourceLayout layout, TextParams text, VisionParams vision, MultimodalParams mm) {
        this.dir = dir;
        this.layout = layout;
        this.text = text;
        this.vision = vision;
        this.multimodal = mm;
    }

    /**
     * Opens the checkpoint in {@code dir}.
     *
     * @param visionTower a CLIP/SigLIP checkpoint folder for the tower weights and config, or null
     * @throws CheckpointException if the layout is unknown, a config value is missing or wrong, or
     *     the tower weights are absent and {@code visionTower} was not given
     */
    static SourceModel open(Path dir, Path visionTower) {
        Path configFile = dir.resolve("config.json");
        ConfigMap config = new ConfigMap(configFile, Json.readObject(configFile));
        SourceLayout layout = SourceLayout.detect(dir, config);
        boolean hf = layout == SourceLayout.HF_LLAVA || layout == SourceLayout.HF_LLAVA_NEXT;
        ConfigMap textConfig = hf ? config.object("text_config").orElse(new ConfigMap(configFile, Map.of())) : config;
        TextParams text = TextParams.read(textConfig, family(layout, config, textConfig));
        ConfigMap towerConfig = towerConfig(dir, config, hf, visionTower);
        String towerType = towerConfig.string("model_type").orElse("clip_vision_model");
        VisionParams vision = VisionParams.read(towerConfig, towerType.contains("siglip"));

        Checkpoint main = Checkpoints.open(dir);
        SourceModel m = null;
        try {
            boolean anyTower = main.names().stream()
                    .anyMatch(n -> TensorNames.canonical(n).orElse("").startsWith("vision:"));
            Checkpoint tower = null;
            if (!anyTower) {
                if (hf) {
                    throw new CheckpointException(
                            dir,
                            "no vision tower weights: none of the tensor names starts with "
                                    + TensorNames.towerPrefixes() + "; the names start with " + prefixes(main));
                }
                if (visionTower == null) {
                    throw new CheckpointException(
                            dir,
                            "the checkpoint has no vision tower weights: original LLaVA"
                                    + " checkpoints load "
                                    + config.string("mm_vision_tower").orElse("their CLIP tower")
                                    + " separately. Download that checkpoint (e.g. openai/clip-vit-large-patch14-336) and"
                                    + " pass its folder with --vision-tower DIR");
                }
                tower = Checkpoints.open(visionTower);
            }
            int layers = countLayers(main, tower);
            vision = vision.withLayers(layers);
            MultimodalParams mm = MultimodalParams.read(layout, dir, config, vision, towerConfig, visionTower);
            m = new SourceModel(dir, layout, text, vision, mm);
            m.open.add(main);
            m.add(main, layout == SourceLayout.PADDLE);
            if (tower != null) {
                m.open.add(tower);
                m.add(tower, false);
            }
            return m;
        } catch (RuntimeException e) {
            if (m != null) {
                m.close();
            } else {
                main.close();
            }
            throw e;
        }
    }

    private void add(Checkpoint cp, boolean transposed) {
        boolean towerOnly = cp != open.get(0);
        for (CheckpointTensor t : cp.tensors()) {
            String c = TensorNames.canonical(t.name()).orElse(null);
            if (c == null || (towerOnly && !c.startsWith("vision:"))) {
                continue;
            }
            tensors.put(c, new Source(t, transposed));
        }
    }

    /** The distinct first two name components of a checkpoint's tensors, for messages. */
    private static String prefixes(Checkpoint cp) {
        return cp.names().stream()
                .map(n -> {
                    String[] p = n.split("\\.", 3);
                    return p.length < 3 ? n : p[0] + "." + p[1] + ".*";
                })
                .distinct()
                .sorted()
                .limit(12)
                .toList()
                .toString();
    }

    private static int countLayers(Checkpoint main, Checkpoint tower) {
        int max = -1;
        for (Checkpoint cp : tower == null ? List.of(main) : List.of(main, tower)) {
            for (String n : cp.names()) {
                String c = TensorNames.canonical(n).orElse("");
                if (c.startsWith("vision:encoder.layers.")) {
                    String rest = c.substring("vision:encoder.layers.".length());
                    max = Math.max(max, Integer.parseInt(rest.substring(0, rest.indexOf('.'))));
                }
            }
        }
        if (max < 0) {
            throw new CheckpointException(
                    main.location(),
                    "no vision tower layers (encoder.layers.* under " + TensorNames.towerPrefixes() + ") found");
        }
        return max + 1;
    }

    private static String family(SourceLayout layout, ConfigMap config, ConfigMap text) {
        String s = (SourceLayout.architecture(config) + " "
                        + config.string("model_type").orElse("") + " "
                        + text.string("model_type").orElse(""))
                .toLowerCase(Locale.ROOT);
        if (s.contains("qwen")) {
            return "qwen2";
        }
        return s.contains("mistral") ? "mistral" : "llama";
    }

    /** The tower's config: {@code vision_config}, else the --vision-tower folder's, else a well-known tower's. */
    private static ConfigMap towerConfig(Path dir, ConfigMap config, boolean hf, Path visionTower) {
        if (config.object("vision_config").isPresent()) {
            return config.object("vision_config").get();
        }
        if (hf) {
            throw new CheckpointException(config.file(), "no vision_config");
        }
        if (visionTower != null) {
            Path f = visionTower.resolve("config.json");
            ConfigMap c = new ConfigMap(f, Json.readObject(f));
            return c.object("vision_config").orElse(c);
        }
        String name = config.string("mm_vision_tower")
                .or(() -> config.string("vision_tower"))
                .orElseThrow(() -> config.bad("mm_vision_tower", null, "the vision tower's name"));
        return VisionParams.known(name)
                .map(v -> new ConfigMap(config.file(), v))
                .orElseThrow(() -> new CheckpointException(
                        config.file(),
                        "mm_vision_tower " + name + " is not a tower llava4j knows; pass its checkpoint folder"
                                + " (config.json, weights) with --vision-tower DIR"));
    }

    @Override
    public void close() {
        for (Checkpoint c : open) {
            c.close();
        }
        open.clear();
    }
}
