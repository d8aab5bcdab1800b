package io.llava4j.convert;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.llava4j.convert.tokenizer.BpePreTokenizer;
import io.llava4j.gguf.GgufFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Real tokenizer files made from llama.cpp's vocabulary GGUFs: a SentencePiece {@code .model}
 * (the {@code ModelProto} protobuf: pieces with score and type, trainer model type BPE, normalizer
 * with {@code add_dummy_prefix}) from {@code ggml-vocab-llama-spm.gguf}, and an HF
 * {@code tokenizer.json} (byte-level BPE, vocab, merges, special tokens, Qwen2's NFC normalizer and
 * split regex) from {@code ggml-vocab-qwen2.gguf}.
 */
final class VocabFiles {
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;

    private VocabFiles() {}

    static void sentencePiece(GgufFile vocab, Path out) {
        List<String> tokens = vocab.getStringArray("tokenizer.ggml.tokens");
        float[] scores = vocab.getFloatArray("tokenizer.ggml.scores");
        int[] types = vocab.getIntArray("tokenizer.ggml.token_type");
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        for (int i = 0; i < tokens.size(); i++) {
            ByteArrayOutputStream piece = new ByteArrayOutputStream();
            bytesField(piece, 1, tokens.get(i).getBytes(StandardCharsets.UTF_8));
            varint(piece, 2 << 3 | 5);
            piece.writeBytes(ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat(scores[i])
                    .array());
            varint(piece, 3 << 3);
            varint(piece, types[i]);
            bytesField(model, 1, piece.toByteArray());
        }
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        varint(trainer, 3 << 3);
        varint(trainer, 2); // model_type = BPE
        bytesField(model, 2, trainer.toByteArray());
        ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
        varint(normalizer, 3 << 3);
        varint(normalizer, 1); // add_dummy_prefix
        bytesField(model, 3, normalizer.toByteArray());
        try {
            Files.write(out, model.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] b) {
        varint(out, field << 3 | 2);
        varint(out, b.length);
        out.writeBytes(b);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** A Qwen2-style {@code tokenizer.json}: normal tokens in the BPE vocab, control/user tokens as added tokens. */
    static void qwen2TokenizerJson(GgufFile vocab, Path out) {
        List<String> tokens = vocab.getStringArray("tokenizer.ggml.tokens");
        int[] types = vocab.getIntArray("tokenizer.ggml.token_type");
        List<String> merges = vocab.getStringArray("tokenizer.ggml.merges");
        try (OutputStream os = Files.newOutputStream(out);
                JsonGenerator g = new JsonFactory().createGenerator(os)) {
            g.writeStartObject();
            g.writeStringField("version", "1.0");
            g.writeArrayFieldStart("added_tokens");
            for (int i = 0; i < tokens.size(); i++) {
                if (types[i] == CONTROL) {
                    g.writeStartObject();
                    g.writeNumberField("id", i);
                    g.writeStringField("content", tokens.get(i));
                    g.writeBooleanField("single_word", false);
                    g.writeBooleanField("lstrip", false);
                    g.writeBooleanField("rstrip", false);
                    g.writeBooleanField("normalized", false);
                    g.writeBooleanField("special", true);
                    g.writeEndObject();
                }
            }
            g.writeEndArray();
            g.writeObjectFieldStart("normalizer");
            g.writeStringField("type", "NFC");
            g.writeEndObject();
            g.writeObjectFieldStart("pre_tokenizer");
            g.writeStringField("type", "Sequence");
            g.writeArrayFieldStart("pretokenizers");
            g.writeStartObject();
            g.writeStringField("type", "Split");
            g.writeObjectFieldStart("pattern");
            g.writeStringField("Regex", BpePreTokenizer.QWEN2_REGEX);
            g.writeEndObject();
            g.writeStringField("behavior", "Isolated");
            g.writeBooleanField("invert", false);
            g.writeEndObject();
            g.writeStartObject();
            g.writeStringField("type", "ByteLevel");
            g.writeBooleanField("add_prefix_space", false);
            g.writeBooleanField("trim_offsets", false);
            g.writeBooleanField("use_regex", false);
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
            g.writeObjectFieldStart("model");
            g.writeStringField("type", "BPE");
            g.writeBooleanField("byte_fallback", false);
            g.writeObjectFieldStart("vocab");
            for (int i = 0; i < tokens.size(); i++) {
                if (types[i] != CONTROL && types[i] != USER_DEFINED) {
                    g.writeNumberField(tokens.get(i), i);
                }
            }
            g.writeEndObject();
            g.writeArrayFieldStart("merges");
            for (String m : merges) {
                g.writeString(m);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
