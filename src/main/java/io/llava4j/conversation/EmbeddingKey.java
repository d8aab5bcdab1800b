package io.llava4j.conversation;

import java.util.Locale;
import java.util.Objects;

/**
 * What an image embedding depends on: the image's pixels, the mmproj that encoded it and the
 * layout it was made for ({@link Layout}). The preprocessing revision is part of the key, so an
 * upgrade that changes preprocessing does not read stale files.
 *
 * @param imageSha256 {@link io.llava4j.image.ChatImage#sha256()}
 * @param mmprojIdentity {@link io.llava4j.model.FileIdentity} of the mmproj
 * @param layout single image or one of several
 */
public record EmbeddingKey(String imageSha256, String mmprojIdentity, Layout layout) {
    /** Changes whenever preprocessing or merging would give other embeddings for the same inputs. */
    static final String REVISION = "p1";

    /** How the image sits in the prompt. */
    public enum Layout {
        /** The only image of the prompt: the model's full layout (anyres tiles and merge). */
        SINGLE,
        /** One of several: one crop per image (LLaVA-NeXT's multi-image path). */
        MULTI;

        /** The layout of each image of a prompt with {@code images} images. */
        static Layout of(int images) {
            return images > 1 ? MULTI : SINGLE;
        }
    }

    public EmbeddingKey {
        Objects.requireNonNull(imageSha256, "imageSha256");
        Objects.requireNonNull(mmprojIdentity, "mmprojIdentity");
        Objects.requireNonNull(layout, "layout");
    }

    /** A file-name-safe identifier. */
    public String id() {
        return imageSha256.substring(0, Math.min(40, imageSha256.length())) + "-" + mmprojIdentity + "-"
                + layout.name().toLowerCase(Locale.ROOT) + "-" + REVISION;
    }
}
