package io.llava4j.cli;

import java.util.Locale;

/** Human-readable sizes and counts. */
final class Sizes {
    private Sizes() {}

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    static String count(long n) {
        if (n < 1000) {
            return Long.toString(n);
        }
        String[] units = {"K", "M", "B", "T"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f%s", v, units[u]);
    }

    private static final java.util.regex.Pattern SIZE =
            java.util.regex.Pattern.compile("(\\d{1,15}(?:\\.\\d{1,9})?)\\s*([KMGT]?)(?:I?B)?");

    /**
     * Parses a size such as {@code 6G}, {@code 6GiB}, {@code 512M}, {@code 8000000000} (K, M, G, T
     * are powers of 1024, as GPU memory is quoted); -1 when the text is not a size.
     */
    static long parseBytes(String text) {
        java.util.regex.Matcher m = SIZE.matcher(text.strip().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            return -1;
        }
        int shift = switch (m.group(2)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        return new java.math.BigDecimal(m.group(1))
                .multiply(java.math.BigDecimal.valueOf(1L << shift))
                .longValue();
    }
}
