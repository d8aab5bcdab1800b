package io.llava4j.conversation;

import java.nio.file.Path;

/** Told how far opening a model pair is; called on the opening thread. */
@FunctionalInterface
public interface LoadListener {
    LoadListener NONE = (file, fraction) -> {};

    /** {@code file} is loaded to {@code fraction} (0 to 1; the mmproj reports only 0 and 1). */
    void onLoad(Path file, double fraction);
}
