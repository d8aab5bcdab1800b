package io.llava4j.image;

import java.io.IOException;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The few header fields the decoder needs, read from ImageIO's native metadata trees. */
final class ImageMetadataTrees {
    private ImageMetadataTrees() {}

    /**
     * Whether a PNG is 16-bit colour type 0 (grey without an alpha channel, possibly with tRNS),
     * which Pillow opens as mode "I" (the JDK reader adds an alpha band for tRNS, so the raster
     * alone cannot tell it from grey+alpha).
     */
    static boolean isPngGray16(ImageReader reader) throws IOException {
        Element ihdr = first(reader.getImageMetadata(0), "javax_imageio_png_1.0", "IHDR");
        return ihdr != null
                && "Grayscale".equals(ihdr.getAttribute("colorType"))
                && "16".equals(ihdr.getAttribute("bitDepth"));
    }

    /** The APP14 Adobe colour transform (0 none/CMYK, 1 YCbCr, 2 YCCK), or -1 without the marker. */
    static int jpegAdobeTransform(ImageReader reader) throws IOException {
        Element adobe = first(reader.getImageMetadata(0), "javax_imageio_jpeg_image_1.0", "app14Adobe");
        if (adobe == null) {
            return -1;
        }
        try {
            return Integer.parseInt(adobe.getAttribute("transform"));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The first element called {@code name} in the native tree {@code format}, or null. */
    static Element first(IIOMetadata metadata, String format, String name) {
        if (metadata == null) {
            return null;
        }
        Node root;
        try {
            root = metadata.getAsTree(format);
        } catch (IllegalArgumentException e) {
            return null; // the plugin does not offer this tree
        }
        if (root instanceof Element e) {
            NodeList nodes = e.getElementsByTagName(name);
            return nodes.getLength() > 0 ? (Element) nodes.item(0) : null;
        }
        return null;
    }

    /** An integer attribute, or {@code fallback} when absent or malformed. */
    static int intAttribute(Element element, String name, int fallback) {
        if (element == null || !element.hasAttribute(name)) {
            return fallback;
        }
        try {
            return Integer.parseInt(element.getAttribute(name));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
