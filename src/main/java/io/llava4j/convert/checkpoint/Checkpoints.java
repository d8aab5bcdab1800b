package io.llava4j.convert.checkpoint;

import io.llava4j.Llava4jException.Code;
import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Opens the weights of a Hugging Face style checkpoint folder, finding the files the way
 * {@code ModelBase.index_tensors} in llama.cpp's {@code convert_hf_to_gguf.py} does:
 * {@code model.safetensors.index.json} (its {@code weight_map} names the shards), else every
 * {@code model*.safetensors}; failing those, the PyTorch pickles {@code pytorch_model.bin.index.json}
 * / {@code pytorch_model*.bin} (read by {@link TorchZipFile}, never executing pickle code), then
 * Paddle's {@code model_state.pdparams.index.json} / {@code model_state*.pdparams}
 * ({@link PaddleParams}). With an index, the tensor names found in the shards must equal the
 * index's names, as there.
 */
public final class Checkpoints {
    private Checkpoints() {}

    /** Whether {@code dir} holds weights {@link #open} can read. */
    public static boolean hasWeights(Path dir) {
        return !weightFiles(dir, "model", ".safetensors").isEmpty()
                || Files.isRegularFile(dir.resolve("model.safetensors.index.json"))
                || !weightFiles(dir, "pytorch_model", ".bin").isEmpty()
                || !weightFiles(dir, "model_state", ".pdparams").isEmpty();
    }

    /**
     * Opens the checkpoint in {@code dir}.
     *
     * @throws CheckpointException if there are no weights, a shard is missing or malformed, or the
     *     index and the shards disagree
     */
    public static Checkpoint open(Path dir) {
        Path stIndex = dir.resolve("model.safetensors.index.json");
        List<String> st = weightFiles(dir, "model", ".safetensors");
        if (Files.isRegularFile(stIndex) || !st.isEmpty()) {
            return openShards(dir, Files.isRegularFile(stIndex) ? stIndex : null, st, true);
        }
        Path binIndex = dir.resolve("pytorch_model.bin.index.json");
        List<String> bin = weightFiles(dir, "pytorch_model", ".bin");
        if (bin.isEmpty() && !Files.isRegularFile(binIndex)) {
            bin = weightFiles(dir, "model", ".bin"); // some exports name a single file model.bin
        }
        if (Files.isRegularFile(binIndex) || !bin.isEmpty()) {
            return openShards(dir, Files.isRegularFile(binIndex) ? binIndex : null, bin, false);
        }
        Path pdIndex = dir.resolve("model_state.pdparams.index.json");
        List<String> pd = weightFiles(dir, "model_state", ".pdparams");
        if (Files.isRegularFile(pdIndex) || !pd.isEmpty()) {
            return openShards(dir, Files.isRegularFile(pdIndex) ? pdIndex : null, pd, false);
        }
        throw new CheckpointException(
                dir,
                "no weights found: expected model.safetensors, model-*-of-*.safetensors"
                        + " with model.safetensors.index.json, pytorch_model*.bin or model_state*.pdparams");
    }

    /** Opens the given weight files (safetensors or PyTorch zip pickles, by extension) as one checkpoint. */
    public static Checkpoint openFiles(Path location, List<Path> files) {
        Map<String, CheckpointTensor> all = new LinkedHashMap<>();
        List<Closeable> open = new ArrayList<>();
        try {
            for (Path f : files) {
                Map<String, CheckpointTensor> part = openOne(f, open);
                for (Map.Entry<String, CheckpointTensor> e : part.entrySet()) {
                    if (all.putIfAbsent(e.getKey(), e.getValue()) != null) {
                        throw new CheckpointException(
                                f,
                                "tensor '" + e.getKey() + "' is also in "
                                        + all.get(e.getKey()).file().getFileName());
                    }
                }
            }
        } catch (RuntimeException e) {
            closeAll(open);
            throw e;
        }
        return new Checkpoint(location, all, open);
    }

    private static Map<String, CheckpointTensor> openOne(Path f, List<Closeable> open) {
        if (f.getFileName().toString().endsWith(".safetensors")) {
            SafetensorsFile.Opened o = SafetensorsFile.open(f);
            open.add(o.channel());
            return o.tensors();
        }
        if (f.getFileName().toString().endsWith(".pdparams")) {
            PaddleParams.Opened o = PaddleParams.open(f);
            open.add(o.channel());
            return o.tensors();
        }
        TorchZipFile.Opened o = TorchZipFile.open(f);
        open.add(o.channel());
        return o.tensors();
    }

    private static Checkpoint openShards(Path dir, Path index, List<String> found, boolean safetensors) {
        List<String> parts = found;
        Set<String> indexed = null;
        Map<String, Object> weightMap = null;
        if (index != null) {
            Object wm = Json.readObject(index).get("weight_map");
            if (!(wm instanceof Map)) {
                throw new CheckpointException(index, "no 'weight_map' object");
            }
            weightMap = Json.asObject(wm);
            Set<String> files = new TreeSet<>();
            for (Object v : weightMap.values()) {
                if (!(v instanceof String s) || s.contains("/") || s.contains("\\") || s.startsWith(".")) {
                    throw new CheckpointException(index, "weight_map names an invalid file " + v);
                }
                files.add(s);
            }
            parts = new ArrayList<>(files);
            indexed = new LinkedHashSet<>(weightMap.keySet());
            List<String> missing = parts.stream()
                    .filter(p -> !Files.isRegularFile(dir.resolve(p)))
                    .toList();
            if (!missing.isEmpty()) {
                throw new CheckpointException(
                        dir, "missing weight files named by " + index.getFileName() + ": " + missing);
            }
        }
        List<Path> files = parts.stream().map(dir::resolve).toList();
        Checkpoint cp = openFiles(dir, files);
        if (indexed != null && !indexed.equals(cp.names())) {
            Set<String> missing = new TreeSet<>(indexed);
            missing.removeAll(cp.names());
            Set<String> extra = new TreeSet<>(cp.names());
            extra.removeAll(indexed);
            cp.close();
            throw new CheckpointException(
                    index,
                    "the index and the " + (safetensors ? "safetensors" : "pickle")
                            + " shards disagree: missing tensors " + limit(missing) + ", extra tensors "
                            + limit(extra));
        }
        return cp;
    }

    private static String limit(Set<String> names) {
        List<String> l = new ArrayList<>(names);
        return l.size() <= 8 ? l.toString() : l.subList(0, 8) + " and " + (l.size() - 8) + " more";
    }

    /** Files in {@code dir} named {@code prefix*suffix}, sorted by name (as convert_hf_to_gguf does). */
    static List<String> weightFiles(Path dir, String prefix, String suffix) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(prefix) && n.endsWith(suffix))
                    .filter(n -> Files.isRegularFile(dir.resolve(n)))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new CheckpointException(Code.IO, dir, "cannot list: " + e, e);
        }
    }

    private static void closeAll(List<Closeable> open) {
        for (Closeable c : open) {
            try {
                c.close();
            } catch (IOException ignored) {
                // reporting the original failure
            }
        }
    }
}
