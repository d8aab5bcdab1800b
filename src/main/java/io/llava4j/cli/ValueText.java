package io.llava4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.llava4j.gguf.GgufValue;
import io.llava4j.gguf.GgufValueType;
import java.io.IOException;
import java.util.List;

/** Renders GGUF metadata values for {@code info}: text for people, JSON for tools. */
final class ValueText {
    private static final int MAX_STRING = 120;

    private ValueText() {}

    /** A scalar as text (long strings shortened), or an array's first {@code max} elements (-1 = all). */
    static String render(GgufValue v, int max) {
        if (!v.isArray()) {
            return scalar(v);
        }
        int n = v.length();
        int shown = max < 0 ? n : Math.min(max, n);
        StringBuilder b = new StringBuilder("[");
        List<String> strings = v.elementType() == GgufValueType.STRING ? v.asStringList() : null;
        float[] floats = v.elementType() == GgufValueType.FLOAT32 ? v.asFloatArray() : null;
        double[] doubles = v.elementType() == GgufValueType.FLOAT64 ? v.asDoubleArray() : null;
        boolean[] bools = v.elementType() == GgufValueType.BOOL ? v.asBooleanArray() : null;
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                b.append(", ");
            }
            if (strings != null) {
                b.append(Printable.quote(shorten(strings.get(i))));
            } else if (floats != null) {
                b.append(floats[i]);
            } else if (doubles != null) {
                b.append(doubles[i]);
            } else if (bools != null) {
                b.append(bools[i]);
            } else if (v.elementType() == GgufValueType.UINT64) {
                b.append(Long.toUnsignedString(v.integerAt(i)));
            } else {
                b.append(v.integerAt(i));
            }
        }
        if (shown < n) {
            b.append(shown > 0 ? ", " : "").append("... ").append(n - shown).append(" more");
        }
        return b.append("]").toString();
    }

    static void writeJson(JsonGenerator g, GgufValue v, int max) throws IOException {
        if (!v.isArray()) {
            switch (v.type()) {
                case STRING -> g.writeString(v.asString());
                case BOOL -> g.writeBoolean(v.asBoolean());
                case FLOAT32 -> g.writeNumber(v.asFloat());
                case FLOAT64 -> g.writeNumber(v.asDouble());
                case UINT64 -> g.writeNumber(Long.toUnsignedString(v.asRawLong()));
                default -> g.writeNumber(v.asLong());
            }
            return;
        }
        int n = v.length();
        int shown = max < 0 ? n : Math.min(max, n);
        g.writeStartObject();
        g.writeStringField("type", v.elementType().toString());
        g.writeNumberField("length", n);
        g.writeArrayFieldStart("values");
        List<String> strings = v.elementType() == GgufValueType.STRING ? v.asStringList() : null;
        float[] floats = v.elementType() == GgufValueType.FLOAT32 ? v.asFloatArray() : null;
        double[] doubles = v.elementType() == GgufValueType.FLOAT64 ? v.asDoubleArray() : null;
        boolean[] bools = v.elementType() == GgufValueType.BOOL ? v.asBooleanArray() : null;
        for (int i = 0; i < shown; i++) {
            if (strings != null) {
                g.writeString(strings.get(i));
            } else if (floats != null) {
                g.writeNumber(floats[i]);
            } else if (doubles != null) {
                g.writeNumber(doubles[i]);
            } else if (bools != null) {
                g.writeBoolean(bools[i]);
            } else if (v.elementType() == GgufValueType.UINT64) {
                g.writeNumber(Long.toUnsignedString(v.integerAt(i)));
            } else {
                g.writeNumber(v.integerAt(i));
            }
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static String scalar(GgufValue v) {
        return switch (v.type()) {
            case STRING -> Printable.quote(shorten(v.asString()));
            case BOOL -> Boolean.toString(v.asBoolean());
            case FLOAT32 -> Float.toString(v.asFloat());
            case FLOAT64 -> Double.toString(v.asDouble());
            case UINT64 -> Long.toUnsignedString(v.asRawLong());
            default -> Long.toString(v.asLong());
        };
    }

    private static String shorten(String s) {
        return s.length() <= MAX_STRING ? s : s.substring(0, MAX_STRING) + "... (" + s.length() + " chars)";
    }
}
