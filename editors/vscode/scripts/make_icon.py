"""Draws images/icon.png (128x128): a shield with a check mark, in plain Python (no imaging library needed).

Each pixel is the coverage of 4x4 samples, so the edges are smooth. Run again after changing the shapes.
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from pathlib import Path

SIZE = 128
SAMPLES = 4
SHIELD = (38, 70, 140)  # deep blue
RIM = (98, 160, 234)
CHECK = (255, 255, 255)


def in_shield(x: float, y: float, inset: float = 0.0) -> bool:
    """A shield: flat top with rounded shoulders, sides curving to a point at the bottom."""
    top, bottom, half = 12 + inset, 118 - inset * 1.4, 50 - inset
    if y < top or y > bottom:
        return False
    cx = 64.0
    if y < 52:
        width = half
    else:
        t = (y - 52) / (bottom - 52)
        width = half * math.cos(t * math.pi / 2) ** 0.8
    corner = 12.0
    if y < top + corner and abs(x - cx) > half - corner:
        dx, dy = abs(x - cx) - (half - corner), top + corner - y
        return dx * dx + dy * dy <= corner * corner
    return abs(x - cx) <= width


def on_check(x: float, y: float) -> bool:
    """A thick check mark: two segments with round caps."""
    points = [(40.0, 64.0), (57.0, 81.0), (89.0, 45.0)]
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        vx, vy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)))
        px, py = ax + t * vx, ay + t * vy
        if (x - px) ** 2 + (y - py) ** 2 <= 7.5**2:
            return True
    return False


def pixel(px: int, py: int) -> tuple[int, int, int, int]:
    totals = [0.0, 0.0, 0.0, 0.0]
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            x, y = px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES
            if not in_shield(x, y):
                continue
            colour = CHECK if on_check(x, y) else SHIELD if in_shield(x, y, inset=6) else RIM
            for i, c in enumerate(colour):
                totals[i] += c
            totals[3] += 255
    n = SAMPLES * SAMPLES
    alpha = totals[3] / n
    if alpha == 0:
        return (0, 0, 0, 0)
    covered = totals[3] / 255
    return (round(totals[0] / covered), round(totals[1] / covered), round(totals[2] / covered), round(alpha))


def png(rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    rows = [b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE)]
    out = Path(__file__).resolve().parent.parent / "images" / "icon.png"
    out.write_bytes(png(rows))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
