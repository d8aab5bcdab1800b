package io.llava4j.image;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG, PNG, BMP, GIF and WebP bytes with ImageIO plugins (the JDK's, plus TwelveMonkeys'
 * JPEG and WebP readers) into the RGB pixels Pillow's {@code Image.open(f).convert("RGB")} gives.
 *
 * <p>Where the plugins differ from Pillow, this class steers them: JPEGs are read in their raw
 * colour space (Pillow ignores embedded ICC profiles; TwelveMonkeys would colour-manage), CMYK and
 * YCCK JPEGs are read as raw rasters and converted like libjpeg + Pillow, a truncated JPEG is an
 * error (as in Pillow, where the JDK decoder would only warn and grey-fill), and GIF frame 0 is
 * placed on the logical screen like Pillow's {@code GifImageFile}. Stateless and thread-safe.
 */
final class ImageDecoder {
    private static final Set<String> FORMATS = Set.of("jpeg", "png", "bmp", "gif", "webp");

    private ImageDecoder() {}

    /**
     * @param source what to name in messages (a path, URL or "data: URI")
     * @throws Llava4jException {@code INVALID_FILE} for empty, unrecognised, unsupported, truncated
     *     or corrupt data; {@link ImageTooLargeException} when the header declares a size beyond
     *     the limits (checked before pixels are decoded)
     */
    static RgbImage decode(byte[] data, String source, ImageLoadOptions options) {
        if (data.length == 0) {
            throw new Llava4jException(Code.INVALID_FILE, source + ": empty (0 bytes), not an image");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = pickReader(in, source);
            String format = formatOf(reader);
            try {
                reader.setInput(in, false, false);
                RgbImage image = read(reader, format, source, options);
                if (options.applyExifOrientation() && !format.equals("gif") && !format.equals("bmp")) {
                    image = ExifOrientation.read(data).apply(image);
                }
                return image;
            } catch (Llava4jException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        source + ": cannot decode this " + format.toUpperCase(Locale.ROOT)
                                + " image (corrupt or truncated?): " + message(e),
                        e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, source + ": " + message(e), e);
        }
    }

    private static ImageReader pickReader(ImageInputStream in, String source) {
        String other = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReaders(in); it.hasNext(); ) {
            ImageReader reader = it.next();
            String format = formatOf(reader);
            if (FORMATS.contains(format)) {
                return reader;
            }
            if (other == null) {
                other = format.toUpperCase(Locale.ROOT);
            }
            reader.dispose();
        }
        throw new Llava4jException(
                Code.INVALID_FILE,
                source + ": "
                        + (other == null ? "not a recognised image" : other + " images are not supported")
                        + " (supported: JPEG, PNG, BMP, GIF, WebP)");
    }

    private static String formatOf(ImageReader reader) {
        String name = reader.getOriginatingProvider() != null
                ? reader.getOriginatingProvider().getFormatNames()[0].toLowerCase(Locale.ROOT)
                : "unknown";
        return name.equals("jpg") ? "jpeg" : name;
    }

    private static RgbImage read(ImageReader reader, String format, String source, ImageLoadOptions options)
            throws IOException {
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
        long width = reader.getWidth(0);
        long height = reader.getHeight(0);
        GifCanvas canvas = format.equals("gif") ? GifCanvas.of(reader) : null;
        if (canvas != null) {
            width = canvas.width(width);
            height = canvas.height(height);
        }
        checkSize(source, width, height, options);
        return switch (format) {
            case "jpeg" -> {
                try {
                    yield readJpeg(reader, source, warnings);
                } catch (IOException | RuntimeException e) {
                    checkTruncation(source, warnings, e);
                    throw e;
                }
            }
            case "gif" -> canvas.compose(reader.read(0));
            case "png" -> convert(reader.read(0), ImageMetadataTrees.isPngGray16(reader));
            default -> convert(reader.read(0), false);
        };
    }

    /** Refuses absurd sizes from the header alone, before any pixel buffer is allocated. */
    static void checkSize(String source, long width, long height, ImageLoadOptions options) {
        if (width < 1 || height < 1) {
            throw new Llava4jException(Code.INVALID_FILE, source + ": invalid image size " + width + "x" + height);
        }
        if (width * height > options.maxPixels()) {
            throw new ImageTooLargeException(
                    source + ": image of " + width + "x" + height + " = " + width * height
                            + " pixels exceeds the limit of " + options.maxPixels()
                            + " (possible decompression bomb)",
                    width,
                    height);
        }
        if (width > options.maxSide() || height > options.maxSide()) {
            throw new ImageTooLargeException(
                    source + ": image of " + width + "x" + height + " pixels has a side longer than the limit of "
                            + options.maxSide(),
                    width,
                    height);
        }
    }

    private static RgbImage readJpeg(ImageReader reader, String source, List<String> warnings) throws IOException {
        ImageTypeSpecifier raw = reader.getRawImageType(0);
        int width;
        int height;
        byte[] rgb;
        if (raw != null && raw.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK) {
            boolean ycck = ImageMetadataTrees.jpegAdobeTransform(reader) == 2;
            Raster raster = reader.readRaster(0, null);
            width = raster.getWidth();
            height = raster.getHeight();
            rgb = PilRgbConverter.jpegCmyk(raster, ycck);
        } else {
            ImageReadParam param = reader.getDefaultReadParam();
            if (raw != null) {
                param.setDestinationType(raw); // the file's own colour space: no ICC conversion
            }
            BufferedImage image = reader.read(0, param);
            width = image.getWidth();
            height = image.getHeight();
            rgb = toRgb(image, false);
        }
        checkTruncation(source, warnings, null);
        return new RgbImage(width, height, rgb);
    }

    /** Pillow refuses truncated JPEGs ("image file is truncated"); the JDK decoder only warns. */
    private static void checkTruncation(String source, List<String> warnings, Exception failure) {
        for (String w : warnings) {
            if (w.contains("Truncated File") || w.contains("Premature end of JPEG file")) {
                throw new Llava4jException(Code.INVALID_FILE, source + ": truncated JPEG (" + w + ")", failure);
            }
        }
    }

    private static RgbImage convert(BufferedImage image, boolean gray16IsModeI) {
        return new RgbImage(image.getWidth(), image.getHeight(), toRgb(image, gray16IsModeI));
    }

    static byte[] toRgb(BufferedImage image, boolean gray16IsModeI) {
        byte[] rgb = PilRgbConverter.convert(image, gray16IsModeI);
        return rgb != null ? rgb : PilRgbConverter.viaJava(image);
    }

    private static String message(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage() != null ? e.getMessage() : e.toString()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                sb.append(": ").append(c.getMessage());
            }
        }
        return sb.toString();
    }
}
