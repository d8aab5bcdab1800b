package io.llava4j.convert.checkpoint;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.checkpoint.PickledObjects.Buildable;
import io.llava4j.convert.checkpoint.PickledObjects.FileBytes;
import io.llava4j.convert.checkpoint.PickledObjects.NdarrayClass;
import io.llava4j.convert.checkpoint.PickledObjects.NumpyArray;
import io.llava4j.convert.checkpoint.PickledObjects.NumpyDtype;
import io.llava4j.convert.checkpoint.PickledObjects.PickledDict;
import io.llava4j.convert.checkpoint.PickledObjects.StorageType;
import io.llava4j.convert.checkpoint.PickledObjects.TorchStorage;
import io.llava4j.convert.checkpoint.PickledObjects.TorchTensor;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Pyrolite's unpickler restricted to tensor data, the way {@code torch.load(weights_only=True)}
 * restricts Python's: a pickle may name only the globals of {@link #ALLOWED} (torch's tensor
 * rebuild functions and storage types, {@code collections.OrderedDict}, NumPy's array
 * reconstruction, {@code tuple} and {@code _codecs.encode}); any other global ({@code os.system},
 * {@code builtins.eval}, ...) and the {@code INST}/{@code OBJ}/{@code EXT*} opcodes are refused
 * with a {@link CheckpointException} naming it, before anything is constructed. Nothing in a
 * pickle is ever executed: Pyrolite builds Java values, and only our constructors run.
 *
 * <p>{@code bytes} values of {@link #INLINE_LIMIT} bytes or more (the raw data of Paddle's NumPy
 * arrays) are not read: they become {@link FileBytes} with their absolute file offset, so a large
 * checkpoint is never held in memory. Not thread-safe; one instance per pickle.
 */
final class RestrictedUnpickler extends Unpickler {
    /** Larger {@code bytes} values stay in the file. */
    static final int INLINE_LIMIT = 1 << 16;

    private static final Map<String, IObjectConstructor> ALLOWED = new HashMap<>();

    static {
        ALLOWED.put("collections.OrderedDict", args -> new PickledDict());
        ALLOWED.put("torch._utils._rebuild_tensor_v2", RestrictedUnpickler::rebuildTensor);
        ALLOWED.put("torch._utils._rebuild_parameter", args -> args[0]);
        ALLOWED.put("torch._utils._rebuild_parameter_with_state", args -> args[0]);
        for (Object[] s : new Object[][] {
            {"Float", DType.F32},
            {"Half", DType.F16},
            {"BFloat16", DType.BF16},
            {"Double", DType.F64},
            {"Long", DType.I64},
            {"Int", DType.I32},
            {"Short", DType.I16},
            {"Char", DType.I8},
            {"Byte", DType.U8},
            {"Bool", DType.BOOL}
        }) {
            String name = s[0] + "Storage";
            StorageType type = new StorageType(name, (DType) s[1]);
            ALLOWED.put("torch." + name, new TypeTag(type));
        }
        for (String np : new String[] {"numpy.core.multiarray", "numpy._core.multiarray"}) {
            ALLOWED.put(np + "._reconstruct", args -> new NumpyArray());
        }
        ALLOWED.put("numpy.ndarray", new TypeTag(NdarrayClass.INSTANCE));
        ALLOWED.put("numpy.dtype", args -> new NumpyDtype(String.valueOf(args[0])));
        ALLOWED.put("builtins.tuple", args -> args.length == 0 ? new Object[0] : args[0]);
        ALLOWED.put("__builtin__.tuple", ALLOWED.get("builtins.tuple"));
        // protocol 2 pickles from Python 3 write bytes as _codecs.encode(latin1 text, "latin1")
        ALLOWED.put("_codecs.encode", args -> String.valueOf(args[0]).getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A global that is a value (a class used as a tag), not something to call. */
    record TypeTag(Object value) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("calling " + value + " is not allowed");
        }
    }

    private final Path file;
    private final Function<Object, Object> persistentLoad;
    private Positioned in;

    private RestrictedUnpickler(Path file, Function<Object, Object> persistentLoad) {
        this.file = file;
        this.persistentLoad = persistentLoad;
    }

    /**
     * Unpickles one object.
     *
     * @param file the file, for messages
     * @param stream the pickle; not closed here
     * @param base the absolute file offset of the stream's first byte (for {@link FileBytes})
     * @param persistentLoad resolves {@code PERSID}/{@code BINPERSID} ids (null: refused)
     * @throws CheckpointException if the pickle names a global outside the whitelist, uses a refused
     *     opcode, or is malformed or truncated
     */
    static Object load(Path file, InputStream stream, long base, Function<Object, Object> persistentLoad) {
        RestrictedUnpickler u = new RestrictedUnpickler(file, persistentLoad);
        u.in = new Positioned(stream, base);
        try {
            return u.load(u.in);
        } catch (CheckpointException e) {
            throw e;
        } catch (EOFException e) {
            throw new CheckpointException(file, "truncated pickle");
        } catch (IOException e) {
            throw new CheckpointException(io.llava4j.Llava4jException.Code.IO, file, "cannot read: " + e, e);
        } catch (RuntimeException e) { // PickleException, ClassCastException on malformed structure
            throw new CheckpointException(file, "malformed pickle: " + e.getMessage());
        }
    }

    @Override
    protected Object dispatch(short key) throws IOException {
        switch (key) {
            case Opcodes.GLOBAL -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                Object module = stack.pop();
                stack.add(resolve(String.valueOf(module), String.valueOf(name)));
                return NO_RETURN_VALUE;
            }
            case Opcodes.INST, Opcodes.OBJ, Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 ->
                throw new CheckpointException(
                        file,
                        "refused pickle opcode 0x" + Integer.toHexString(key) + " (builds arbitrary objects);"
                                + " only tensor data can be loaded");
            case Opcodes.EMPTY_DICT -> {
                stack.add(new PickledDict());
                return NO_RETURN_VALUE;
            }
            case Opcodes.BUILD -> {
                Object state = stack.pop();
                if (!(stack.peek() instanceof Buildable b)) {
                    throw new CheckpointException(file, "refused pickle BUILD on " + describe(stack.peek()));
                }
                b.setState(state);
                return NO_RETURN_VALUE;
            }
            case Opcodes.SHORT_BINBYTES -> {
                stack.add(bytes(PickleUtils.readbyte(input)));
                return NO_RETURN_VALUE;
            }
            case Opcodes.BINBYTES -> {
                stack.add(bytes(PickleUtils.bytes_to_uint(PickleUtils.readbytes(input, 4), 0)));
                return NO_RETURN_VALUE;
            }
            case Opcodes.BINBYTES8 -> {
                stack.add(bytes(PickleUtils.bytes_to_long(PickleUtils.readbytes(input, 8), 0)));
                return NO_RETURN_VALUE;
            }
            default -> {
                return super.dispatch(key);
            }
        }
    }

    private Object bytes(long length) throws IOException {
        if (length < 0) {
            throw new CheckpointException(file, "negative bytes length in pickle");
        }
        if (length < INLINE_LIMIT) {
            return PickleUtils.readbytes(input, (int) length);
        }
        long offset = in.position();
        in.skipFully(length);
        return new FileBytes(offset, length);
    }

    private IObjectConstructor resolve(String module, String name) {
        IObjectConstructor c = ALLOWED.get(module + "." + name);
        if (c == null) {
            throw new CheckpointException(
                    file,
                    "refused to load pickle global '" + module + "." + name
                            + "': only tensor data (torch tensors and storages, OrderedDict, NumPy arrays) is allowed");
        }
        return c;
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (persistentLoad == null) {
            throw new CheckpointException(file, "refused persistent id " + describe(pid) + " in a plain pickle");
        }
        return persistentLoad.apply(pid);
    }

    private static String describe(Object o) {
        return o instanceof Object[] a ? java.util.Arrays.deepToString(a) : String.valueOf(o);
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private static Object rebuildTensor(Object[] args) {
        if (args.length < 4
                || !(args[0] instanceof TorchStorage s)
                || !(args[2] instanceof Object[] size)
                || !(args[3] instanceof Object[] stride)
                || size.length != stride.length) {
            throw new PickleException("unexpected _rebuild_tensor_v2 arguments");
        }
        return new TorchTensor(s, ((Number) args[1]).longValue(), longs(size), longs(stride));
    }

    private static long[] longs(Object[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = ((Number) a[i]).longValue();
        }
        return out;
    }

    /** Counts the bytes read so far, so skipped {@code bytes} values get their file offset. */
    private static final class Positioned extends FilterInputStream {
        private long position;

        Positioned(InputStream in, long base) {
            super(in);
            this.position = base;
        }

        long position() {
            return position;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                position++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            position += s;
            return s;
        }

        void skipFully(long n) throws IOException {
            long left = n;
            while (left > 0) {
                long s = skip(left);
                if (s <= 0) {
                    if (read() < 0) {
                        throw new EOFException();
                    }
                    s = 1;
                }
                left -= s;
            }
        }
    }
}
