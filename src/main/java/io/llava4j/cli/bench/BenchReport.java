package io.llava4j.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The bench's results: phases with their medians and spreads, llama-mtmd-cli's beside them with
 * ratios, as a text table or JSON. Ratios are oriented so that above 1 means llava4j is better (faster
 * or smaller).
 */
public final class BenchReport {
    /** One measured quantity. */
    public record Row(
            String key,
            String label,
            boolean higherIsBetter,
            Summary llava4j,
            Summary other,
            boolean comparable,
            String covers) {
        /** llava4j's median against the other's, > 1 when llava4j is better; NaN without a comparable other. */
        public double ratio() {
            if (!comparable || other == null || Double.isNaN(other.median()) || Double.isNaN(llava4j.median())) {
                return Double.NaN;
            }
            return higherIsBetter ? llava4j.median() / other.median() : other.median() / llava4j.median();
        }
    }

    private final Map<String, Object> config = new LinkedHashMap<>();
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private String otherName;

    /** Adds a setting to the header (insertion order). */
    public BenchReport config(String key, Object value) {
        config.put(key, value);
        return this;
    }

    /** Names the tool compared with (null: none). */
    public BenchReport comparedWith(String name) {
        this.otherName = name;
        return this;
    }

    /**
     * Adds a row; {@code other} null when the tool has no such figure or none is compared, {@code
     * comparable} false when the two figures cover different work (no ratio is given then).
     */
    public BenchReport row(
            String key,
            String label,
            boolean higherIsBetter,
            Summary llava4j,
            Summary other,
            boolean comparable,
            String covers) {
        rows.add(new Row(key, label, higherIsBetter, llava4j, other, comparable, covers));
        return this;
    }

    /** Adds a line to the legend. */
    public BenchReport note(String text) {
        notes.add(text);
        return this;
    }

    public List<Row> rows() {
        return List.copyOf(rows);
    }

    /** Summarises one figure of each sample. */
    public static <T> Summary summary(List<T> samples, ToDoubleFunction<T> figure) {
        List<Double> values = new ArrayList<>();
        for (T s : samples) {
            values.add(figure.applyAsDouble(s));
        }
        return Summary.of(values);
    }

    /** The table: header lines, one line per row, then the legend. */
    public void printTable(PrintWriter out) {
        config.forEach((k, v) -> out.printf(Locale.ROOT, "%-10s %s%n", k + ":", v));
        out.println();
        boolean compare = otherName != null;
        String header = String.format(Locale.ROOT, "%-26s %-28s", "phase", "llava4j median (min-max)");
        if (compare) {
            header += String.format(Locale.ROOT, " %-28s %s", otherName + " median (min-max)", "ratio");
        }
        out.println(header.stripTrailing());
        for (Row r : rows) {
            String line = String.format(Locale.ROOT, "%-26s %-28s", r.label(), cell(r.llava4j()));
            if (compare) {
                double ratio = r.ratio();
                line += String.format(
                        Locale.ROOT,
                        " %-28s %s",
                        r.other() == null ? "-" : cell(r.other()),
                        Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio));
            }
            out.println(line.stripTrailing());
        }
        out.println();
        for (Row r : rows) {
            if (r.covers() != null) {
                out.println("  " + r.label() + ": " + r.covers());
            }
        }
        for (String n : notes) {
            out.println("  " + n);
        }
        out.flush();
    }

    /** The same as one JSON object: {@code config}, {@code phases} (key to medians, spreads, values, ratio), {@code notes}. */
    public void printJson(PrintWriter out) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        ObjectNode cfg = root.putObject("config");
        config.forEach((k, v) -> cfg.set(k, mapper.valueToTree(v)));
        if (otherName != null) {
            root.put("compared_with", otherName);
        }
        ObjectNode phases = root.putObject("phases");
        for (Row r : rows) {
            ObjectNode p = phases.putObject(r.key());
            p.put("label", r.label());
            p.put("higher_is_better", r.higherIsBetter());
            p.set("llava4j", json(mapper, r.llava4j()));
            if (r.other() != null) {
                p.set("other", json(mapper, r.other()));
            }
            if (!Double.isNaN(r.ratio())) {
                p.put("ratio", round(r.ratio()));
            }
            if (r.covers() != null) {
                p.put("covers", r.covers());
            }
        }
        ArrayNode legend = root.putArray("notes");
        notes.forEach(legend::add);
        try {
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    private static ObjectNode json(ObjectMapper mapper, Summary s) {
        ObjectNode n = mapper.createObjectNode();
        number(n, "median", s.median());
        number(n, "min", s.min());
        number(n, "max", s.max());
        ArrayNode values = n.putArray("values");
        for (double v : s.values()) {
            if (Double.isNaN(v)) {
                values.addNull();
            } else {
                values.add(round(v));
            }
        }
        return n;
    }

    private static void number(ObjectNode n, String key, double v) {
        if (Double.isNaN(v)) {
            n.putNull(key);
        } else {
            n.put(key, round(v));
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String cell(Summary s) {
        if (Double.isNaN(s.median())) {
            return "n/a";
        }
        if (s.values().size() == 1) {
            return fmt(s.median());
        }
        return fmt(s.median()) + " (" + fmt(s.min()) + "-" + fmt(s.max()) + ")";
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v);
    }
}
