package io.llava4j.convert;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes pickle opcodes (protocols 2 to 4) for test data: the same bytes Python's {@code pickle}
 * emits for torch state dicts, Paddle parameter dicts and hostile payloads. Opcodes as listed in
 * CPython's {@code Lib/pickletools.py}.
 */
final class PickleWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleWriter proto(int version) {
        out.write(0x80);
        out.write(version);
        return this;
    }

    PickleWriter global(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Pushes module and name, then STACK_GLOBAL (protocol 4). */
    PickleWriter stackGlobal(String module, String name) {
        return str(module).str(name).op(0x93);
    }

    PickleWriter str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        le(b.length, 4);
        out.writeBytes(b);
        return this;
    }

    PickleWriter integer(long v) {
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.write('J');
            le(v, 4);
        } else {
            out.write(0x8a); // LONG1
            out.write(8);
            le(v, 8);
        }
        return this;
    }

    /** BINBYTES (protocol 3+). */
    PickleWriter bytes(byte[] b) {
        out.write('B');
        le(b.length, 4);
        out.writeBytes(b);
        return this;
    }

    PickleWriter bool(boolean b) {
        return op(b ? 0x88 : 0x89);
    }

    PickleWriter none() {
        return op('N');
    }

    PickleWriter mark() {
        return op('(');
    }

    PickleWriter tuple() {
        return op('t');
    }

    PickleWriter emptyTuple() {
        return op(')');
    }

    PickleWriter emptyDict() {
        return op('}');
    }

    PickleWriter setItems() {
        return op('u');
    }

    PickleWriter setItem() {
        return op('s');
    }

    PickleWriter reduce() {
        return op('R');
    }

    PickleWriter build() {
        return op('b');
    }

    PickleWriter binPersId() {
        return op('Q');
    }

    PickleWriter stop() {
        return op('.');
    }

    PickleWriter op(int code) {
        out.write(code);
        return this;
    }

    /** A tuple of integers: MARK, ints, TUPLE. */
    PickleWriter intTuple(long... values) {
        mark();
        for (long v : values) {
            integer(v);
        }
        return tuple();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void le(long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
    }
}
