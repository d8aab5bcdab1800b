package io.llava4j.synthetic;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the vocabulary GGUF ({@code ggml-vocab-<name>.gguf} of the llama.cpp tree) a synthetic
 * model copies its tokenizer from. The LLaMA SentencePiece vocabulary is bundled with the jar (the
 * demo model's); the others come from the pinned llama.cpp source the native build fetched.
 */
public final class VocabFiles {
    /** The bundled vocabulary, a resource of {@code io.llava4j.demo}. */
    static final String BUNDLED = "llama-spm";

    private VocabFiles() {}

    /**
     * Writes or finds {@code ggml-vocab-<name>.gguf}: the bundled one is copied into {@code scratch};
     * others are looked up in {@code ${llava4j.native.dir}/llama.cpp/models}, {@code
     * target/native/llama.cpp/models} and {@code <cache>/src/<commit>/models}.
     *
     * @param cache llava4j's cache folder (the native build's source cache is {@code cache/src})
     * @param scratch a folder the bundled file may be copied into
     * @throws Llava4jException {@code IO} naming the places searched
     */
    public static Path find(String name, Path cache, Path scratch) {
        String file = "ggml-vocab-" + name + ".gguf";
        if (name.equals(BUNDLED)) {
            try (InputStream in = io.llava4j.demo.DemoModel.class.getResourceAsStream(file)) {
                if (in != null) {
                    Files.createDirectories(scratch);
                    Path out = scratch.resolve(file);
                    Files.copy(in, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    return out;
                }
            } catch (IOException e) {
                throw new Llava4jException(Code.IO, "cannot copy the bundled " + file + ": " + e.getMessage(), e);
            }
        }
        List<Path> places = new ArrayList<>();
        String nativeDir = System.getProperty("llava4j.native.dir");
        if (nativeDir != null && !nativeDir.isBlank()) {
            places.add(Paths.get(nativeDir, "llama.cpp", "models"));
        }
        places.add(Paths.get("target", "native", "llama.cpp", "models"));
        Path src = cache.resolve("src");
        if (Files.isDirectory(src)) {
            try (Stream<Path> s = Files.list(src)) {
                s.sorted().forEach(p -> places.add(p.resolve("models")));
            } catch (IOException e) {
                // an unreadable cache is one place less to look
            }
        }
        for (Path p : places) {
            if (Files.isRegularFile(p.resolve(file))) {
                return p.resolve(file).toAbsolutePath();
            }
        }
        throw new Llava4jException(
                Code.IO,
                file + " not found in " + places
                        + ": it comes from the pinned llama.cpp source; run the Maven build (which fetches it) first");
    }
}
