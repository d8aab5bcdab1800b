package io.llava4j.cli;

import java.util.Locale;

/** Renders text for a terminal: control characters escaped, the whole value quoted. */
final class Printable {
    private Printable() {}

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('\'');
        s.codePoints().forEach(c -> {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\'' -> b.append("\\'");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format(Locale.ROOT, "\\x%02x", c));
                    } else {
                        b.appendCodePoint(c);
                    }
                }
            }
        });
        return b.append('\'').toString();
    }
}
