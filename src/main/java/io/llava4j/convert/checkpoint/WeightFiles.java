package io.llava4j.convert.checkpoint;

import io.llava4j.Llava4jException.Code;
import io.llava4j.convert.CheckpointException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.BiFunction;

/** Opening a weight file for reading: the channel stays open on success and is closed on failure. */
final class WeightFiles {
    private WeightFiles() {}

    /**
     * Opens {@code file} and hands it to {@code read}; if that throws, the channel is closed and the
     * read error propagates.
     *
     * @throws CheckpointException {@code IO} if the file is missing or cannot be opened
     */
    static <T> T open(Path file, BiFunction<Path, FileChannel, T> read) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(Code.IO, file, "file not found", e);
        } catch (IOException e) {
            throw new CheckpointException(Code.IO, file, "cannot open: " + e, e);
        }
        try {
            return read.apply(file, ch);
        } catch (RuntimeException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the read error is the one to report
            }
            throw e;
        }
    }
}
