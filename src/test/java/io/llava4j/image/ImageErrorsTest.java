package io.llava4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad inputs: each is a {@link Llava4jException} with a code and a message naming the source. */
class ImageErrorsTest {
    private static final ImageLoader LOADER = new ImageLoader();

    private static Llava4jException fails(Code code, String source, Runnable r) {
        Llava4jException e = assertThrows(Llava4jException.class, r::run);
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(source), "message names the source: " + e.getMessage());
        return e;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "truncated.png, cannot decode", "truncated.jpg, truncated JPEG", "random.bin, not a recognised image",
        "empty.png, empty", "image.tiff, TIF images are not supported", "notes.txt, not a recognised image",
    })
    void unusableFilesAreInvalidFile(String file, String phrase) {
        Path p = PilFixtures.path("bad/" + file);
        Llava4jException e = fails(Code.INVALID_FILE, p.toString(), () -> LOADER.load(p));
        assertTrue(e.getMessage().contains(phrase), e.getMessage());
    }

    /** A PNG header claiming 100000 x 100000 is refused from the header, before any allocation. */
    @Test
    void decompressionBombIsRefusedFromTheHeader() {
        Path p = PilFixtures.path("bad/bomb.png");
        Llava4jException e = fails(Code.INVALID_ARGUMENT, p.toString(), () -> LOADER.load(p));
        ImageTooLargeException big = assertInstanceOf(ImageTooLargeException.class, e);
        assertEquals(100000, big.width());
        assertEquals(100000, big.height());
        assertTrue(e.getMessage().contains("decompression bomb"), e.getMessage());
    }

    @Test
    void sideAndPixelLimits() {
        Path wide = PilFixtures.path("bad/wide.png"); // 70000 x 1: few pixels, absurd side
        assertInstanceOf(
                ImageTooLargeException.class, fails(Code.INVALID_ARGUMENT, "wide.png", () -> LOADER.load(wide)));
        ImageLoader strict = new ImageLoader(ImageLoadOptions.DEFAULTS.withMaxPixels(37 * 23 - 1));
        Path rgb = PilFixtures.path("decode/rgb.png");
        assertInstanceOf(ImageTooLargeException.class, fails(Code.INVALID_ARGUMENT, "rgb.png", () -> strict.load(rgb)));
        assertEquals(
                37,
                new ImageLoader(ImageLoadOptions.DEFAULTS.withMaxPixels(37 * 23))
                        .load(rgb)
                        .width());
        ImageLoader small = new ImageLoader(ImageLoadOptions.DEFAULTS.withMaxEncodedBytes(100));
        assertInstanceOf(ImageTooLargeException.class, fails(Code.INVALID_ARGUMENT, "rgb.png", () -> small.load(rgb)));
        assertInstanceOf(
                ImageTooLargeException.class,
                fails(
                        Code.INVALID_ARGUMENT,
                        "x.png",
                        () -> small.decode(PilFixtures.bytes("decode/rgb.png"), "x.png")));
    }

    @Test
    void missingFileAndDirectoryAreIo(@TempDir Path dir) {
        Path missing = dir.resolve("no-such.jpg");
        fails(Code.IO, missing.toString(), () -> LOADER.load(missing));
        fails(Code.IO, missing.toString(), () -> LOADER.load(missing.toString()));
        fails(Code.IO, dir.toString(), () -> LOADER.load(dir));
    }

    @Test
    void emptyFileOnDisk(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.jpg"));
        fails(Code.INVALID_FILE, empty.toString(), () -> LOADER.load(empty));
    }

    @ParameterizedTest
    @ValueSource(strings = {"data:image/png;base64", "data:image/png;base64,@@@@", "data:image/png,%zz", "data:,%4"})
    void malformedDataUris(String uri) {
        fails(Code.INVALID_ARGUMENT, "data:", () -> LOADER.load(uri));
    }

    @Test
    void dataUriWithNonImagePayload() {
        fails(Code.INVALID_FILE, "data:text/plain", () -> LOADER.load("data:text/plain;base64,aGVsbG8gd29ybGQ="));
        fails(Code.INVALID_FILE, "data:", () -> LOADER.load("data:,"));
        ImageLoader tiny = new ImageLoader(ImageLoadOptions.DEFAULTS.withMaxEncodedBytes(10));
        assertInstanceOf(
                ImageTooLargeException.class,
                fails(Code.INVALID_ARGUMENT, "data:", () -> tiny.load("data:;base64," + "QUFB".repeat(100))));
    }

    @Test
    void unsupportedSchemesAndBadUrls() {
        fails(Code.INVALID_ARGUMENT, "ftp", () -> LOADER.load(java.net.URI.create("ftp://example.org/a.png")));
        fails(Code.INVALID_ARGUMENT, "http://exa mple", () -> LOADER.load("http://exa mple.org/a.png"));
    }
}
