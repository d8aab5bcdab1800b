package io.llava4j.gguf;

import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/** Reads tensor data of a {@link GgufFile} from disk on request (tests and tools only). */
final class GgufTensorData {
    private static final int MAX_HEAP_BYTES = Integer.MAX_VALUE - 16;

    private GgufTensorData() {}

    static ByteBuffer readBytes(GgufFile file, GgufTensorInfo t) {
        if (t.byteSize() > MAX_HEAP_BYTES) {
            throw file.problem(
                    "tensor '" + t.name() + "' has " + t.byteSize() + " bytes, too many for one heap buffer");
        }
        ByteBuffer out = ByteBuffer.allocate((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        long start = file.absoluteOffset(t);
        try (FileChannel ch = FileChannel.open(file.path(), StandardOpenOption.READ)) {
            while (out.hasRemaining()) {
                if (ch.read(out, start + out.position()) < 0) {
                    throw file.problem("file is truncated: it shrank since it was read and tensor '" + t.name()
                            + "' is no longer complete");
                }
            }
        } catch (IOException e) {
            throw new GgufFormatException(Code.IO, file.path(), "cannot read tensor '" + t.name() + "': " + e, e);
        }
        return out.flip();
    }

    static float[] readFloats(GgufFile file, GgufTensorInfo t) {
        GgmlType type = t.type();
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16) {
            throw file.problem("tensor '" + t.name() + "' has type " + type.ggmlName()
                    + "; only f32, f16 and bf16 tensors can be read as floats");
        }
        ByteBuffer b = readBytes(file, t);
        float[] out = new float[(int) t.elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (type) {
                case F32 -> b.getFloat();
                case F16 -> HalfFloat.toFloat(b.getShort());
                default -> HalfFloat.bf16ToFloat(b.getShort());
            };
        }
        return out;
    }
}
