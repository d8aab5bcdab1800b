package io.llava4j.model;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A fingerprint of a model file that is cheap to take on a multi-GB GGUF: SHA-256 over the file
 * size, the first MiB (the GGUF header: metadata and tensor table) and 32 blocks of 64 KiB spread
 * evenly over the rest (tensor data). Two files with the same header but different weights (two
 * fine-tunes of one architecture) differ in the sampled blocks; a file that changes anywhere but
 * between the samples keeps its identity, which is why it names a model, not a checksum of it.
 *
 * <p>Used to key cached image embeddings to the mmproj that made them and to refuse a saved
 * conversation on another model.
 */
public final class FileIdentity {
    static final int HEAD = 1 << 20;
    static final int BLOCK = 1 << 16;
    static final int BLOCKS = 32;

    private FileIdentity() {}

    /**
     * @return 32 lower-case hex digits (the first 128 bits of the SHA-256)
     * @throws Llava4jException {@code IO} if the file cannot be read
     */
    public static String of(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            long size = ch.size();
            md.update(ByteBuffer.allocate(8).putLong(size).flip());
            ByteBuffer buf = ByteBuffer.allocate(HEAD);
            read(ch, buf, 0);
            md.update(buf.flip());
            if (size > HEAD) {
                long span = size - HEAD;
                for (int i = 0; i < BLOCKS; i++) {
                    buf.clear().limit(BLOCK);
                    read(ch, buf, HEAD + span * i / BLOCKS);
                    md.update(buf.flip());
                }
            }
            return HexFormat.of().formatHex(md.digest(), 0, 16);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static void read(FileChannel ch, ByteBuffer buf, long at) throws IOException {
        long pos = at;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
    }
}
