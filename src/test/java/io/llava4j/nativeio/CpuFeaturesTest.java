package io.llava4j.nativeio;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A native build made for instructions this CPU lacks is refused with a message, not run into SIGILL. */
class CpuFeaturesTest {
    private static final String INFO =
            "backend=cpu\ncpu=native\nflag=-DGGML_NATIVE=ON\n" + "cpu-features=avx avx2 avx512f f16c fma sse4_2\n";

    @Test
    void readsTheFeaturesABuildNeeds() {
        assertEquals(Set.of("avx", "avx2", "avx512f", "f16c", "fma", "sse4_2"), CpuFeatures.required(INFO));
        assertEquals(Set.of(), CpuFeatures.required("backend=cpu\n"), "an older build-info names none");
    }

    @Test
    void aCpuWithoutAvx512IsRefusedNamingTheMissingFlag() {
        Set<String> avx2Only = Set.of("sse4_2", "avx", "avx2", "fma", "f16c", "bmi2");
        Llava4jException e = assertThrows(Llava4jException.class, () -> CpuFeatures.check(avx2Only, INFO));
        assertEquals(Llava4jException.Code.NATIVE_LIBRARY, e.code());
        assertTrue(
                e.getMessage().contains("avx512f") && e.getMessage().contains("-Dllava4j.cpu=dispatch"),
                e.getMessage());
    }

    @Test
    void aCpuWithEveryFlagLoads() {
        assertDoesNotThrow(
                () -> CpuFeatures.check(Set.of("sse4_2", "avx", "avx2", "avx512f", "fma", "f16c", "x"), INFO));
        assertDoesNotThrow(() -> CpuFeatures.check(Set.of(), "backend=cpu\n"));
    }

    /** The jar's own build passes the check on the machine that built and tests it. */
    @Test
    void theBundledBuildMatchesThisMachine() {
        String info = NativeLibrary.buildInfo();
        assertTrue(info.contains("backend="), "build-info.txt is in the jar: " + info);
        if (info.lines().anyMatch(l -> l.equals("cpu=dispatch"))) {
            assertEquals(Set.of(), CpuFeatures.required(info), "a dispatching build runs on any x86-64 CPU");
        } else {
            assertTrue(!CpuFeatures.required(info).isEmpty(), "a single-ISA build names the CPU features it needs");
        }
        CpuFeatures.ofThisMachine().ifPresent(have -> assertDoesNotThrow(() -> CpuFeatures.check(have, info)));
    }
}
