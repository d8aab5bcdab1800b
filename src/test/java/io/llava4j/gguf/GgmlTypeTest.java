package io.llava4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The type table against ggml's (ids, block geometry) and llama.cpp's row sizes. */
class GgmlTypeTest {
    @Test
    void idsAreUniqueAndRetiredIdsAreUnknown() {
        Set<Integer> ids = new HashSet<>();
        for (GgmlType t : GgmlType.values()) {
            assertTrue(ids.add(t.id()), t.toString());
            assertTrue(t.id() < GgmlType.COUNT);
            assertEquals(t, GgmlType.fromId(t.id()));
            // ROOT: in a Turkish default locale "IQ4_NL".toLowerCase() is "\u0131q4_nl" (dotless i)
            assertEquals(t.name().toLowerCase(Locale.ROOT), t.ggmlName().toLowerCase(Locale.ROOT));
        }
        for (int retired : new int[] {4, 5, 31, 32, 33, 36, 37, 38}) {
            assertNull(GgmlType.fromId(retired));
        }
        assertNull(GgmlType.fromId(GgmlType.COUNT));
        assertNull(GgmlType.fromId(-1));
        assertEquals(GgmlType.COUNT - 8, GgmlType.values().length);
    }

    @Test
    void rowSizesMatchLlamaCpp() {
        // ggml_row_size(type, 4096) for a LLaMA-7B row, as llama.cpp reports model sizes
        assertEquals(16384, GgmlType.F32.byteSize(4096));
        assertEquals(8192, GgmlType.F16.byteSize(4096));
        assertEquals(2304, GgmlType.Q4_0.byteSize(4096));
        assertEquals(4352, GgmlType.Q8_0.byteSize(4096));
        assertEquals(2304, GgmlType.Q4_K.byteSize(4096));
        assertEquals(3360, GgmlType.Q6_K.byteSize(4096));
        assertEquals(2176, GgmlType.IQ4_XS.byteSize(4096));
        assertTrue(GgmlType.Q2_K.isQuantized());
        assertTrue(!GgmlType.BF16.isQuantized());
        assertThrows(IllegalArgumentException.class, () -> GgmlType.Q4_K.byteSize(100));
        assertThrows(ArithmeticException.class, () -> GgmlType.F64.byteSize(Long.MAX_VALUE));
    }

    @Test
    void valueTypeIds() {
        for (GgufValueType t : GgufValueType.values()) {
            assertEquals(t, GgufValueType.fromId(t.id()));
        }
        assertEquals(9, GgufValueType.ARRAY.id());
        assertEquals(12, GgufValueType.FLOAT64.id());
        assertNull(GgufValueType.fromId(13));
    }
}
