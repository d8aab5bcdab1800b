package io.llava4j.image;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageReader;
import org.w3c.dom.Element;

/**
 * GIF frame 0 as Pillow 9.4's {@code GifImageFile} shows it: an image the size of the logical
 * screen (enlarged when the frame reaches past it, as {@code _seek} does), filled with the frame's
 * transparent index (or index 0), the frame's indices pasted at its offset, all mapped through the
 * frame's palette ({@code load_prepare}). The JDK reader returns only the frame rectangle.
 *
 * @param screenWidth logical screen width from the header
 * @param screenHeight logical screen height from the header
 * @param left frame 0 column
 * @param top frame 0 row
 * @param background fill index: the transparent index, else 0
 */
record GifCanvas(int screenWidth, int screenHeight, int left, int top, int background) {
    static GifCanvas of(ImageReader reader) throws IOException {
        Element screen = ImageMetadataTrees.first(
                reader.getStreamMetadata(), "javax_imageio_gif_stream_1.0", "LogicalScreenDescriptor");
        Element frame =
                ImageMetadataTrees.first(reader.getImageMetadata(0), "javax_imageio_gif_image_1.0", "ImageDescriptor");
        Element control = ImageMetadataTrees.first(
                reader.getImageMetadata(0), "javax_imageio_gif_image_1.0", "GraphicControlExtension");
        int background = 0;
        if (control != null && "TRUE".equalsIgnoreCase(control.getAttribute("transparentColorFlag"))) {
            background = ImageMetadataTrees.intAttribute(control, "transparentColorIndex", 0);
        }
        return new GifCanvas(
                ImageMetadataTrees.intAttribute(screen, "logicalScreenWidth", 0),
                ImageMetadataTrees.intAttribute(screen, "logicalScreenHeight", 0),
                ImageMetadataTrees.intAttribute(frame, "imageLeftPosition", 0),
                ImageMetadataTrees.intAttribute(frame, "imageTopPosition", 0),
                background);
    }

    /** Width of the image Pillow shows for a frame of this width. */
    long width(long frameWidth) {
        return Math.max(screenWidth, left + frameWidth);
    }

    /** Height of the image Pillow shows for a frame of this height. */
    long height(long frameHeight) {
        return Math.max(screenHeight, top + frameHeight);
    }

    /** Frame 0 (as read by the JDK) placed on the canvas, converted to RGB. */
    RgbImage compose(BufferedImage frame) {
        int w = (int) width(frame.getWidth());
        int h = (int) height(frame.getHeight());
        if ((w == frame.getWidth() && h == frame.getHeight())
                || !(frame.getColorModel() instanceof IndexColorModel icm)) {
            return new RgbImage(frame.getWidth(), frame.getHeight(), ImageDecoder.toRgb(frame, false));
        }
        WritableRaster raster = icm.createCompatibleWritableRaster(w, h);
        int[] fill = new int[w];
        Arrays.fill(fill, background);
        for (int y = 0; y < h; y++) {
            raster.setSamples(0, y, w, 1, 0, fill);
        }
        raster.setRect(left, top, frame.getRaster());
        return new RgbImage(w, h, ImageDecoder.toRgb(new BufferedImage(icm, raster, false, null), false));
    }
}
