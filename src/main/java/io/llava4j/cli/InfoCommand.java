package io.llava4j.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.llava4j.gguf.GeneralKeys;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.gguf.GgufValue;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j info FILE.gguf}: metadata, tensors and sizes of a language model or an mmproj,
 * read in pure Java (no native code, so it also explains files llama.cpp refuses).
 * {@code info --system}: the native build, CPU, backends and devices. {@code info --fit}: the
 * memory a pair needs and the layers that fit a GPU, from the files' headers.
 */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = {
            "Show the metadata and tensors of a GGUF file (language model or mmproj);",
            "--system: this machine's CPU, the native build, ggml's backends and devices with free memory;",
            "--fit: the memory a model pair needs and how many layers fit a GPU (--vram, or this machine's)."
        })
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE.gguf", description = "The GGUF file.")
    Path file;

    @Option(names = "--system", description = "Describe the native build, the CPU, backends and devices.")
    boolean system;

    @Option(names = "--fit", description = "Plan the memory of -m LM [--mmproj MM] for --ctx N.")
    boolean fit;

    @Option(
            names = {"-m", "--model"},
            paramLabel = "LM.gguf",
            description = "With --fit: the language model.")
    Path lm;

    @Option(names = "--mmproj", paramLabel = "MM.gguf", description = "With --fit: the mmproj.")
    Path mmproj;

    @Option(
            names = {"-c", "--ctx"},
            paramLabel = "N",
            defaultValue = "4096",
            description = "With --fit: context length (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(
            names = "--kv-type",
            paramLabel = "TYPE",
            defaultValue = "f16",
            description = "With --fit: KV cache type, f16 (default), f32, q8_0, q4_0.")
    String kvType;

    @Option(
            names = "--vram",
            paramLabel = "SIZE",
            description =
                    "With --fit: GPU memory to plan for, e.g. 6G (default: the free memory of this machine's GPUs).")
    String vram;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(
            names = "--max-array",
            paramLabel = "N",
            defaultValue = "8",
            description = "Array elements shown per key (default: ${DEFAULT-VALUE}; -1 = all).")
    int maxArray;

    @Option(names = "--no-tensors", description = "Leave out the tensor list.")
    boolean noTensors;

    @Override
    public Integer call() throws IOException {
        if (system) {
            return SystemReport.print(spec.commandLine().getOut(), json);
        }
        if (fit) {
            if (lm == null) {
                throw new ParameterException(spec.commandLine(), "--fit needs -m LM.gguf (and --mmproj MM.gguf)");
            }
            GgmlType type = KvTypes.parse(kvType);
            if (type == null) {
                throw new ParameterException(
                        spec.commandLine(),
                        "--kv-type " + kvType + ": not a KV cache type (f16, f32," + " q8_0, q4_0)");
            }
            long budget = -1;
            if (vram != null) {
                budget = Sizes.parseBytes(vram);
                if (budget < 0) {
                    throw new ParameterException(spec.commandLine(), "--vram " + vram + ": not a size (e.g. 6G, 512M)");
                }
            }
            if (ctx <= 0) {
                throw new ParameterException(spec.commandLine(), "--ctx must be positive, got " + ctx);
            }
            return FitReport.print(spec.commandLine().getOut(), lm, mmproj, ctx, type, budget, json);
        }
        if (file == null) {
            throw new ParameterException(spec.commandLine(), "give a FILE.gguf, --system or --fit");
        }
        GgufFile gguf = GgufReader.read(file);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            writeJson(gguf, out);
        } else {
            writeText(gguf, out);
        }
        out.flush();
        return 0;
    }

    private void writeText(GgufFile gguf, PrintWriter out) {
        long tensorBytes =
                gguf.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
        long params =
                gguf.tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum();
        out.printf(Locale.ROOT, "file:         %s%n", gguf.path());
        out.printf(
                Locale.ROOT,
                "format:       GGUF v%d, alignment %d, %s%n",
                gguf.version(),
                gguf.alignment(),
                Sizes.bytes(gguf.fileSize()));
        out.printf(
                Locale.ROOT,
                "architecture: %s%n",
                gguf.optionalString(GeneralKeys.ARCHITECTURE).orElse("?"));
        out.printf(
                Locale.ROOT,
                "name:         %s%n",
                gguf.optionalString(GeneralKeys.NAME).orElse("?"));
        out.printf(
                Locale.ROOT,
                "tensors:      %d, %s, %s parameters%n",
                gguf.tensors().size(),
                Sizes.bytes(tensorBytes),
                Sizes.count(params));
        out.printf(Locale.ROOT, "%nmetadata (%d keys):%n", gguf.metadata().size());
        int keyWidth =
                gguf.metadata().keySet().stream().mapToInt(String::length).max().orElse(10);
        for (Map.Entry<String, GgufValue> e : gguf.metadata().entrySet()) {
            out.printf(
                    Locale.ROOT,
                    "  %-" + keyWidth + "s  %-16s %s%n",
                    e.getKey(),
                    e.getValue().typeName(),
                    ValueText.render(e.getValue(), maxArray));
        }
        if (!noTensors) {
            out.printf(Locale.ROOT, "%ntensors:%n");
            int nameWidth = gguf.tensors().stream()
                    .mapToInt(t -> t.name().length())
                    .max()
                    .orElse(10);
            for (GgufTensorInfo t : gguf.tensors()) {
                out.printf(
                        Locale.ROOT,
                        "  %-" + nameWidth + "s  %-6s %-24s %s%n",
                        t.name(),
                        t.type().ggmlName(),
                        Arrays.toString(t.dims()),
                        Sizes.bytes(t.byteSize()));
            }
        }
    }

    private void writeJson(GgufFile gguf, PrintWriter out) throws IOException {
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("file", gguf.path().toString());
            g.writeNumberField("version", gguf.version());
            g.writeNumberField("alignment", gguf.alignment());
            g.writeNumberField("file_size", gguf.fileSize());
            g.writeObjectFieldStart("metadata");
            for (Map.Entry<String, GgufValue> e : gguf.metadata().entrySet()) {
                g.writeFieldName(e.getKey());
                ValueText.writeJson(g, e.getValue(), maxArray);
            }
            g.writeEndObject();
            if (!noTensors) {
                g.writeArrayFieldStart("tensors");
                for (GgufTensorInfo t : gguf.tensors()) {
                    g.writeStartObject();
                    g.writeStringField("name", t.name());
                    g.writeStringField("type", t.type().ggmlName());
                    g.writeFieldName("shape");
                    g.writeArray(t.dims(), 0, t.nDims());
                    g.writeNumberField("offset", t.offset());
                    g.writeNumberField("bytes", t.byteSize());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
        out.println();
    }
}
