package io.llava4j.convert.checkpoint;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The only objects {@link RestrictedUnpickler} builds besides Python's plain values (tuples as
 * {@code Object[]}, lists, dicts, numbers, strings, bytes): PyTorch and NumPy tensor descriptions,
 * never the data itself.
 */
final class PickledObjects {
    private PickledObjects() {}

    /** Objects that accept pickle's {@code BUILD} (Python's {@code __setstate__}). */
    interface Buildable {
        void setState(Object state);
    }

    /** A {@code bytes} value left in the file: {@code length} bytes at absolute {@code offset}. */
    record FileBytes(long offset, long length) {}

    /** A {@code torch.*Storage} class named in a pickle (only ever used as a type tag). */
    record StorageType(String name, DType dtype) {}

    /** A storage of a torch zip archive: its element type and the {@code data/<key>} entry holding it. */
    record TorchStorage(DType dtype, String key) {}

    /** {@code torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)}. */
    record TorchTensor(TorchStorage storage, long storageOffset, long[] shape, long[] stride) {
        @Override
        public String toString() {
            return storage + "+" + storageOffset + " " + Arrays.toString(shape) + "/" + Arrays.toString(stride);
        }
    }

    /** {@code collections.OrderedDict}; its pickled instance attributes (e.g. torch's {@code _metadata}) are dropped. */
    static final class PickledDict extends LinkedHashMap<Object, Object> implements Buildable {
        private static final long serialVersionUID = 1L;

        @Override
        public void setState(Object state) {
            // attributes such as _metadata describe module versions, not tensors
        }
    }

    /** The class {@code numpy.ndarray}, passed to {@code _reconstruct}. */
    enum NdarrayClass {
        INSTANCE
    }

    /** {@code numpy.dtype(code, align, copy)} plus its state {@code (version, byteorder, ...)}. */
    static final class NumpyDtype implements Buildable {
        final String code;
        String byteOrder = "=";

        NumpyDtype(String code) {
            this.code = code;
        }

        @Override
        public void setState(Object state) {
            if (state instanceof Object[] t && t.length > 1 && t[1] instanceof String order) {
                byteOrder = order;
            }
        }

        @Override
        public String toString() {
            return "dtype(" + byteOrder + code + ")";
        }
    }

    /**
     * {@code numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')} plus its state
     * {@code (version, shape, dtype, is_fortran, rawdata)}; {@code data} is a {@code byte[]} or
     * {@link FileBytes}.
     */
    static final class NumpyArray implements Buildable {
        long[] shape;
        NumpyDtype dtype;
        boolean fortran;
        Object data;

        @Override
        public void setState(Object state) {
            if (!(state instanceof Object[] t)
                    || t.length != 5
                    || !(t[1] instanceof Object[] dims)
                    || !(t[2] instanceof NumpyDtype d)) {
                throw new IllegalArgumentException("unexpected numpy array state");
            }
            shape = new long[dims.length];
            for (int i = 0; i < dims.length; i++) {
                shape[i] = ((Number) dims[i]).longValue();
            }
            dtype = d;
            fortran = Boolean.TRUE.equals(t[3]);
            data = t[4];
        }
    }

    /** A {@code Map} view helper: pickled dict keys as strings, in order. */
    static Map<String, Object> stringKeys(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }
}
