package io.llava4j.convert.tokenizer;

import io.llava4j.Llava4jException.Code;
import io.llava4j.convert.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A SentencePiece {@code .model} file ({@code tokenizer.model}, {@code sentencepiece.bpe.model}):
 * a serialized {@code sentencepiece.ModelProto} (sentencepiece_model.proto), read with
 * {@link ProtoReader}. Only what the GGUF export needs is kept: each piece with its score and
 * type (field 1: {@code piece = 1}, {@code score = 2}, {@code type = 3}, default NORMAL), the
 * trainer's model type ({@code trainer_spec.model_type = 3}) and the normalizer's
 * {@code add_dummy_prefix} ({@code normalizer_spec = 3}, field 3, default true).
 *
 * @param pieces the vocabulary in id order
 * @param modelType {@code trainer_spec.model_type}: 1 unigram (default), 2 BPE, 3 word, 4 char
 * @param addDummyPrefix whether SentencePiece prepends a space to the input
 */
public record SentencePieceModel(List<Piece> pieces, int modelType, boolean addDummyPrefix) {
    /** One vocabulary entry; {@code type} is a {@link TokenType} number. */
    public record Piece(String text, float score, int type) {}

    /**
     * Reads a {@code .model} file.
     *
     * @throws CheckpointException {@code IO} if it cannot be read, {@code INVALID_FILE} if it is not
     *     a SentencePiece model
     */
    public static SentencePieceModel read(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(Code.IO, file, "file not found", e);
        } catch (IOException e) {
            throw new CheckpointException(Code.IO, file, "cannot read: " + e, e);
        }
        try {
            SentencePieceModel m = parse(data);
            if (m.pieces.isEmpty()) {
                throw new CheckpointException(file, "no pieces: not a SentencePiece model");
            }
            return m;
        } catch (ProtoReader.ProtoException e) {
            throw new CheckpointException(file, "not a SentencePiece model: " + e.getMessage());
        }
    }

    static SentencePieceModel parse(byte[] data) {
        ProtoReader r = new ProtoReader(data);
        List<Piece> pieces = new ArrayList<>();
        int modelType = 1;
        boolean addDummyPrefix = true;
        while (r.hasMore()) {
            int tag = r.readTag();
            int field = tag >>> 3;
            int wire = tag & 7;
            if (field == 1 && wire == ProtoReader.LENGTH_DELIMITED) {
                pieces.add(piece(r.readMessage()));
            } else if (field == 2 && wire == ProtoReader.LENGTH_DELIMITED) {
                ProtoReader t = r.readMessage();
                while (t.hasMore()) {
                    int tt = t.readTag();
                    if (tt >>> 3 == 3 && (tt & 7) == ProtoReader.VARINT) {
                        modelType = (int) t.readVarint();
                    } else {
                        t.skip(tt & 7);
                    }
                }
            } else if (field == 3 && wire == ProtoReader.LENGTH_DELIMITED) {
                ProtoReader n = r.readMessage();
                while (n.hasMore()) {
                    int nt = n.readTag();
                    if (nt >>> 3 == 3 && (nt & 7) == ProtoReader.VARINT) {
                        addDummyPrefix = n.readVarint() != 0;
                    } else {
                        n.skip(nt & 7);
                    }
                }
            } else {
                r.skip(wire);
            }
        }
        return new SentencePieceModel(List.copyOf(pieces), modelType, addDummyPrefix);
    }

    private static Piece piece(ProtoReader p) {
        String text = null;
        float score = 0f;
        int type = TokenType.NORMAL;
        while (p.hasMore()) {
            int tag = p.readTag();
            int field = tag >>> 3;
            int wire = tag & 7;
            if (field == 1 && wire == ProtoReader.LENGTH_DELIMITED) {
                text = p.readString();
            } else if (field == 2 && wire == ProtoReader.FIXED32) {
                score = p.readFloat();
            } else if (field == 3 && wire == ProtoReader.VARINT) {
                type = (int) p.readVarint();
            } else {
                p.skip(wire);
            }
        }
        if (text == null) {
            throw new ProtoReader.ProtoException("a piece without text");
        }
        if (type < TokenType.NORMAL || type > TokenType.BYTE) {
            throw new ProtoReader.ProtoException("piece '" + text + "' has unknown type " + type);
        }
        return new Piece(text, score, type);
    }
}
