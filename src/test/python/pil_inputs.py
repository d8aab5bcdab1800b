"""Deterministic test images shared with the Java tests (TestPatterns.java computes the same bytes).

pattern(w, h, seed): uint8 HWC RGB = a colour gradient, +-32 hash noise, and every fifth 8x8 cell
hard black or white (sharp edges make bicubic overshoot, so the 8-bit clamps are exercised).
"""
import struct
import zlib

import numpy as np

M32 = np.uint64(0xFFFFFFFF)


def pattern(w, h, seed):
    y, x, c = np.meshgrid(np.arange(h, dtype=np.uint64), np.arange(w, dtype=np.uint64),
                          np.arange(3, dtype=np.uint64), indexing="ij")
    hsh = ((x * np.uint64(73856093)) ^ (y * np.uint64(19349663)) ^ (c * np.uint64(83492791))
           ^ np.uint64((seed * 2654435761) & 0xFFFFFFFF)) & M32
    hsh = (hsh * np.uint64(2246822519)) & M32
    hsh ^= hsh >> np.uint64(13)
    xi, yi, ci = x.astype(np.int64), y.astype(np.int64), c.astype(np.int64)
    grad = ((xi * 255) // max(w - 1, 1) * (ci + 1) + (yi * 255) // max(h - 1, 1) * (3 - ci)) // 4
    v = np.clip(grad + (hsh & np.uint64(63)).astype(np.int64) - 32, 0, 255)
    block = ((xi // 8 + yi // 8 + seed) % 5) == 0
    v = np.where(block, np.where((xi // 8) % 2 == 1, 255, 0), v)
    return v.astype(np.uint8)


def png_bytes(width, height, bit_depth, color_type, rows, trns=None, palette=None):
    """A minimal PNG (filter 0 on every row) for layouts Pillow cannot write (2/4/16-bit, tRNS)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth,
                                                              color_type, 0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", palette)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def pack_bits(values, bits):
    """Packs one row of small samples MSB-first, as PNG stores 1/2/4-bit samples."""
    out, acc, n = bytearray(), 0, 0
    for v in values:
        acc = (acc << bits) | int(v)
        n += bits
        if n == 8:
            out.append(acc)
            acc, n = 0, 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)
