package io.llava4j.gguf;

import java.io.IOException;

/**
 * Encoding and decoding of metadata values ({@code gguf_read_emplace_helper} and
 * {@code gguf_writer_base::write(const gguf_kv &)} in {@code ggml/src/gguf.cpp}): a u32 type id,
 * then the value; for an array a u32 element type, a u64 count and the elements.
 */
final class GgufValueIO {
    private GgufValueIO() {}

    /** Reads the type and value of metadata key {@code key}; the key itself has been read. */
    static GgufValue read(GgufInput in, String key) throws IOException {
        String what = "key '" + key + "'";
        long typeId = in.u32("type of " + what);
        GgufValueType type = GgufValueType.fromId(typeId);
        if (type == null) {
            throw in.fail(what + " has unknown value type " + typeId);
        }
        if (type != GgufValueType.ARRAY) {
            return new GgufValue(type, null, readScalar(in, type, what));
        }
        long elemId = in.u32("element type of " + what);
        GgufValueType elem = GgufValueType.fromId(elemId);
        if (elem == null) {
            throw in.fail(what + " is an array of unknown value type " + elemId);
        }
        if (elem == GgufValueType.ARRAY) {
            throw in.fail(what + " is an array of arrays, which llama.cpp does not support");
        }
        long n = in.u64("element count of " + what);
        if (n < 0 || n > GgufReader.MAX_ARRAY_ELEMENTS || n > in.remaining() / elem.minEncodedSize()) {
            throw in.fail(what + " is an array of " + Long.toUnsignedString(n) + " " + elem
                    + " elements, which cannot fit in the " + in.remaining()
                    + " bytes left: the file is truncated or corrupt");
        }
        return new GgufValue(type, elem, readArray(in, elem, (int) n, what));
    }

    private static Object readScalar(GgufInput in, GgufValueType t, String what) throws IOException {
        String w = "value of " + what;
        return switch (t) {
            case UINT8 -> (long) in.u8(w);
            case INT8 -> (long) (byte) in.u8(w);
            case UINT16 -> (long) (in.i16(w) & 0xFFFF);
            case INT16 -> (long) in.i16(w);
            case UINT32 -> in.u32(w);
            case INT32 -> (long) in.i32(w);
            case UINT64, INT64 -> in.u64(w);
            case FLOAT32 -> in.f32(w);
            case FLOAT64 -> in.f64(w);
            case BOOL -> in.u8(w) != 0; // like llama.cpp: any non-zero byte is true
            case STRING -> in.string(w);
            case ARRAY -> throw new AssertionError("handled by read");
        };
    }

    private static Object readArray(GgufInput in, GgufValueType t, int n, String what) throws IOException {
        String w = "elements of " + what;
        switch (t) {
            case UINT8, INT8:
                return in.bytes(n, w);
            case UINT16, INT16: {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) a[i] = in.i16(w);
                return a;
            }
            case UINT32, INT32: {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) a[i] = in.i32(w);
                return a;
            }
            case UINT64, INT64: {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) a[i] = in.u64(w);
                return a;
            }
            case FLOAT32: {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) a[i] = in.f32(w);
                return a;
            }
            case FLOAT64: {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) a[i] = in.f64(w);
                return a;
            }
            case BOOL: {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) a[i] = in.u8(w) != 0;
                return a;
            }
            case STRING:
                return in.strings(n, what);
            default:
                throw new AssertionError(t);
        }
    }

    /** Writes the type and value of one metadata pair (the key has been written). */
    static void write(GgufOutput out, GgufValue v) throws IOException {
        out.i32(v.type().id());
        if (!v.isArray()) {
            writeScalar(out, v.type(), v.raw());
            return;
        }
        GgufValueType t = v.elementType();
        out.i32(t.id());
        out.i64(v.length());
        Object a = v.raw();
        switch (t) {
            case UINT8, INT8 -> out.bytes((byte[]) a);
            case UINT16, INT16 -> {
                for (short x : (short[]) a) out.i16(x);
            }
            case UINT32, INT32 -> {
                for (int x : (int[]) a) out.i32(x);
            }
            case UINT64, INT64 -> {
                for (long x : (long[]) a) out.i64(x);
            }
            case FLOAT32 -> {
                for (float x : (float[]) a) out.i32(Float.floatToRawIntBits(x));
            }
            case FLOAT64 -> {
                for (double x : (double[]) a) out.i64(Double.doubleToRawLongBits(x));
            }
            case BOOL -> {
                for (boolean x : (boolean[]) a) out.u8(x ? 1 : 0);
            }
            case STRING -> {
                PackedStrings strings = (PackedStrings) a;
                for (int i = 0; i < strings.size(); i++) {
                    out.string(strings.utf8(), strings.start(i), strings.byteLength(i));
                }
            }
            default -> throw new AssertionError(t);
        }
    }

    private static void writeScalar(GgufOutput out, GgufValueType t, Object v) throws IOException {
        switch (t) {
            case UINT8, INT8 -> out.u8((int) (long) (Long) v);
            case UINT16, INT16 -> out.i16((short) (long) (Long) v);
            case UINT32, INT32 -> out.i32((int) (long) (Long) v);
            case UINT64, INT64 -> out.i64((Long) v);
            case FLOAT32 -> out.i32(Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> out.i64(Double.doubleToRawLongBits((Double) v));
            case BOOL -> out.u8((Boolean) v ? 1 : 0);
            case STRING -> out.string((String) v);
            default -> throw new AssertionError(t);
        }
    }
}
