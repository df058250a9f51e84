#!/usr/bin/env python3
"""Draws the PWA icons (public/icons/*.png) from the same shapes as public/favicon.svg, with the
standard library only (zlib + struct; 4x4 supersampling for smooth edges).

    python3 deploy/make-icons.py [OUT_DIR]     # default: public/icons
"""
import os
import struct
import sys
import zlib

BLUE = (29, 78, 216)
WHITE = (255, 255, 255)
LIGHT = (191, 219, 254)
MID = (147, 197, 253)


def rounded_rect(x, y, w, h, r):
    def inside(px, py):
        if px < x or py < y or px > x + w or py > y + h:
            return False
        cx = min(max(px, x + r), x + w - r)
        cy = min(max(py, y + r), y + h - r)
        return (px - cx) ** 2 + (py - cy) ** 2 <= r * r
    return inside


def draw(size, maskable):
    """Shapes in a 64-unit box; maskable icons fill the square and keep the card in the safe zone."""
    if maskable:
        background = lambda px, py: True
        scale, off = 0.72, (1 - 0.72) * 32
    else:
        background = rounded_rect(0, 0, 64, 64, 14)
        scale, off = 0.86, (1 - 0.86) * 32
    t = lambda v: v * scale + off
    card = rounded_rect(t(4), t(12), 56 * scale, 40 * scale, 6 * scale)
    shapes = [
        (background, BLUE),
        (card, WHITE),
        (rounded_rect(t(12), t(21), 16 * scale, 16 * scale, 8 * scale), BLUE),
        (rounded_rect(t(34), t(23), 18 * scale, 4 * scale, 2 * scale), LIGHT),
        (rounded_rect(t(34), t(31), 12 * scale, 4 * scale, 2 * scale), LIGHT),
        (rounded_rect(t(12), t(42), 40 * scale, 3 * scale, 1.5 * scale), MID),
    ]
    ss = 4
    unit = 64.0 / size
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    px = (x + (sx + 0.5) / ss) * unit
                    py = (y + (sy + 0.5) / ss) * unit
                    colour = None
                    for inside, c in shapes:
                        if inside(px, py):
                            colour = c
                    if colour is not None:
                        acc[0] += colour[0]
                        acc[1] += colour[1]
                        acc[2] += colour[2]
                        acc[3] += 255
            n = ss * ss
            a = acc[3] // n
            if a:
                row += bytes([acc[0] * 255 // acc[3], acc[1] * 255 // acc[3], acc[2] * 255 // acc[3], a])
            else:
                row += bytes([0, 0, 0, 0])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(w, h, raw):
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "public", "icons")
    os.makedirs(out, exist_ok=True)
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-192.png", 192, True),
        ("maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),
    ]:
        with open(os.path.join(out, name), "wb") as f:
            f.write(draw(size, maskable))
        print(os.path.join(out, name))


if __name__ == "__main__":
    main()
