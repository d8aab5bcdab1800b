package io.llava4j.cli;

import io.llava4j.gguf.GgmlType;
import java.util.Locale;

/** The KV cache types the CLI accepts ({@code --kv-type}). */
final class KvTypes {
    private KvTypes() {}

    /** f16, f32, q8_0 or q4_0 (any case); null for anything else. */
    static GgmlType parse(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "q8_0" -> GgmlType.Q8_0;
            case "q4_0" -> GgmlType.Q4_0;
            default -> null;
        };
    }
}
