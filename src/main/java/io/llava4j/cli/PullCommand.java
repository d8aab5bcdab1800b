package io.llava4j.cli;

import io.llava4j.pull.Catalogue;
import io.llava4j.pull.DownloadListener;
import io.llava4j.pull.HfFile;
import io.llava4j.pull.HubClient;
import io.llava4j.pull.ModelCache;
import io.llava4j.pull.ModelRef;
import io.llava4j.pull.Puller;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j pull NAME}: downloads a catalogue pair (or one {@code hf://} file) from Hugging
 * Face into the model cache, resuming interrupted downloads and verifying SHA-256 checksums.
 * Progress goes to stderr; the cached paths to stdout.
 */
@Command(
        name = "pull",
        mixinStandardHelpOptions = true,
        description = {
            "Download a LLaVA GGUF pair (language model + mmproj) from Hugging Face into the model cache.",
            "NAME is a catalogue name (see --list), NAME:QUANT for another quantization, or hf://owner/repo/file.gguf.",
            "Interrupted downloads resume; files are checked against the hub's SHA-256.",
            "Cache: --cache-dir, else -D" + ModelCache.ROOT_PROPERTY + ", $" + ModelCache.ROOT_ENV
                    + ", ~/.cache/llava4j/models. Hub: -D" + HubClient.ENDPOINT_PROPERTY + " or $"
                    + HubClient.ENDPOINT_ENV + " (default " + HubClient.DEFAULT_ENDPOINT + ")."
        })
final class PullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "NAME",
            description = "NAME, NAME:QUANT or hf://owner/repo/file.")
    String name;

    @Option(names = "--list", description = "List the catalogue (and what is downloaded) instead of pulling.")
    boolean list;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Model cache folder (default: see above).")
    Path cacheDir;

    @Option(names = "--no-verify", description = "Keep a file even when the server publishes no SHA-256 for it.")
    boolean noVerify;

    @Override
    public Integer call() {
        ModelCache cache = cacheDir != null ? new ModelCache(cacheDir) : ModelCache.fromEnvironment();
        Puller puller = new Puller(cache, HubClient.fromEnvironment(), Catalogue.builtIn(), Puller.DEFAULT_RETRIES);
        if (list) {
            printCatalogue(puller.catalogue(), cache, spec.commandLine().getOut());
            return 0;
        }
        if (name == null) {
            throw new ParameterException(spec.commandLine(), "Missing NAME (or --list to see the catalogue)");
        }
        PrintWriter err = spec.commandLine().getErr();
        Puller.Result result = puller.pull(name, !noVerify, new BarListener(err));
        PrintWriter out = spec.commandLine().getOut();
        for (Puller.PulledFile f : result.files()) {
            out.printf(
                    Locale.ROOT,
                    "%s  %s  %s%n",
                    f.path(),
                    Sizes.bytes(f.bytes()),
                    f.alreadyPresent()
                            ? "(already downloaded)"
                            : f.sha256() != null ? "sha256 " + f.sha256() : "(not verified: no checksum published)");
        }
        if (result.files().size() == 2) {
            out.printf(
                    Locale.ROOT,
                    "pair %s: -m %s --mmproj %s%n",
                    result.name(),
                    result.files().get(0).path(),
                    result.files().get(1).path());
        }
        out.flush();
        return 0;
    }

    private static void printCatalogue(Catalogue catalogue, ModelCache cache, PrintWriter out) {
        out.printf(Locale.ROOT, "cache: %s%n", cache.root());
        for (Catalogue.Entry e : catalogue.entries()) {
            out.printf(Locale.ROOT, "%n%-22s %s%n", e.name(), e.description());
            out.printf(
                    Locale.ROOT,
                    "  %-20s hf://%s/%s (mmproj)%n",
                    "",
                    e.repo(),
                    e.mmproj().path());
            e.quants().forEach((q, f) -> {
                String ref = e.name() + ":" + q;
                boolean here = isDownloaded(ref, cache, catalogue);
                out.printf(
                        Locale.ROOT,
                        "  %-20s hf://%s/%s%s%s%n",
                        ref,
                        e.repo(),
                        f.path(),
                        q.equals(e.defaultQuant()) ? "  [default]" : "",
                        here ? "  [downloaded]" : "");
            });
        }
        out.flush();
    }

    private static boolean isDownloaded(String ref, ModelCache cache, Catalogue catalogue) {
        try {
            ModelRef.resolve(ref, cache, catalogue);
            return true;
        } catch (io.llava4j.Llava4jException e) {
            return false;
        }
    }

    /** One progress bar per file. */
    private static final class BarListener implements DownloadListener {
        private final PrintWriter err;
        private ProgressBar bar;

        BarListener(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void started(HfFile file, long offset, long total) {
            if (offset > 0) {
                err.printf(Locale.ROOT, "resuming %s at %s%n", file.fileName(), Sizes.bytes(offset));
            }
            bar = ProgressBar.forConsole(err, file.fileName());
            progress(file, offset, total);
        }

        @Override
        public void progress(HfFile file, long done, long total) {
            bar.update(done, total, Sizes.bytes(done) + (total >= 0 ? " / " + Sizes.bytes(total) : ""));
        }

        @Override
        public void finished(HfFile file, long bytes) {
            bar.finish();
        }

        @Override
        public void retrying(HfFile file, long offset, String reason) {
            bar.finish();
            err.printf(
                    Locale.ROOT,
                    "connection lost (%s); resuming %s at %s%n",
                    reason,
                    file.fileName(),
                    Sizes.bytes(offset));
            bar = ProgressBar.forConsole(err, file.fileName());
        }
    }
}
