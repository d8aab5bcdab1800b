package io.llava4j.nativeio;

import io.llava4j.nativeio.bindings.LlamaLib;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Routes llama.cpp/ggml and CLIP log lines to SLF4J loggers {@code llama.cpp} and {@code clip}.
 * Native code sends lines in pieces (a level of CONT continues the previous line), so pieces are
 * buffered per thread until a newline.
 *
 * <p>The callbacks are held in static fields for the life of the JVM: native code keeps calling
 * them after any Java caller is gone.
 */
public final class NativeLog {
    private static final int LEVEL_INFO = 2;
    private static final int LEVEL_WARN = 3;
    private static final int LEVEL_ERROR = 4;
    private static final int LEVEL_CONT = 5;

    private static final Logger LLAMA = LoggerFactory.getLogger("llama.cpp");
    private static final Logger CLIP = LoggerFactory.getLogger("clip");

    private static final LineBuffer LLAMA_LINES = new LineBuffer(LLAMA);
    private static final LineBuffer CLIP_LINES = new LineBuffer(CLIP);

    // Pinned: referenced from native code until the JVM exits.
    /** Whether the decode running on this thread was cancelled: its failure lines are expected. */
    private static final ThreadLocal<BooleanSupplier> CANCELLED = new ThreadLocal<>();

    private static LlamaLib.ggml_log_callback llamaCallback;
    private static LlamaLib.llava4j_log_callback clipCallback;

    private NativeLog() {}

    static synchronized void install() {
        if (llamaCallback != null) {
            return;
        }
        llamaCallback = new LlamaLib.ggml_log_callback() {
            @Override
            public void call(int level, BytePointer text, Pointer userData) {
                LLAMA_LINES.accept(level, text);
            }
        };
        clipCallback = new LlamaLib.llava4j_log_callback() {
            @Override
            public void call(int level, BytePointer text, Pointer userData) {
                CLIP_LINES.accept(level, text);
            }
        };
        LlamaLib.llama_log_set(llamaCallback, null);
        LlamaLib.llava4j_clip_log_set(clipCallback, null);
    }

    /** llama.cpp's INFO is chatty loader detail: users see it at SLF4J's debug level. */
    /**
     * Tells the log which cancellation state applies to native calls on this thread: while it is
     * true, llama.cpp's error lines about the aborted graph and decode ("failed to decode", "graph
     * compute ... failed") are logged at DEBUG, since a cancel is no failure. Keep {@code state}
     * in a field; this call allocates nothing.
     */
    public static void setCancelState(BooleanSupplier state) {
        CANCELLED.set(state);
    }

    private static boolean expectedAfterCancel(String line) {
        BooleanSupplier s = CANCELLED.get();
        return s != null && s.getAsBoolean() && (line.contains("decode") || line.contains("compute"));
    }

    private static Level slf4jLevel(int ggmlLevel) {
        return switch (ggmlLevel) {
            case LEVEL_ERROR -> Level.ERROR;
            case LEVEL_WARN -> Level.WARN;
            case LEVEL_INFO -> Level.DEBUG;
            default -> Level.TRACE;
        };
    }

    /** The native level itself, for {@link NativeLogTap} (which sees INFO as INFO). */
    private static Level nativeLevel(int ggmlLevel) {
        return switch (ggmlLevel) {
            case LEVEL_ERROR -> Level.ERROR;
            case LEVEL_WARN -> Level.WARN;
            case LEVEL_INFO -> Level.INFO;
            default -> Level.DEBUG;
        };
    }

    /** Assembles pieces into lines per thread and logs each complete line at its level. */
    private static final class LineBuffer {
        private final Logger logger;
        private final ThreadLocal<Pending> pending = ThreadLocal.withInitial(Pending::new);

        LineBuffer(Logger logger) {
            this.logger = logger;
        }

        void accept(int level, BytePointer text) {
            if (text == null || text.isNull()) {
                return;
            }
            Pending p = pending.get();
            if (level != LEVEL_CONT) {
                p.level = level;
            }
            NativeLogTap tap = NativeLogTap.current();
            boolean logged = enabled(p.level);
            if (!logged && tap == null) {
                return;
            }
            p.text.append(new String(text.getStringBytes(), StandardCharsets.UTF_8));
            int nl;
            while ((nl = p.text.indexOf("\n")) >= 0) {
                String line = p.text.substring(0, nl);
                p.text.delete(0, nl + 1);
                if (!line.isBlank()) {
                    if (logged) {
                        log(p.level, line);
                    }
                    if (tap != null) {
                        tap.deliver(nativeLevel(p.level), line);
                    }
                }
            }
        }

        private boolean enabled(int level) {
            return logger.isEnabledForLevel(slf4jLevel(level));
        }

        private void log(int level, String line) {
            Level l = slf4jLevel(level);
            if (l == Level.ERROR && expectedAfterCancel(line)) {
                l = Level.DEBUG;
            }
            logger.atLevel(l).log(line);
        }

        private static final class Pending {
            int level = LEVEL_INFO;
            final StringBuilder text = new StringBuilder();
        }
    }
}
