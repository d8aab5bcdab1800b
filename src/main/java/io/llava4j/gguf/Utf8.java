package io.llava4j.gguf;

/**
 * The UTF-8 check the reader applies to every string, without decoding: RFC 3629 well-formedness,
 * the same bytes that Java's UTF-8 decoder accepts with {@code CodingErrorAction.REPORT} (no
 * overlong forms, no encoded surrogates, nothing above U+10FFFF, no truncated sequences).
 */
final class Utf8 {
    private Utf8() {}

    /** Whether {@code b[from, to)} is well-formed UTF-8. */
    static boolean isWellFormed(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            int lead = b[i];
            if (lead >= 0) {
                i++;
                continue;
            }
            lead &= 0xFF;
            if (lead < 0xC2 || lead > 0xF4) {
                return false; // a continuation byte, an overlong 2-byte lead (C0, C1), or above U+10FFFF
            }
            int length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            if (length > to - i) {
                return false;
            }
            // the second byte's range rules out overlong forms (E0, F0), surrogates (ED) and > U+10FFFF (F4)
            int second = b[i + 1] & 0xFF;
            int low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
            int high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
            if (second < low || second > high) {
                return false;
            }
            for (int k = 2; k < length; k++) {
                if ((b[i + k] & 0xC0) != 0x80) {
                    return false;
                }
            }
            i += length;
        }
        return true;
    }
}
