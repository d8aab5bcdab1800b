package io.llava4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.convert.CheckpointFiles.Tensor;
import io.llava4j.convert.checkpoint.Checkpoint;
import io.llava4j.convert.checkpoint.CheckpointTensor;
import io.llava4j.convert.checkpoint.Checkpoints;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The weight-file readers: safetensors shards, torch zip pickles, Paddle pickles, and hostile pickles. */
class ConvertReadersTest {
    @TempDir
    Path dir;

    /** A small tensor (kept inline in a pickle) and one over 64 KiB (left in the file and streamed). */
    static Map<String, Tensor> sample() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("model.norm.weight", new Tensor(new long[] {6}, new float[] {1, -2, 3.5f, 0, 1e-3f, 7}));
        float[] big = new float[300 * 70];
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) Math.sin(i * 0.37) * (i % 13);
        }
        m.put("model.embed_tokens.weight", new Tensor(new long[] {300, 70}, big));
        m.put("lm_head.weight", new Tensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        return m;
    }

    static void assertSame(Map<String, Tensor> expected, Checkpoint cp) {
        // pickled dicts do not promise an order; compare the sets
        assertEquals(new java.util.TreeSet<>(expected.keySet()), new java.util.TreeSet<>(cp.names()));
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            CheckpointTensor t = cp.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), t.shape(), e.getKey());
            assertArrayEquals(e.getValue().data(), t.readAllFloats(), e.getKey());
        }
    }

    @Test
    void readsShardedSafetensorsThroughTheIndex() {
        CheckpointFiles.shardedSafetensors(dir, sample(), 3);
        try (Checkpoint cp = Checkpoints.open(dir)) {
            assertSame(sample(), cp);
        }
    }

    @Test
    void refusesAnIndexThatDisagreesWithTheShards() {
        CheckpointFiles.shardedSafetensors(dir, sample(), 2);
        CheckpointFiles.write(
                dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"model.norm.weight\":\"model-00001-of-00002.safetensors\"}}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("model.safetensors.index.json"), e.getMessage());
    }

    @Test
    void readsTorchZipCheckpoints() {
        CheckpointFiles.torchZip(dir.resolve("pytorch_model.bin"), sample());
        try (Checkpoint cp = Checkpoints.open(dir)) {
            assertSame(sample(), cp);
        }
    }

    @Test
    void readsPaddleParamsStreamingLargeArraysFromTheFile() {
        CheckpointFiles.pdparams(dir.resolve("model_state.pdparams"), sample());
        try (Checkpoint cp = Checkpoints.open(dir)) {
            assertSame(sample(), cp);
        }
    }

    @Test
    void refusesATorchTensorThatIsNotContiguous() throws IOException {
        PickleWriter p = new PickleWriter()
                .proto(2)
                .global("collections", "OrderedDict")
                .emptyTuple()
                .reduce()
                .mark()
                .str("w")
                .global("torch._utils", "_rebuild_tensor_v2")
                .mark()
                .mark()
                .str("storage")
                .global("torch", "FloatStorage")
                .str("0")
                .str("cpu")
                .integer(6)
                .tuple()
                .binPersId()
                .integer(0)
                .intTuple(2, 3)
                .intTuple(1, 2)
                .bool(false)
                .global("collections", "OrderedDict")
                .emptyTuple()
                .reduce()
                .tuple()
                .reduce()
                .setItems()
                .stop();
        zip(dir.resolve("pytorch_model.bin"), p.toByteArray(), CheckpointFiles.le(new float[6]));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("'w' is not contiguous"), e.getMessage());
    }

    /** The classic payload: {@code __reduce__} returning {@code (os.system, ("touch MARKER",))}. */
    private byte[] systemCall(Path marker, boolean stackGlobal) {
        PickleWriter p = new PickleWriter().proto(stackGlobal ? 4 : 2);
        if (stackGlobal) {
            p.stackGlobal("os", "system");
        } else {
            p.global("posix", "system");
        }
        return p.mark().str("touch " + marker).tuple().reduce().stop().toByteArray();
    }

    @Test
    void refusesAPickleThatCallsOsSystemInPaddleParams() throws IOException {
        Path marker = dir.resolve("pwned");
        Files.write(dir.resolve("model_state.pdparams"), systemCall(marker, false));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("refused to load pickle global 'posix.system'"), e.getMessage());
        assertTrue(e.getMessage().contains("model_state.pdparams"), e.getMessage());
        assertFalse(Files.exists(marker));
    }

    @Test
    void refusesAPickleThatCallsOsSystemInATorchZip() throws IOException {
        Path marker = dir.resolve("pwned");
        zip(dir.resolve("pytorch_model.bin"), systemCall(marker, true), new byte[0]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("refused to load pickle global 'os.system'"), e.getMessage());
        assertFalse(Files.exists(marker));
    }

    @Test
    void refusesEvalAndTheInstOpcode() throws IOException {
        byte[] eval = new PickleWriter()
                .proto(2)
                .global("builtins", "eval")
                .mark()
                .str("1+1")
                .tuple()
                .reduce()
                .stop()
                .toByteArray();
        Files.write(dir.resolve("model_state.pdparams"), eval);
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoints.open(dir))
                .getMessage()
                .contains("'builtins.eval'"));
        // INST: "i" module\n name\n, builds an instance of any class
        PickleWriter inst = new PickleWriter().proto(2).mark().str("x").op('i');
        byte[] body = "os\nsystem\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] head = inst.toByteArray();
        byte[] all = new byte[head.length + body.length + 1];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        all[all.length - 1] = '.';
        Files.write(dir.resolve("model_state.pdparams"), all);
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoints.open(dir))
                .getMessage()
                .contains("refused pickle opcode"));
    }

    @Test
    void reportsATruncatedPickleAsABadFile() throws IOException {
        CheckpointFiles.pdparams(dir.resolve("model_state.pdparams"), sample());
        byte[] all = Files.readAllBytes(dir.resolve("model_state.pdparams"));
        Files.write(dir.resolve("model_state.pdparams"), java.util.Arrays.copyOf(all, 200));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("model_state.pdparams"), e.getMessage());
    }

    private static void zip(Path file, byte[] pickle, byte[] storage) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
                ZipOutputStream zip = new ZipOutputStream(os)) {
            CheckpointFiles.stored(zip, "archive/data.pkl", pickle);
            CheckpointFiles.stored(zip, "archive/data/0", storage);
        }
    }
}
