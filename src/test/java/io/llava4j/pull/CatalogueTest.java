package io.llava4j.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The built-in catalogue, names and references, the cache layout and hub URLs (no network). */
class CatalogueTest {
    private final Catalogue catalogue = Catalogue.builtIn();

    @Test
    void builtInCatalogueHasTheWellKnownPairs() {
        Catalogue.Pair p = catalogue.resolve("llava-1.5-7b");
        assertEquals("llava-1.5-7b:q4_k", p.name());
        assertEquals(new HfFile("mys/ggml_llava-v1.5-7b", "main", "ggml-model-q4_k.gguf"), p.model());
        assertEquals(new HfFile("mys/ggml_llava-v1.5-7b", "main", "mmproj-model-f16.gguf"), p.mmproj());
        assertEquals(
                "cjpais/llava-1.6-mistral-7b-gguf",
                catalogue.resolve("llava-1.6-mistral-7b").model().repo());
        assertEquals(
                "llava-v1.6-vicuna-7b.Q5_K_M.gguf",
                catalogue.resolve("LLaVA-1.6-Vicuna-7B:Q5_K_M").model().path());
        for (Catalogue.Entry e : catalogue.entries()) {
            for (String q : e.quants().keySet()) {
                assertTrue(catalogue.resolve(e.name() + ":" + q).model().path().endsWith(".gguf"));
            }
        }
    }

    @Test
    void unknownNamesAndQuantizationsListWhatExists() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> catalogue.resolve("llava-9"));
        assertEquals(Code.INVALID_ARGUMENT, e.code());
        assertTrue(
                e.getMessage().contains("llava-1.5-7b, llava-1.5-13b")
                        && e.getMessage().contains("hf://"),
                e.getMessage());
        e = assertThrows(Llava4jException.class, () -> catalogue.resolve("llava-1.5-7b:q2_k"));
        assertTrue(e.getMessage().contains("available: q4_k, q5_k, f16"), e.getMessage());
    }

    @Test
    void pinnedChecksumsAndRevisionsAreReadAndBadCataloguesAreRefused() {
        String json = "{\"models\": [{\"name\": \"m\", \"repo\": \"o/r\", \"revision\": \"v1\", \"default\": \"q8_0\","
                + " \"mmproj\": \"mm.gguf\", \"quants\": {\"Q8_0\": {\"file\": \"lm.gguf\", \"sha256\": \""
                + "a".repeat(64) + "\"}}}]}";
        Catalogue c = Catalogue.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test.json");
        Catalogue.Pair p = c.resolve("m");
        assertEquals("a".repeat(64), p.modelSha256());
        assertNull(p.mmprojSha256());
        assertEquals("v1", p.model().revision());

        String bad = json.replace("\"default\": \"q8_0\"", "\"default\": \"q4\"");
        Llava4jException e = assertThrows(
                Llava4jException.class,
                () -> Catalogue.parse(new ByteArrayInputStream(bad.getBytes(StandardCharsets.UTF_8)), "bad.json"));
        assertEquals(Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().startsWith("bad.json: model m"), e.getMessage());
        assertThrows(
                Llava4jException.class,
                () -> Catalogue.parse(
                        new ByteArrayInputStream("{\"models\": [".getBytes(StandardCharsets.UTF_8)), "cut.json"));
    }

    @Test
    void catalogueFieldsAreCheckedAndNamedInErrors() {
        String ok = "{\"models\": [{\"name\": \"m\", \"repo\": \"o/r\", \"default\": \"a\", \"revision\": 7,"
                + " \"mmproj\": {\"file\": \"mm.gguf\"}, \"quants\": {\"A\": \"a.gguf\", \"b\": \"b.gguf\"}}]}";
        Catalogue.Entry e = parse(ok, "ok.json").entries().get(0);
        assertEquals("", e.description());
        assertEquals("7", e.revision(), "a scalar revision is taken as written");
        assertEquals(List.of("a", "b"), List.copyOf(e.quants().keySet()), "lower-cased, in file order");
        assertEquals(new Catalogue.FileSpec("mm.gguf", null), e.mmproj());
        assertEquals(
                "main",
                parse(ok.replace("\"revision\": 7", "\"revision\": null"), "ok.json")
                        .entries()
                        .get(0)
                        .revision());

        Map<String, String> refusals = new LinkedHashMap<>();
        refusals.put("[]", "bad.json: expected an object");
        refusals.put("{\"models\": {}}", "bad.json: models: expected an array");
        refusals.put("{\"models\": [1]}", "bad.json: model: expected an object");
        refusals.put(ok.replace("\"name\": \"m\"", "\"name\": \" \""), "bad.json: 'name' must be a non-empty string");
        refusals.put(
                ok.replace("\"repo\": \"o/r\"", "\"repo\": 1"), "bad.json: model m: 'repo' must be a non-empty string");
        refusals.put(
                ok.replace("\"A\": \"a.gguf\"", "\"A\": [\"a.gguf\"]"),
                "bad.json: model m: quant A: expected an object");
        refusals.put(
                ok.replace("{\"file\": \"mm.gguf\"}", "{\"file\": \"mm.gguf\", \"sha256\": \"AB\"}"),
                "bad.json: model m: mmproj: sha256 must be 64 lower-case hex digits");
        refusals.put("{\"models\": [", "bad.json: not valid JSON: ");
        refusals.forEach((json, message) -> {
            Llava4jException x = assertThrows(Llava4jException.class, () -> parse(json, "bad.json"), json);
            assertEquals(Code.INVALID_FILE, x.code());
            assertTrue(x.getMessage().startsWith(message), x.getMessage());
        });
    }

    private static Catalogue parse(String json, String source) {
        return Catalogue.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), source);
    }

    @Test
    void hfReferencesParseAndUnsafePathsAreRefused() {
        HfFile f = HfFile.parse("hf://owner/repo/sub dir/model.Q4_K_M.gguf");
        assertEquals("owner/repo", f.repo());
        assertEquals("sub dir/model.Q4_K_M.gguf", f.path());
        assertEquals("model.Q4_K_M.gguf", f.fileName());
        assertEquals("hf://owner/repo/sub dir/model.Q4_K_M.gguf", f.toString());
        for (String bad : new String[] {
            "hf://owner/repo",
            "hf://owner/repo/../x.gguf",
            "hf://own er/repo/x.gguf",
            "https://owner/repo/x.gguf",
            "hf://owner/repo/a//b.gguf"
        }) {
            Llava4jException e = assertThrows(Llava4jException.class, () -> HfFile.parse(bad), bad);
            assertEquals(Code.INVALID_ARGUMENT, e.code());
        }
    }

    @Test
    void hubUrlsAreResolveUrlsWithEncodedSegments() {
        HubClient hub = new HubClient(URI.create("https://mirror.example/hf"));
        assertEquals(
                "https://mirror.example/hf/owner/repo/resolve/main/sub%20dir/a%2Bb.gguf",
                hub.resolveUri(HfFile.parse("hf://owner/repo/sub dir/a+b.gguf")).toString());
    }

    @Test
    void cacheFolderComesFromPropertyThenEnvironmentThenXdgThenHome() {
        Path home = Path.of(System.getProperty("user.home"));
        assertEquals(
                Path.of("/p").toAbsolutePath(),
                ModelCache.fromEnvironment("/p", Map.of(ModelCache.ROOT_ENV, "/e"))
                        .root());
        assertEquals(
                Path.of("/e").toAbsolutePath(),
                ModelCache.fromEnvironment(null, Map.of(ModelCache.ROOT_ENV, "/e", "XDG_CACHE_HOME", "/x"))
                        .root());
        assertEquals(
                Path.of("/x/llava4j/models").toAbsolutePath(),
                ModelCache.fromEnvironment(null, Map.of("XDG_CACHE_HOME", "/x")).root());
        assertEquals(
                home.resolve(".cache/llava4j/models"),
                ModelCache.fromEnvironment("", Map.of()).root());
        assertEquals(
                Path.of("/c/o/r/d/f.gguf").toAbsolutePath(),
                new ModelCache(Path.of("/c")).path(new HfFile("o/r", "main", "d/f.gguf")));
    }

    @Test
    void referencesAreCatalogueNamesOrHfUrisUnlessAFileOfThatNameExists() {
        assertTrue(ModelRef.isReference("llava-1.5-7b"));
        assertTrue(ModelRef.isReference("llava-1.5-7b:q5_k"));
        assertTrue(ModelRef.isReference("hf://o/r/f.gguf"));
        assertFalse(ModelRef.isReference("models/llava.gguf"));
        assertFalse(ModelRef.isReference("pom.xml"));
        assertFalse(ModelRef.isReference(""));
    }
}
