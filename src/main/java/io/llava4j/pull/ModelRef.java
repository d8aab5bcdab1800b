package io.llava4j.pull;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A pulled catalogue pair, found in the cache: how {@code run}/{@code chat} accept
 * {@code llava-1.5-7b} (or {@code llava-1.5-7b:q5_k}) in place of two paths. Resolving never
 * touches the network; a pair that is not downloaded yet is an error telling the user to pull it.
 *
 * @param name the canonical {@code NAME:QUANT}
 * @param model the language model GGUF
 * @param mmproj the mmproj GGUF
 */
public record ModelRef(String name, Path model, Path mmproj) {

    /**
     * Whether a command-line value names a catalogue pair or an {@code hf://} file rather than a
     * path: true for {@code hf://...}, and for a catalogue name (with or without {@code :QUANT})
     * unless a file of that name exists (a local file always wins).
     */
    public static boolean isReference(String arg) {
        if (arg == null || arg.isBlank()) {
            return false;
        }
        if (arg.startsWith(HfFile.SCHEME)) {
            return true;
        }
        try {
            if (Files.exists(Path.of(arg))) {
                return false;
            }
        } catch (java.nio.file.InvalidPathException e) {
            // Not a usable path (e.g. a colon on Windows): may still be NAME:QUANT.
        }
        return Catalogue.builtIn().entry(arg).isPresent();
    }

    /**
     * The downloaded pair for {@code NAME} or {@code NAME:QUANT}, in the cache of this process's
     * settings ({@link ModelCache#fromEnvironment()}).
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} for a name not in the catalogue (listing the
     *     known ones), {@code IO} when a file of the pair is not downloaded (saying which
     *     {@code llava4j pull} command fetches it)
     */
    public static ModelRef resolve(String name) {
        return resolve(name, ModelCache.fromEnvironment(), Catalogue.builtIn());
    }

    /** As {@link #resolve(String)}, with an explicit cache and catalogue. */
    public static ModelRef resolve(String name, ModelCache cache, Catalogue catalogue) {
        Catalogue.Pair pair = catalogue.resolve(name);
        Path model = cache.path(pair.model());
        Path mmproj = cache.path(pair.mmproj());
        for (Path p : new Path[] {model, mmproj}) {
            if (!Files.isRegularFile(p)) {
                throw new Llava4jException(
                        Code.IO,
                        pair.name() + " is not downloaded (" + p + " is missing): run" + " `llava4j pull " + pair.name()
                                + "` first");
            }
        }
        return new ModelRef(pair.name(), model, mmproj);
    }

    /**
     * The cached copy of an {@code hf://owner/repo/file} reference.
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} for a malformed reference, {@code IO} when
     *     not downloaded yet
     */
    public static Path resolveFile(String hfUri, ModelCache cache) {
        HfFile f = HfFile.parse(hfUri);
        Path p = cache.path(f);
        if (!Files.isRegularFile(p)) {
            throw new Llava4jException(
                    Code.IO, f + " is not downloaded (" + p + " is missing): run `llava4j pull " + f + "` first");
        }
        return p;
    }
}
