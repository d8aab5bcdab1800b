package io.llava4j.gguf;

import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * The elements of a STRING array stored as they are in the file: the UTF-8 bytes of all elements
 * back to back in one array, and where each element starts. Qwen2's vocabulary of 151,936 tokens
 * takes 2 MB this way (1.4 MB of UTF-8, 0.6 MB of offsets) instead of some 10 MB as {@code String}
 * objects, each with its own backing array; a {@code String} is made only when an element is read.
 *
 * <p>Every element is well-formed UTF-8, so equal byte ranges mean equal strings and
 * {@link #equals} can compare bytes. Immutable once built: neither array is handed out of the
 * package, and the package never writes to them after construction.
 */
final class PackedStrings {
    static final PackedStrings EMPTY = new PackedStrings(new byte[0], new int[1]);

    /** The UTF-8 bytes of all elements, back to back. */
    private final byte[] utf8;
    /** {@code size() + 1} entries: element {@code i} is {@code utf8[offsets[i], offsets[i + 1])}. */
    private final int[] offsets;

    /** Takes ownership of both arrays; {@code offsets} starts at 0 and ends at {@code utf8.length}. */
    PackedStrings(byte[] utf8, int[] offsets) {
        this.utf8 = utf8;
        this.offsets = offsets;
    }

    /**
     * Encodes strings that the caller has checked to be well-formed UTF-16.
     *
     * @throws IllegalArgumentException if the encoded bytes would not fit one Java array
     */
    static PackedStrings encode(String[] strings) {
        if (strings.length == 0) {
            return EMPTY;
        }
        byte[][] parts = new byte[strings.length][];
        int[] offsets = new int[strings.length + 1];
        long total = 0;
        for (int i = 0; i < strings.length; i++) {
            parts[i] = strings[i].getBytes(StandardCharsets.UTF_8);
            total += parts[i].length;
            if (total > GgufInput.MAX_ARRAY_BYTES) {
                throw new IllegalArgumentException("a STRING array of more than " + GgufInput.MAX_ARRAY_BYTES
                        + " bytes of UTF-8 does not fit in one Java array");
            }
            offsets[i + 1] = (int) total;
        }
        byte[] utf8 = new byte[(int) total];
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(parts[i], 0, utf8, offsets[i], parts[i].length);
        }
        return new PackedStrings(utf8, offsets);
    }

    int size() {
        return offsets.length - 1;
    }

    /** A new {@code String} for element {@code i}. @throws IndexOutOfBoundsException if out of range */
    String get(int i) {
        Objects.checkIndex(i, size());
        int from = offsets[i];
        return new String(utf8, from, offsets[i + 1] - from, StandardCharsets.UTF_8);
    }

    /** The shared byte array; package use only (writer), never written to. */
    byte[] utf8() {
        return utf8;
    }

    /** Where element {@code i}'s bytes start in {@link #utf8()}. */
    int start(int i) {
        return offsets[i];
    }

    /** The number of UTF-8 bytes of element {@code i}. */
    int byteLength(int i) {
        return offsets[i + 1] - offsets[i];
    }

    /** An unmodifiable view that decodes an element each time one is read. */
    List<String> asList() {
        return new View();
    }

    private final class View extends AbstractList<String> implements RandomAccess {
        @Override
        public String get(int index) {
            return PackedStrings.this.get(index);
        }

        @Override
        public int size() {
            return PackedStrings.this.size();
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackedStrings other
                && Arrays.equals(offsets, other.offsets)
                && Arrays.equals(utf8, other.utf8);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(offsets) + Arrays.hashCode(utf8);
    }
}
