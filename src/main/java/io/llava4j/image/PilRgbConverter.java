package io.llava4j.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns decoded rasters into 8-bit RGB exactly as Pillow's {@code Image.convert("RGB")} turns the
 * mode Pillow would have opened the file in (Pillow 9.4, {@code libImaging/Convert.c},
 * {@code Unpack.c}, {@code PngImagePlugin._MODES}):
 *
 * <ul>
 *   <li>L/LA/1/L;2/L;4: the grey level replicated; alpha dropped; 1, 2 and 4-bit samples scaled by
 *       {@code v * 255 / (2^bits - 1)} (0/255, x85, x17);
 *   <li>RGBA, RGBX, LA, PA: alpha dropped, never composited;
 *   <li>P: the palette colour (transparency ignored); an index past the palette reads Pillow's
 *       default grey ramp entry {@code (i, i, i)};
 *   <li>16-bit RGB/RGBA/LA PNG (rawmodes {@code RGB;16B}, {@code LA;16B}): the high byte;
 *   <li>16-bit grey PNG, which Pillow opens as mode "I": {@code min(v, 255)} ({@code i2rgb}
 *       clips, so most 16-bit greys turn white, as in Pillow);
 *   <li>packed BMP pixels (RGB;15/16 etc.): {@code v * 255 / (2^bits - 1)} per mask, truncated;
 *   <li>CMYK: {@code cmyk2rgb}: {@code nk = 255 - k; out = clip(nk - nk * c / 255)} with Pillow's
 *       rounding {@code MULDIV255}.
 * </ul>
 * Stateless and thread-safe.
 */
final class PilRgbConverter {
    private PilRgbConverter() {}

    /**
     * @param gray16IsModeI the raster is a 16-bit PNG of colour type 0 (grey, maybe with tRNS):
     *     Pillow's mode "I", clipped rather than shifted
     * @return {@code width * height * 3} bytes, or null when the colour model is not one Pillow's
     *     modes map to (the caller falls back to Java's colour conversion)
     */
    static byte[] convert(BufferedImage image, boolean gray16IsModeI) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel icm) {
            return palette(raster, icm);
        }
        if (cm instanceof DirectColorModel) {
            return scaled(raster, false, false);
        }
        int csType = cm.getColorSpace().getType();
        int bands = raster.getNumBands();
        int bits = raster.getSampleModel().getSampleSize(0);
        if (csType == ColorSpace.TYPE_GRAY && bands <= 2) {
            return bits == 16 && gray16IsModeI ? clippedGray(raster) : scaled(raster, true, bits == 16);
        }
        if (csType == ColorSpace.TYPE_RGB && bands >= 3 && bands <= 4) {
            return scaled(raster, false, bits == 16);
        }
        if (csType == ColorSpace.TYPE_CMYK && bands == 4 && bits == 8) {
            return cmyk(raster, false, false);
        }
        return null;
    }

    /** Java's own conversion (colour-managed) for models Pillow has no mode for. */
    static byte[] viaJava(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int p : row) {
                out[o++] = (byte) (p >> 16);
                out[o++] = (byte) (p >> 8);
                out[o++] = (byte) p;
            }
        }
        return out;
    }

    /**
     * A raw 4-component JPEG raster (no colour conversion) to RGB as Pillow reads it: libjpeg
     * outputs CMYK (YCCK converted by {@code jdcolor.c ycck_cmyk_convert}), Pillow unpacks it as
     * {@code CMYK;I} (inverted, "assume adobe conventions") and converts with {@code cmyk2rgb}.
     */
    static byte[] jpegCmyk(Raster raw, boolean ycck) {
        return cmyk(raw, true, ycck);
    }

    private static byte[] palette(Raster raster, IndexColorModel icm) {
        int size = icm.getMapSize();
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            r[i] = g[i] = b[i] = (byte) i; // Pillow's default palette beyond the file's entries
        }
        byte[] tr = new byte[size];
        byte[] tg = new byte[size];
        byte[] tb = new byte[size];
        icm.getReds(tr);
        icm.getGreens(tg);
        icm.getBlues(tb);
        System.arraycopy(tr, 0, r, 0, Math.min(size, 256));
        System.arraycopy(tg, 0, g, 0, Math.min(size, 256));
        System.arraycopy(tb, 0, b, 0, Math.min(size, 256));
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
            for (int idx : row) {
                int i = idx & 0xFF;
                out[o++] = r[i];
                out[o++] = g[i];
                out[o++] = b[i];
            }
        }
        return out;
    }

    /** Grey (replicated) or RGB samples; alpha and extra bands ignored. */
    private static byte[] scaled(Raster raster, boolean gray, boolean highByte) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int bands = raster.getNumBands();
        int[] max = new int[bands];
        for (int i = 0; i < bands; i++) {
            max[i] = (1 << raster.getSampleModel().getSampleSize(i)) - 1;
        }
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w * bands];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int base = x * bands;
                for (int c = 0; c < 3; c++) {
                    int band = gray ? 0 : c;
                    int v = row[base + band];
                    int m = max[band];
                    out[o++] = (byte) (highByte ? v >> 8 : m == 255 ? v : v * 255 / m);
                }
            }
        }
        return out;
    }

    private static byte[] clippedGray(Raster raster) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
            for (int v : row) {
                byte s = (byte) Math.min(v, 255);
                out[o++] = s;
                out[o++] = s;
                out[o++] = s;
            }
        }
        return out;
    }

    // libjpeg jdcolor.c build_ycc_rgb_table: FIX(1.40200), FIX(1.77200), FIX(0.71414), FIX(0.34414)
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (91881 * x + 32768) >> 16;
            CB_B[i] = (116130 * x + 32768) >> 16;
            CR_G[i] = -46802 * x;
            CB_G[i] = -22554 * x + 32768;
        }
    }

    private static byte[] cmyk(Raster raster, boolean jpegRaw, boolean ycck) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w * 4];
        int[] k4 = new int[4];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int p = x * 4;
                if (ycck) { // libjpeg gives 255 - clip(Y + ...); Pillow's CMYK;I inverts that back
                    int yy = row[p];
                    int cb = row[p + 1];
                    int cr = row[p + 2];
                    k4[0] = clip(yy + CR_R[cr]);
                    k4[1] = clip(yy + ((CB_G[cb] + CR_G[cr]) >> 16));
                    k4[2] = clip(yy + CB_B[cb]);
                    k4[3] = 255 - row[p + 3];
                } else {
                    for (int c = 0; c < 4; c++) {
                        k4[c] = jpegRaw ? 255 - row[p + c] : row[p + c];
                    }
                }
                int nk = 255 - k4[3];
                for (int c = 0; c < 3; c++) {
                    int t = k4[c] * nk + 128; // MULDIV255
                    out[o++] = (byte) clip(nk - (((t >> 8) + t) >> 8));
                }
            }
        }
        return out;
    }

    private static int clip(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
