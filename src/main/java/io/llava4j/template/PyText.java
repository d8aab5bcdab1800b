package io.llava4j.template;

/**
 * The few Python {@code str} methods the reference templates depend on, with Python's exact
 * semantics (Java's {@code String.strip()} uses a different whitespace set).
 */
final class PyText {
    private PyText() {}

    /**
     * Python {@code str.isspace()} for one UTF-16 unit: all such characters are in the BMP
     * (bidirectional class WS/B/S or category Zs), including U+0085 and U+00A0 that Java's
     * {@code Character.isWhitespace} leaves out.
     */
    static boolean isSpace(char c) {
        return (c >= '\t' && c <= '\r')
                || (c >= '\u001c' && c <= ' ')
                || c == '\u0085'
                || c == '\u00a0'
                || c == '\u1680'
                || (c >= '\u2000' && c <= '\u200a')
                || c == '\u2028'
                || c == '\u2029'
                || c == '\u202f'
                || c == '\u205f'
                || c == '\u3000';
    }

    /** Python {@code s.strip()} (also Jinja's {@code trim} filter). */
    static String strip(String s) {
        int begin = 0;
        int end = s.length();
        while (begin < end && isSpace(s.charAt(begin))) {
            begin++;
        }
        while (end > begin && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(begin, end);
    }

    /** Python {@code s.lstrip(chars)}: drops leading characters that occur anywhere in {@code chars}. */
    static String lstripChars(String s, String chars) {
        int begin = 0;
        while (begin < s.length() && chars.indexOf(s.charAt(begin)) >= 0) {
            begin++;
        }
        return s.substring(begin);
    }
}
