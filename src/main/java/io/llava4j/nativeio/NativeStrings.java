package io.llava4j.nativeio;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.bytedeco.javacpp.BytePointer;

/**
 * Strings cross the boundary as NUL-terminated UTF-8 (JNI's own string conversion is "modified
 * UTF-8", which differs for NUL and for characters outside the BMP such as emoji).
 */
public final class NativeStrings {
    private NativeStrings() {}

    /** A new NUL-terminated UTF-8 copy of s; the caller closes it. */
    public static BytePointer utf8(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        BytePointer p = new BytePointer(bytes.length + 1L);
        p.put(bytes, 0, bytes.length).put(bytes.length, (byte) 0);
        return p;
    }

    /** The absolute path as NUL-terminated UTF-8; the caller closes it. */
    public static BytePointer path(Path path) {
        return utf8(path.toAbsolutePath().toString());
    }
}
