package io.llava4j.image;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import java.io.ByteArrayInputStream;

/**
 * The eight EXIF orientations (tag 0x0112) and the transposition that shows the picture upright,
 * as Pillow's {@code ImageOps.exif_transpose} maps them: 2 FLIP_LEFT_RIGHT, 3 ROTATE_180,
 * 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90 (Pillow's rotations are
 * counter-clockwise, so 6 turns the stored pixels 90 degrees clockwise).
 */
public enum ExifOrientation {
    NORMAL(1),
    FLIP_HORIZONTAL(2),
    ROTATE_180(3),
    FLIP_VERTICAL(4),
    TRANSPOSE(5),
    ROTATE_90_CW(6),
    TRANSVERSE(7),
    ROTATE_90_CCW(8);

    private final int tag;

    ExifOrientation(int tag) {
        this.tag = tag;
    }

    /** The EXIF tag value, 1-8. */
    public int tag() {
        return tag;
    }

    /** The orientation for a tag value; anything outside 1-8 is {@link #NORMAL}, as in Pillow. */
    public static ExifOrientation fromTag(int tag) {
        return tag >= 1 && tag <= 8 ? values()[tag - 1] : NORMAL;
    }

    /** Whether the upright image has width and height swapped relative to the stored one. */
    public boolean swapsSides() {
        return tag >= 5;
    }

    /**
     * Reads the orientation of an encoded JPEG, PNG ({@code eXIf}) or WebP ({@code EXIF}) file with
     * metadata-extractor. Missing, unreadable or malformed metadata gives {@link #NORMAL}: a broken
     * EXIF block must not make a decodable picture unusable (Pillow also ignores bad EXIF here).
     */
    static ExifOrientation read(byte[] encoded) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(encoded), encoded.length);
            for (ExifIFD0Directory dir : metadata.getDirectoriesOfType(ExifIFD0Directory.class)) {
                Integer value = dir.getInteger(ExifIFD0Directory.TAG_ORIENTATION);
                if (value != null) {
                    return fromTag(value);
                }
            }
        } catch (Exception e) {
            // metadata-extractor throws ImageProcessingException/IOException and, on hostile
            // input, runtime exceptions; orientation is then unknown, i.e. NORMAL.
        }
        return NORMAL;
    }

    /** Returns the upright image: a new image, or {@code image} itself for {@link #NORMAL}. */
    public RgbImage apply(RgbImage image) {
        if (this == NORMAL) {
            return image;
        }
        int w = image.width();
        int h = image.height();
        int ow = swapsSides() ? h : w;
        int oh = swapsSides() ? w : h;
        byte[] in = new byte[w * h * 3];
        image.rgbBuffer().get(in);
        byte[] out = new byte[in.length];
        int o = 0;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (this) {
                    case FLIP_HORIZONTAL -> {
                        sx = w - 1 - x;
                        sy = y;
                    }
                    case ROTATE_180 -> {
                        sx = w - 1 - x;
                        sy = h - 1 - y;
                    }
                    case FLIP_VERTICAL -> {
                        sx = x;
                        sy = h - 1 - y;
                    }
                    case TRANSPOSE -> {
                        sx = y;
                        sy = x;
                    }
                    case ROTATE_90_CW -> {
                        sx = y;
                        sy = h - 1 - x;
                    }
                    case TRANSVERSE -> {
                        sx = w - 1 - y;
                        sy = h - 1 - x;
                    }
                    case ROTATE_90_CCW -> {
                        sx = w - 1 - y;
                        sy = x;
                    }
                    default -> throw new AssertionError(this);
                }
                int i = (sy * w + sx) * 3;
                out[o++] = in[i];
                out[o++] = in[i + 1];
                out[o++] = in[i + 2];
            }
        }
        return new RgbImage(ow, oh, out);
    }
}
