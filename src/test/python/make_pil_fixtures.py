#!/usr/bin/python3
"""Regenerates src/test/resources/pil/ from Pillow (run with Debian's python3-pil + python3-numpy):

    /usr/bin/python3 src/test/python/make_pil_fixtures.py

Writes decode inputs with Pillow's ``exif_transpose(Image.open(f)).convert("RGB")`` bytes, bad
inputs, resize goldens (``Image.resize``, reducing_gap=None) and full LLaVA preprocessing goldens
(see llava_reference.py). Resize and preprocessing inputs are not stored: pil_inputs.pattern() and
the Java TestPatterns compute them. The Pillow version is written to pil/PILLOW_VERSION.
"""
import gzip
import hashlib
import io
import os
import struct
import sys

import numpy as np
import PIL
from PIL import Image, ImageOps

sys.dont_write_bytecode = True  # keep src/test/python free of __pycache__
sys.path.insert(0, os.path.dirname(__file__))
import llava_reference as ref  # noqa: E402
from pil_inputs import pack_bits, pattern, png_bytes  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "resources", "pil")
FILTERS = {"BICUBIC": Image.BICUBIC, "BILINEAR": Image.BILINEAR, "LANCZOS": Image.LANCZOS,
           "BOX": Image.BOX, "HAMMING": Image.HAMMING}


def out(*parts):
    path = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def gif_on_screen(gif, screen_w, screen_h, left, top):
    """Patches a one-frame GIF: a larger logical screen and the frame moved to (left, top)."""
    b = bytearray(gif)
    b[6:10] = struct.pack("<HH", screen_w, screen_h)
    pos = 13 + (3 << ((b[10] & 7) + 1) if b[10] & 0x80 else 0)
    while b[pos] == 0x21:  # skip extensions: introducer, label, sub-blocks
        pos += 2
        while b[pos]:
            pos += b[pos] + 1
        pos += 1
    assert b[pos] == 0x2C
    b[pos + 1:pos + 5] = struct.pack("<HH", left, top)
    return bytes(b)


def decode_fixtures():
    """Files in many modes; each with the RGB bytes Pillow produces for it."""
    rgb = pattern(37, 23, 1)
    im = Image.fromarray(rgb, "RGB")
    alpha = Image.fromarray(pattern(37, 23, 2)[:, :, 0], "L")
    rgba = im.copy()
    rgba.putalpha(alpha)
    gray = im.convert("L")
    la = gray.copy()
    la.putalpha(alpha)
    pal = im.quantize(47)
    files = {
        "rgb.png": encode(im, "PNG"), "rgba.png": encode(rgba, "PNG"), "l.png": encode(gray, "PNG"),
        "la.png": encode(la, "PNG"), "p.png": encode(pal, "PNG"),
        "p_trns.png": encode(pal, "PNG", transparency=3), "1bit.png": encode(gray.convert("1"), "PNG"),
        "i16.png": encode(Image.fromarray(((pattern(37, 23, 3)[:, :, 0].astype(np.uint16) * 3) % 700)
                                         .astype(np.uint16), "I;16"), "PNG"),
        "q420.jpg": encode(im, "JPEG", quality=90), "q444.jpg": encode(im, "JPEG", quality=90, subsampling=0),
        "q422.jpg": encode(im, "JPEG", quality=90, subsampling=1),
        "progressive.jpg": encode(im, "JPEG", quality=85, progressive=True),
        "gray.jpg": encode(gray, "JPEG"), "cmyk.jpg": encode(Image.fromarray(
            np.dstack([rgb, pattern(37, 23, 4)[:, :, :1]]), "CMYK"), "JPEG", quality=95),
        "rgb.bmp": encode(im, "BMP"), "p.bmp": encode(pal, "BMP"), "l.bmp": encode(gray, "BMP"),
        "1bit.bmp": encode(gray.convert("1"), "BMP"), "rgba.bmp": encode(rgba, "BMP"),
        "p.gif": encode(pal, "GIF"), "p_trns.gif": encode(pal, "GIF", transparency=5),
        "l.gif": encode(gray, "GIF"),
        "lossless.webp": encode(im, "WEBP", lossless=True), "rgba.webp": encode(rgba, "WEBP", lossless=True),
    }
    # GIF whose frame 0 is smaller than the logical screen and offset (Pillow pads it).
    small = Image.fromarray(pattern(5, 4, 8), "RGB").quantize(16)
    files["offset.gif"] = gif_on_screen(encode(small, "GIF"), 11, 9, 4, 3)
    files["offset_trns.gif"] = gif_on_screen(encode(small, "GIF", transparency=2), 11, 9, 4, 3)
    files["overflow.gif"] = gif_on_screen(encode(small, "GIF"), 6, 5, 4, 3)  # Pillow enlarges the canvas
    # Layouts Pillow does not write: 2/4/16-bit samples and tRNS on grey/RGB.
    w, h = 29, 11
    p = pattern(w, h, 5).astype(np.uint16)
    wide = (p * 257 + np.arange(w, dtype=np.uint16)[None, :, None] * 7) & 0xFFFF
    files["gray2.png"] = png_bytes(w, h, 2, 0, [pack_bits(r[:, 0] >> 6, 2) for r in p])
    files["gray4.png"] = png_bytes(w, h, 4, 0, [pack_bits(r[:, 0] >> 4, 4) for r in p])
    files["gray16.png"] = png_bytes(w, h, 16, 0, [r[:, 0].astype(">u2").tobytes() for r in p + p * 2])
    files["gray16_trns.png"] = png_bytes(w, h, 16, 0, [r[:, 0].astype(">u2").tobytes() for r in p],
                                         trns=b"\x00\x20")
    files["gray_trns.png"] = png_bytes(w, h, 8, 0, [r[:, 0].astype("u1").tobytes() for r in p], trns=b"\x00\x40")
    files["rgb_trns.png"] = png_bytes(w, h, 8, 2, [r.astype("u1").tobytes() for r in p],
                                      trns=b"\x00\x10\x00\x20\x00\x30")
    files["rgb16.png"] = png_bytes(w, h, 16, 2, [r.astype(">u2").tobytes() for r in wide])
    files["rgba16.png"] = png_bytes(w, h, 16, 6, [np.hstack([r, r[:, :1]]).astype(">u2").tobytes() for r in wide])
    files["la16.png"] = png_bytes(w, h, 16, 4, [r[:, :2].astype(">u2").tobytes() for r in wide])
    files["p4.png"] = png_bytes(w, h, 4, 3, [pack_bits(r[:, 1] >> 4, 4) for r in p],
                                palette=bytes(range(48)), trns=b"\x00\x80")
    # EXIF orientation 1..8 on a non-square image, in the three containers that carry EXIF.
    base = Image.fromarray(pattern(9, 5, 6), "RGB")
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        files[f"orient{o}.png"] = encode(base, "PNG", exif=exif.tobytes())
        files[f"orient{o}.jpg"] = encode(base, "JPEG", quality=95, exif=exif.tobytes())
    exif = Image.Exif()
    exif[0x0112] = 6
    files["orient6.webp"] = encode(base, "WEBP", lossless=True, exif=exif.tobytes())
    # Lossy WebP: TwelveMonkeys' VP8 decoder is not libwebp-exact (see ImageDecodingTest).
    y, x = np.mgrid[0:48, 0:64]
    smooth = np.stack([x * 4, y * 5, 255 - x * 2 - y], -1).clip(0, 255).astype(np.uint8)
    files["lossy.webp"] = encode(Image.fromarray(smooth, "RGB"), "WEBP", quality=80)

    lines = ["# file\twidth\theight\tpil_mode"]
    for name, data in sorted(files.items()):
        write(out("decode", name), data)
        img = Image.open(io.BytesIO(data))
        mode = img.mode
        conv = ImageOps.exif_transpose(img).convert("RGB")
        write(out("decode", name + ".rgb"), conv.tobytes())
        lines.append(f"{name}\t{conv.width}\t{conv.height}\t{mode}")
    write(out("decode", "manifest.tsv"), ("\n".join(lines) + "\n").encode())


def bad_fixtures():
    good = encode(Image.fromarray(pattern(40, 30, 7), "RGB"), "PNG")
    jpg = encode(Image.fromarray(pattern(40, 30, 7), "RGB"), "JPEG")
    write(out("bad", "truncated.png"), good[: len(good) // 2])
    write(out("bad", "truncated.jpg"), jpg[: len(jpg) // 2])
    write(out("bad", "random.bin"), np.random.RandomState(7).bytes(4096))
    write(out("bad", "empty.png"), b"")
    write(out("bad", "bomb.png"), png_bytes(100000, 100000, 8, 0, [b"\x00" * 8]))
    write(out("bad", "wide.png"), png_bytes(70000, 1, 8, 0, [b"\x00" * 70000]))
    write(out("bad", "image.tiff"), encode(Image.fromarray(pattern(8, 8, 7), "RGB"), "TIFF"))
    write(out("bad", "notes.txt"), b"not an image\n")


def resize_fixtures():
    cases = [  # src w, h, seed, dst w, h, filter, box
        (1, 1, 1, 336, 336, "BICUBIC", None), (7, 3, 2, 336, 144, "BICUBIC", None),
        (7, 3, 2, 3, 7, "BICUBIC", None), (2, 2, 3, 1, 1, "BICUBIC", None), (3, 1, 4, 1, 5, "BICUBIC", None),
        (5, 5, 5, 2, 3, "BICUBIC", None), (335, 337, 6, 336, 336, "BICUBIC", None),
        (337, 335, 7, 336, 336, "BICUBIC", None), (640, 480, 8, 448, 336, "BICUBIC", None),
        (640, 480, 8, 336, 336, "BICUBIC", None), (640, 480, 8, 672, 504, "BICUBIC", None),
        (640, 480, 8, 448, 336, "BILINEAR", None), (640, 480, 8, 448, 336, "LANCZOS", None),
        (640, 480, 8, 448, 336, "BOX", None), (640, 480, 8, 448, 336, "HAMMING", None),
        (640, 480, 8, 1000, 700, "BILINEAR", None),
        (1920, 1080, 9, 597, 336, "BICUBIC", None), (1920, 1080, 9, 672, 378, "BICUBIC", None),
        (1920, 1080, 9, 384, 384, "BICUBIC", None), (500, 2000, 10, 252, 1008, "BICUBIC", None),
        (1000, 200, 11, 1008, 202, "BICUBIC", None), (300, 200, 12, 336, 225, "BICUBIC", None),
        (100, 100, 13, 336, 336, "BICUBIC", None), (704, 396, 14, 672, 378, "BICUBIC", None),
        (336, 500, 15, 336, 336, "BICUBIC", None), (500, 336, 16, 336, 336, "BICUBIC", None),
        (640, 480, 8, 200, 150, "BICUBIC", (10.5, 20.25, 600.75, 470.0)),
        (100, 80, 17, 100, 80, "BICUBIC", (0.0, 0.0, 50.0, 40.0)),
        (100, 80, 17, 100, 80, "BILINEAR", (3.0, 0.0, 100.0, 80.0)),
        (100, 80, 17, 60, 80, "LANCZOS", (0.0, 5.5, 100.0, 60.0)),
    ]
    lines = ["# src_w\tsrc_h\tseed\tdst_w\tdst_h\tfilter\tbox\tsha256\traw_file"]
    for i, (w, h, seed, dw, dh, flt, box) in enumerate(cases):
        res = np.array(Image.fromarray(pattern(w, h, seed), "RGB").resize(
            (dw, dh), FILTERS[flt], box=box, reducing_gap=None)).tobytes()
        raw = "-"
        if len(res) <= 160_000:
            raw = f"case{i:02d}.rgb.gz"
            write(out("resize", raw), gzip.compress(res, 9, mtime=0))
        box_s = "-" if box is None else ",".join(repr(float(b)) for b in box)
        lines.append(f"{w}\t{h}\t{seed}\t{dw}\t{dh}\t{flt}\t{box_s}\t{hashlib.sha256(res).hexdigest()}\t{raw}")
    write(out("resize", "manifest.tsv"), ("\n".join(lines) + "\n").encode())


CLIP = dict(processor="clip", size=336, mean=[0.48145466, 0.4578275, 0.40821073],
            std=[0.26862954, 0.26130258, 0.27577711])
SIGLIP = dict(processor="siglip", size=384, mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])
V16_PINS = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]
NX_PINS = [[384, 768], [768, 384], [768, 768], [1152, 384], [384, 1152]]
OV_PINS = "(1x1),(1x2),(1x3),(1x4),(1x5),(1x6),(2x1),(2x2),(2x3),(2x4),(2x5),(2x6),(3x1),(3x2),(3x3),(3x4),(3x5),(3x6),(4x1),(4x2),(4x3),(4x4),(4x5),(4x6),(5x1),(5x2),(5x3),(5x4),(5x5),(5x6),(6x1),(6x2),(6x3),(6x4),(6x5),(6x6)"
TINY = dict(processor="clip", size=28, mean=CLIP["mean"], std=CLIP["std"])
TINY_PINS = [[28, 56], [56, 28], [56, 56], [84, 28], [28, 84]]


def pins_text(pins):
    return pins if isinstance(pins, str) else ";".join(f"{w}x{h}" for w, h in pins)


def pipeline_fixtures():
    cases = [  # name, config, mode, pinpoints, w, h, seed, stride
        ("clip_pad_640x480", CLIP, "pad", None, 640, 480, 21, 11),
        ("clip_pad_300x500", CLIP, "pad", None, 300, 500, 22, 11),
        ("clip_anyres_640x480", CLIP, "anyres", V16_PINS, 640, 480, 23, 11),
        ("clip_anyres_300x200", CLIP, "anyres", V16_PINS, 300, 200, 24, 11),
        ("clip_anyres_1000x200", CLIP, "anyres", V16_PINS, 1000, 200, 25, 11),
        ("clip_anyres_100x100", CLIP, "anyres", V16_PINS, 100, 100, 26, 11),
        ("clip_anyres_704x396", CLIP, "anyres", V16_PINS, 704, 396, 27, 11),
        ("clip_crop_640x480", CLIP, "crop", None, 640, 480, 28, 11),
        ("clip_crop_480x641", CLIP, "crop", None, 480, 641, 29, 11),
        ("siglip_pad_500x300", SIGLIP, "pad", None, 500, 300, 30, 12),
        ("siglip_squash_500x300", SIGLIP, "squash", None, 500, 300, 31, 12),
        ("siglip_anyres_640x480", SIGLIP, "anyres", NX_PINS, 640, 480, 32, 12),
        ("ov_anyres_800x500", SIGLIP, "anyres", OV_PINS, 800, 500, 33, 12),
        ("tiny_anyres_61x47", TINY, "anyres", TINY_PINS, 61, 47, 34, 1),
        ("tiny_anyres_20x13", TINY, "anyres", TINY_PINS, 20, 13, 35, 1),
        ("tiny_pad_45x31", TINY, "pad", None, 45, 31, 36, 1),
        ("tiny_crop_45x31", TINY, "crop", None, 45, 31, 37, 1),
    ]
    lines = ["# name\tprocessor\tsize\tmode\tpinpoints\tw\th\tseed\tstride\tcount\tsha256 per image (float32 LE HWC)"]
    for name, cfg, mode, pins, w, h, seed, stride in cases:
        img = Image.fromarray(pattern(w, h, seed), "RGB")
        size = cfg["size"]
        plist = ref.expand_pinpoint_string(pins, size) if isinstance(pins, str) else pins
        mode_ref = "anyres" if mode == "anyres" else mode
        if mode == "squash":  # SigLIP processor on the raw image = direct resize (no aspect keep)
            mode_ref = "plain"
        outs = ref.process_images(img, mode_ref, cfg["processor"], size, cfg["mean"], cfg["std"], plist)
        sub = b"".join(np.ascontiguousarray(o[::stride, ::stride]).astype("<f4").tobytes() for o in outs)
        write(out("pipeline", name + ".f32"), sub)
        shas = ",".join(hashlib.sha256(o.astype("<f4").tobytes()).hexdigest() for o in outs)
        lines.append(f"{name}\t{cfg['processor']}\t{size}\t{mode}\t{pins_text(pins) if pins else '-'}\t"
                     f"{w}\t{h}\t{seed}\t{stride}\t{len(outs)}\t{shas}")
    write(out("pipeline", "manifest.tsv"), ("\n".join(lines) + "\n").encode())


def anyres_layout_fixtures():
    """select_best_resolution / resize_and_pad / grid / unpad / tokens for many sizes, 3 families."""
    rnd = np.random.RandomState(42)
    sizes = [(640, 480), (480, 640), (1920, 1080), (500, 2000), (1000, 200), (336, 336), (100, 100),
             (300, 200), (200, 300), (704, 396), (384, 384), (2304, 2304), (1, 1), (1, 3000), (3000, 1),
             (335, 337), (672, 672), (673, 336), (1008, 336), (7, 3)]
    sizes += [(int(a), int(b)) for a, b in rnd.randint(1, 3000, size=(120, 2))]
    sizes += [(int(a), int(b)) for a, b in rnd.randint(1, 500, size=(60, 2))]
    fams = [("v16", V16_PINS, 336, 24, 0), ("interleave", NX_PINS, 384, 27, 0), ("ov", OV_PINS, 384, 27, 9)]
    lines = ["# family\tw\th\tbest_w\tbest_h\tcols\trows\tnew_w\tnew_h\tpaste_x\tpaste_y\tunpad_h\tunpad_w\tfinal_h\tfinal_w\ttokens"]
    for fam, pins, tile, side, mx in fams:
        plist = ref.expand_pinpoint_string(pins, tile) if isinstance(pins, str) else pins
        for w, h in sizes:
            bw, bh = ref.select_best_resolution((w, h), plist)
            nw, nh, px, py = ref.resize_and_pad_geometry((w, h), (bw, bh))
            cols, rows = bw // tile, bh // tile
            uh, uw, _, _ = ref.unpad_shape(rows * side, cols * side, (w, h))
            tokens, _, _, fh, fw = ref.spatial_unpad_tokens((w, h), plist, tile, side, mx)
            lines.append(f"{fam}\t{w}\t{h}\t{bw}\t{bh}\t{cols}\t{rows}\t{nw}\t{nh}\t{px}\t{py}\t{uh}\t{uw}\t{fh}\t{fw}\t{tokens}")
    write(out("anyres", "layout.tsv"), ("\n".join(lines) + "\n").encode())


def normalise_table():
    """Every 8-bit level through rescale+normalize for CLIP and SigLIP, float32 LE [proc][level][c]."""
    data = b""
    for cfg in (CLIP, SIGLIP):
        levels = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
        data += ref.rescale_normalize(levels, cfg["mean"], cfg["std"]).astype("<f4").tobytes()
    write(out("pipeline", "levels.f32"), data)


if __name__ == "__main__":
    write(out("PILLOW_VERSION"), (PIL.__version__ + "\n").encode())
    decode_fixtures()
    bad_fixtures()
    resize_fixtures()
    pipeline_fixtures()
    anyres_layout_fixtures()
    normalise_table()
    print("Pillow", PIL.__version__, "->", os.path.abspath(ROOT))
