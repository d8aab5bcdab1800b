package io.llava4j.convert.llava;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.tokenizer.TokenizerExport;
import io.llava4j.gguf.LmSchema;
import io.llava4j.quantize.QuantType;
import io.llava4j.quantize.QuantizeListener;
import io.llava4j.quantize.Quantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Converts a LLaVA checkpoint folder into the language-model GGUF and the mmproj GGUF the pinned
 * llama.cpp loads, in Java, streaming tensors one at a time. Layouts: {@link SourceLayout}.
 * Stateless and thread-safe; each call opens and closes its own files.
 */
public final class Converter {
    private Converter() {}

    /**
     * What to convert.
     *
     * @param input the checkpoint folder ({@code config.json}, weights, tokenizer files)
     * @param outputDir where the two GGUF files are written (created if missing)
     * @param outType the type of weight matrices
     * @param visionTower a CLIP/SigLIP checkpoint folder for layouts without tower weights, or null
     * @param name the model name for file names and {@code general.name}; null: the input folder's name
     */
    public record Options(Path input, Path outputDir, OutType outType, Path visionTower, String name) {
        public Options {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(outputDir, "outputDir");
            Objects.requireNonNull(outType, "outType");
        }
    }

    /**
     * What was written.
     *
     * @param layout the detected layout
     * @param languageModel the LM GGUF ({@code <name>-<outtype>.gguf})
     * @param mmproj the mmproj GGUF ({@code mmproj-<name>-<outtype>.gguf})
     * @param lmTensors tensors in the LM file
     * @param mmprojTensors tensors in the mmproj file
     * @param arch the LM architecture ({@code llama}, {@code qwen2})
     * @param tokenizer the tokenizer model and pre-tokenizer, e.g. {@code llama/default}, {@code gpt2/qwen2}
     * @param warnings defaults the converter had to assume (e.g. the image normalisation), one line each;
     *     also recorded in the files they concern
     */
    public record Result(
            SourceLayout layout,
            Path languageModel,
            Path mmproj,
            int lmTensors,
            int mmprojTensors,
            String arch,
            String tokenizer,
            List<String> warnings) {
        public Result {
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Converts {@code o.input()}.
     *
     * @throws CheckpointException if the checkpoint cannot be read or converted (naming the file and
     *     the key or tensor)
     * @throws Llava4jException {@code IO} if the output cannot be written, {@code NATIVE} if
     *     llama.cpp's quantizer fails (k-quant output types)
     */
    public static Result convert(Options o) {
        if (!Files.isDirectory(o.input())) {
            throw new CheckpointException(Code.IO, o.input(), "not a folder", null);
        }
        if (o.visionTower() != null && !Files.isDirectory(o.visionTower())) {
            throw new CheckpointException(Code.IO, o.visionTower(), "--vision-tower is not a folder", null);
        }
        String name = o.name() != null
                ? o.name()
                : o.input().toAbsolutePath().normalize().getFileName().toString();
        try {
            Files.createDirectories(o.outputDir());
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, o.outputDir() + ": cannot create the output folder: " + e, e);
        }
        Path lmOut = o.outputDir().resolve(name + "-" + o.outType().label() + ".gguf");
        Path mmOut = o.outputDir().resolve("mmproj-" + name + "-" + o.outType().label() + ".gguf");
        try (SourceModel m = SourceModel.open(o.input(), o.visionTower())) {
            long nVocab = m.tensors.containsKey("model.embed_tokens.weight")
                    ? m.tensors.get("model.embed_tokens.weight").tensor().dim(0)
                    : -1;
            if (nVocab <= 0) {
                throw new CheckpointException(o.input(), "no token embedding (model.embed_tokens.weight)");
            }
            TokenizerExport tok =
                    TokenizerExport.read(o.input(), (int) nVocab, m.text.arch().equals(LmSchema.LLAMA));
            if (o.outType().direct() != null) {
                // the mmproj first: it is small and fails fast on a tower/config mismatch
                int nMm =
                        MmprojExport.write(m, o.outType().direct(), o.outType().fileType(), name, mmOut);
                int nLm =
                        LmExport.write(m, tok, o.outType().direct(), o.outType().fileType(), name, lmOut);
                return new Result(
                        m.layout,
                        lmOut,
                        mmOut,
                        nLm,
                        nMm,
                        m.text.arch(),
                        tok.model() + "/" + tok.pre(),
                        warnings(m, tok));
            }
            // k-quants: write F16 next to the outputs, then llama.cpp's quantizer (as llama-quantize)
            QuantType q = QuantType.parse(o.outType().label());
            Path mmF16 = o.outputDir().resolve(".mmproj-" + name + "-f16.gguf.tmp");
            Path lmF16 = o.outputDir().resolve("." + name + "-f16.gguf.tmp");
            try {
                int nMm = MmprojExport.write(m, OutType.F16.direct(), OutType.F16.fileType(), name, mmF16);
                int nLm = LmExport.write(m, tok, OutType.F16.direct(), OutType.F16.fileType(), name, lmF16);
                Quantizer.quantize(mmF16, mmOut, q, true, QuantizeListener.NONE);
                Quantizer.quantize(lmF16, lmOut, q, true, QuantizeListener.NONE);
                return new Result(
                        m.layout,
                        lmOut,
                        mmOut,
                        nLm,
                        nMm,
                        m.text.arch(),
                        tok.model() + "/" + tok.pre(),
                        warnings(m, tok));
            } finally {
                deleteQuietly(mmF16);
                deleteQuietly(lmF16);
            }
        }
    }

    private static List<String> warnings(SourceModel m, TokenizerExport tok) {
        List<String> w = new ArrayList<>();
        if (m.multimodal.defaultNote() != null) {
            w.add(m.multimodal.defaultNote());
        }
        if (tok.warning() != null) {
            w.add(tok.warning());
        }
        return w;
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            // a leftover temporary file is harmless and named as one
        }
    }
}
