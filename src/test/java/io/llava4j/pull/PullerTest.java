package io.llava4j.pull;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads against a local imitation of the hub: complete, resumed, refused, offline. */
class PullerTest {
    static final String REPO = "mys/ggml_llava-v1.5-7b";
    static final String LM = "ggml-model-q4_k.gguf";
    static final String MMPROJ = "mmproj-model-f16.gguf";

    @TempDir
    Path dir;

    HubServer hub;
    ModelCache cache;
    byte[] lmBytes;
    byte[] mmBytes;

    @BeforeEach
    void start() throws IOException {
        hub = new HubServer();
        cache = new ModelCache(dir.resolve("cache"));
        lmBytes = random(700_000, 1);
        mmBytes = random(250_000, 2);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    Puller puller(int retries) {
        return new Puller(cache, new HubClient(hub.endpoint()), Catalogue.builtIn(), retries);
    }

    /** Records the listener calls. */
    static final class Events implements DownloadListener {
        final List<String> log = new ArrayList<>();
        long lastDone;

        @Override
        public void started(HfFile file, long offset, long total) {
            log.add("start " + file.fileName() + " " + offset + "/" + total);
        }

        @Override
        public void progress(HfFile file, long done, long total) {
            lastDone = done;
        }

        @Override
        public void retrying(HfFile file, long offset, String reason) {
            log.add("retry " + file.fileName() + " " + offset);
        }
    }

    private void assertNoPartialFiles() throws IOException {
        if (!Files.exists(cache.root())) {
            return;
        }
        try (Stream<Path> files = Files.walk(cache.root())) {
            List<Path> partial = files.filter(
                            p -> p.toString().endsWith(".part") || p.toString().endsWith(".meta"))
                    .toList();
            assertEquals(List.of(), partial);
        }
    }

    @Test
    void pullsACataloguePairVerifiedAndDoesNotFetchItAgain() throws IOException {
        hub.host(REPO, LM, lmBytes);
        hub.host(REPO, MMPROJ, mmBytes);
        Events events = new Events();

        Puller.Result r = puller(3).pull("llava-1.5-7b", true, events);

        assertEquals("llava-1.5-7b:q4_k", r.name());
        assertEquals(2, r.files().size());
        Path lm = cache.root().resolve("mys/ggml_llava-v1.5-7b/ggml-model-q4_k.gguf");
        Path mm = cache.root().resolve("mys/ggml_llava-v1.5-7b/mmproj-model-f16.gguf");
        assertEquals(lm, r.files().get(0).path());
        assertArrayEquals(lmBytes, Files.readAllBytes(lm));
        assertArrayEquals(mmBytes, Files.readAllBytes(mm));
        assertEquals(HubServer.sha256(lmBytes), r.files().get(0).sha256());
        assertEquals(
                List.of("start " + LM + " 0/" + lmBytes.length, "start " + MMPROJ + " 0/" + mmBytes.length),
                events.log);
        assertNoPartialFiles();
        assertEquals(
                new ModelRef("llava-1.5-7b:q4_k", lm, mm),
                ModelRef.resolve("llava-1.5-7b", cache, Catalogue.builtIn()));

        long requests = hub.requests.size();
        Puller.Result again = puller(3).pull("llava-1.5-7b:Q4_K", true, DownloadListener.NONE);
        assertTrue(again.files().stream().allMatch(Puller.PulledFile::alreadyPresent));
        assertEquals(requests, hub.requests.size(), "nothing fetched for files already in the cache");
    }

    @Test
    void aCutConnectionIsResumedWithARangeRequest() throws IOException {
        HubServer.Hosted h = hub.host(REPO, LM, lmBytes);
        hub.host(REPO, MMPROJ, mmBytes);
        h.cutAfter = 300_000;
        h.cutsLeft = 1;
        Events events = new Events();

        Puller.Result r = puller(3).pull("llava-1.5-7b", true, events);

        assertArrayEquals(lmBytes, Files.readAllBytes(r.files().get(0).path()));
        String retry = events.log.stream()
                .filter(s -> s.startsWith("retry"))
                .findFirst()
                .orElseThrow();
        long offset = Long.parseLong(retry.substring(retry.lastIndexOf(' ') + 1));
        assertTrue(offset > 0 && offset <= 300_000, retry);
        assertEquals(
                1, hub.contentGets("bytes=" + offset + "-"), "resumed from the byte it stopped at: " + hub.requests);
        assertNoPartialFiles();
    }

    @Test
    void anInterruptedPullIsResumedByTheNextRun() throws IOException {
        HubServer.Hosted h = hub.host(REPO, LM, lmBytes);
        hub.host(REPO, MMPROJ, mmBytes);
        h.cutAfter = 200_000;
        h.cutsLeft = 1;

        Llava4jException e =
                assertThrows(Llava4jException.class, () -> puller(0).pull("llava-1.5-7b", true, DownloadListener.NONE));
        assertEquals(Code.IO, e.code());
        assertTrue(e.getMessage().contains("run the same command again to resume"), e.getMessage());
        Path part = cache.root().resolve("mys/ggml_llava-v1.5-7b/ggml-model-q4_k.gguf.part");
        long kept = Files.size(part);
        assertTrue(kept > 0 && kept <= 200_000, "kept " + kept);
        assertFalse(Files.exists(cache.path(new HfFile(REPO, "main", LM))));

        Puller.Result r = puller(0).pull("llava-1.5-7b", true, DownloadListener.NONE);
        assertEquals(kept, r.files().get(0).resumedFrom());
        assertArrayEquals(lmBytes, Files.readAllBytes(r.files().get(0).path()));
        assertEquals(1, hub.contentGets("bytes=" + kept + "-"));
    }

    @Test
    void aServerIgnoringTheRangeRestartsTheFileFromZero() throws IOException {
        HubServer.Hosted h = hub.host("someone/repo", "dir/model file.gguf", lmBytes);
        h.cutAfter = 100_000;
        h.cutsLeft = 1;
        h.ignoreRange = true;

        Puller.Result r = puller(2).pull("hf://someone/repo/dir/model file.gguf", true, DownloadListener.NONE);

        assertEquals(1, r.files().size());
        assertEquals(
                dir.resolve("cache/someone/repo/dir/model file.gguf"),
                r.files().get(0).path());
        assertArrayEquals(lmBytes, Files.readAllBytes(r.files().get(0).path()));
        assertNoPartialFiles();
    }

    @Test
    void aChecksumMismatchIsRefusedAndNothingIsLeftInPlace() throws IOException {
        hub.host(REPO, LM, lmBytes);
        HubServer.Hosted mm = hub.host(REPO, MMPROJ, mmBytes);
        mm.advertisedSha256 = HubServer.sha256(new byte[] {1, 2, 3});

        Llava4jException e =
                assertThrows(Llava4jException.class, () -> puller(3).pull("llava-1.5-7b", true, DownloadListener.NONE));

        assertEquals(Code.INVALID_FILE, e.code());
        assertTrue(
                e.getMessage().contains("checksum mismatch") && e.getMessage().contains(MMPROJ), e.getMessage());
        assertFalse(Files.exists(cache.root().resolve("mys/ggml_llava-v1.5-7b/mmproj-model-f16.gguf")));
        assertNoPartialFiles();
        Llava4jException notThere = assertThrows(
                Llava4jException.class, () -> ModelRef.resolve("llava-1.5-7b", cache, Catalogue.builtIn()));
        assertTrue(notThere.getMessage().contains("llava4j pull llava-1.5-7b:q4_k"), notThere.getMessage());
    }

    @Test
    void aFileWithoutPublishedChecksumNeedsVerificationTurnedOff() throws IOException {
        hub.host("someone/repo", "small.gguf", mmBytes).lfs = false;

        Llava4jException e = assertThrows(
                Llava4jException.class,
                () -> puller(0).pull("hf://someone/repo/small.gguf", true, DownloadListener.NONE));
        assertEquals(Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().contains("publishes no SHA-256"), e.getMessage());
        assertFalse(Files.exists(cache.root().resolve("someone/repo/small.gguf")));

        Puller.Result r = puller(0).pull("hf://someone/repo/small.gguf", false, DownloadListener.NONE);
        assertNull(r.files().get(0).sha256());
        assertArrayEquals(mmBytes, Files.readAllBytes(r.files().get(0).path()));
    }

    @Test
    void offlineIsAClearErrorNamingTheHost() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Puller offline =
                new Puller(cache, new HubClient(URI.create("http://127.0.0.1:" + port)), Catalogue.builtIn(), 3);
        Llava4jException e =
                assertThrows(Llava4jException.class, () -> offline.pull("llava-1.5-7b", true, DownloadListener.NONE));
        assertEquals(Code.IO, e.code());
        assertTrue(e.getMessage().startsWith("cannot reach 127.0.0.1"), e.getMessage());
        assertTrue(e.getMessage().contains(HubClient.ENDPOINT_ENV), e.getMessage());
    }

    @Test
    void aMissingFileIsANotFoundErrorWithTheUrl() {
        Llava4jException e = assertThrows(
                Llava4jException.class,
                () -> puller(0).pull("hf://someone/repo/missing.gguf", true, DownloadListener.NONE));
        assertEquals(Code.IO, e.code());
        assertTrue(
                e.getMessage().contains("not found")
                        && e.getMessage().contains("HTTP 404")
                        && e.getMessage().contains("/someone/repo/resolve/main/missing.gguf"),
                e.getMessage());
    }
}
