package io.llava4j.quantize;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.event.Level;

/**
 * Reads what {@code llama_model_quantize} reports through the log, the only channel it has: one
 * progress line per tensor, a warning per type fallback, and the reason when it fails. The formats
 * are those of src/llama-quant.cpp at the pinned commit; a line that matches nothing is ignored, so
 * a format change upstream costs progress output, never a failure.
 *
 * <p>Not thread-safe: one instance per quantization, fed from the quantizing thread.
 */
final class QuantizeLog {
    /** {@code LLAMA_LOG_INFO("[%4d/%4d] %-36s - [%s], type = %6s, ", ...)}, completed by "size = ...". */
    private static final Pattern PROGRESS = Pattern.compile("^\\[\\s*(\\d+)/\\s*(\\d+)\\]\\s+(\\S+)\\s+-");
    /** {@code tensor_type_fallback}: "warning: NAME - ncols N not divisible by B (required for type T) ... -> falling back to U". */
    private static final Pattern FALLBACK = Pattern.compile(
            "^warning:\\s+(\\S+)\\s+-\\s+ncols\\s+(\\d+)\\s+not divisible by\\s+\\d+\\s+\\(required for type\\s+(\\S+)\\).*"
                    + "-> falling back to\\s+(\\S+)");
    /** {@code llama_model_quantize}: "llama_model_quantize: failed to quantize: WHAT". */
    private static final String FAILED = "failed to quantize: ";

    private final QuantizeListener listener;
    private final List<Fallback> fallbacks = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private int done;
    private int total;

    QuantizeLog(QuantizeListener listener) {
        this.listener = listener;
    }

    /** Takes one complete log line. */
    void accept(Level level, String line) {
        Matcher m = PROGRESS.matcher(line);
        if (m.find()) {
            done = Integer.parseInt(m.group(1));
            total = Integer.parseInt(m.group(2));
            try {
                listener.tensorDone(done, total, m.group(3));
            } catch (RuntimeException ignored) {
                // A listener failure must not unwind through llama.cpp's stack.
            }
            return;
        }
        m = FALLBACK.matcher(line);
        if (m.find()) {
            fallbacks.add(new Fallback(m.group(1), Long.parseLong(m.group(2)), m.group(3), m.group(4)));
            return;
        }
        if (level == Level.ERROR) {
            int at = line.indexOf(FAILED);
            errors.add(at >= 0 ? line.substring(at + FAILED.length()).trim() : line.trim());
        }
    }

    /** The fallbacks reported, in file order. */
    List<Fallback> fallbacks() {
        return List.copyOf(fallbacks);
    }

    /** llama.cpp's reason for failing (its error lines, last first), or a generic text. */
    String failureReason() {
        if (errors.isEmpty()) {
            return "llama.cpp gave no reason";
        }
        List<String> reversed = new ArrayList<>(errors);
        java.util.Collections.reverse(reversed);
        return String.join("; ", reversed);
    }

    /** Tensors written so far, and the total (0 before the first progress line). */
    int done() {
        return done;
    }

    int total() {
        return total;
    }
}
