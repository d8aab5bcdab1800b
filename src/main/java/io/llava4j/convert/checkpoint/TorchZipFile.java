package io.llava4j.convert.checkpoint;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.checkpoint.PickledObjects.StorageType;
import io.llava4j.convert.checkpoint.PickledObjects.TorchStorage;
import io.llava4j.convert.checkpoint.PickledObjects.TorchTensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * A PyTorch {@code .bin} checkpoint in the zip format {@code torch.save} writes since 1.6:
 * {@code <archive>/data.pkl} pickles the state dict, each tensor a
 * {@code _rebuild_tensor_v2(storage, offset, size, stride, ...)} whose storage is the persistent id
 * {@code ('storage', torch.<Type>Storage, key, location, numel)}, with the bytes in the stored
 * (uncompressed) entry {@code <archive>/data/<key>}. The pickle goes through
 * {@link RestrictedUnpickler}; tensor data is never read here: each tensor points at its bytes
 * inside the zip file, so it streams from disk like a safetensors tensor.
 *
 * <p>Refused: the legacy (pre-1.6, non-zip) format, compressed data entries, and tensors that are
 * not contiguous row-major views of their storage.
 */
final class TorchZipFile {
    private TorchZipFile() {}

    record Opened(FileChannel channel, Map<String, CheckpointTensor> tensors) {}

    /**
     * Opens {@code file} and reads its pickle.
     *
     * @throws CheckpointException {@code IO} if it cannot be read, {@code INVALID_FILE} if it is not a
     *     torch zip checkpoint or holds something other than tensors
     */
    static Opened open(Path file) {
        return WeightFiles.open(file, (f, ch) -> new Opened(ch, read(f, ch)));
    }

    private static Map<String, CheckpointTensor> read(Path file, FileChannel ch) {
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            ZipArchiveEntry pkl = null;
            for (ZipArchiveEntry e : Collections.list(zip.getEntries())) {
                String n = e.getName();
                if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                    pkl = e;
                    break;
                }
            }
            if (pkl == null) {
                throw new CheckpointException(file, "no <archive>/data.pkl entry: not a PyTorch zip checkpoint");
            }
            String prefix = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            Object root;
            try (InputStream in = zip.getInputStream(pkl)) {
                root = RestrictedUnpickler.load(file, in, 0, pid -> storage(file, pid));
            }
            if (!(root instanceof Map<?, ?> dict)) {
                throw new CheckpointException(
                        file, "the pickle holds " + root.getClass().getSimpleName() + ", not a state dict");
            }
            Map<String, CheckpointTensor> out = new LinkedHashMap<>();
            List<String> skipped = new ArrayList<>();
            for (Map.Entry<?, ?> e : dict.entrySet()) {
                String name = String.valueOf(e.getKey());
                if (e.getValue() instanceof TorchTensor t) {
                    out.put(name, tensor(file, ch, zip, prefix, name, t));
                } else {
                    skipped.add(name);
                }
            }
            if (out.isEmpty()) {
                throw new CheckpointException(file, "the state dict holds no tensors (entries: " + skipped + ")");
            }
            return out;
        } catch (IOException e) {
            throw new CheckpointException(
                    file, "not a readable zip archive (legacy torch.save format?): " + e.getMessage());
        }
    }

    private static Object storage(Path file, Object pid) {
        if (pid instanceof Object[] t
                && t.length >= 3
                && "storage".equals(t[0])
                && t[1] instanceof RestrictedUnpickler.TypeTag tag
                && tag.value() instanceof StorageType type) {
            return new TorchStorage(type.dtype(), String.valueOf(t[2]));
        }
        throw new CheckpointException(
                file,
                "unexpected persistent id "
                        + java.util.Arrays.deepToString(pid instanceof Object[] a ? a : new Object[] {pid}));
    }

    private static CheckpointTensor tensor(
            Path file, FileChannel ch, ZipFile zip, String prefix, String name, TorchTensor t) throws IOException {
        ZipArchiveEntry entry = zip.getEntry(prefix + "data/" + t.storage().key());
        if (entry == null) {
            throw new CheckpointException(
                    file,
                    "tensor '" + name + "': storage entry " + prefix + "data/"
                            + t.storage().key() + " is missing");
        }
        if (entry.getMethod() != ZipArchiveEntry.STORED) {
            throw new CheckpointException(
                    file,
                    "tensor '" + name + "': storage entry is compressed; torch.save"
                            + " stores tensor data uncompressed, re-save the checkpoint");
        }
        zip.getRawInputStream(entry).close(); // resolves the data offset, read lazily from the local header
        long[] shape = t.shape();
        long count;
        try {
            count = CheckpointTensor.elementCount(shape);
        } catch (ArithmeticException e) {
            throw new CheckpointException(file, "tensor '" + name + "': invalid shape");
        }
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && t.stride()[i] != expect) {
                throw new CheckpointException(file, "tensor '" + name + "' is not contiguous (" + t + ")");
            }
            expect *= shape[i];
        }
        int size = t.storage().dtype().size();
        long end = (t.storageOffset() + count) * size;
        if (t.storageOffset() < 0 || end > entry.getSize()) {
            throw new CheckpointException(
                    file, "tensor '" + name + "' reaches past its storage (" + entry.getSize() + " bytes)");
        }
        return new CheckpointTensor(
                name, t.storage().dtype(), shape, file, ch::read, entry.getDataOffset() + t.storageOffset() * size);
    }
}
