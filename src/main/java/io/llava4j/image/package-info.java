/**
 * Image input: files, URLs, {@code data:} URIs and bytes decoded to {@link io.llava4j.image.RgbImage}
 * with the pixel values Pillow's {@code Image.open(f).convert("RGB")} gives, EXIF orientation
 * applied, and decompression bombs refused before decoding. Entry point: {@link
 * io.llava4j.image.ImageLoader}.
 */
package io.llava4j.image;
