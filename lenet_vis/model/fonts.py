"""A drawn-style check set that is not MNIST: digits from TrueType/OpenType fonts, re-drawn.

Each digit glyph of each installed font is rendered, thinned to its one-pixel skeleton
(Zhang-Suen), and the skeleton is drawn again with a round brush, as a person's stroke on the
280x280 draw pad is: at a random height (80 to 250 px), slant, brush width (8 to 30 px) and
place, then put through `to_network_input` like a drawing. The set only measures; it is never
used for training or for choosing hyper-parameters.

Fonts come from the system's font folders (Debian: fonts-dejavu-core, fonts-liberation,
fonts-freefont-ttf, fonts-urw-base35); LENET_VIS_FONTS (folders separated by ":") replaces them.
Symbol, dingbat and maths fonts are left out, and so is any font that lacks distinct digits.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lenet_vis.model.preprocess import to_network_input

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
EXCLUDE = re.compile(r"symbol|dingbat|d050000l|math|emoji|icon|awesome|wingding", re.IGNORECASE)
GLYPH_SIZE = 160  # font size the glyphs are thinned at, in pixels
CANVAS = 280
HEIGHTS = (80, 250)  # drawn digit height on the canvas, as the drawing-style set
BRUSH = (8, 30)  # brush diameter on the canvas in pixels (the draw pad's is 18)
MAX_SLANT = 0.3  # largest horizontal shear, either way


def font_dirs() -> list[Path]:
    if env := os.environ.get("LENET_VIS_FONTS"):
        return [Path(p).expanduser() for p in env.split(":") if p]
    return [Path(p).expanduser() for p in FONT_DIRS]


def find_fonts(dirs: list[Path] | None = None) -> list[Path]:
    """TrueType and OpenType files under the font folders, sorted, without symbol fonts."""
    found = set()
    for d in dirs if dirs is not None else font_dirs():
        if d.is_dir():
            for ext in ("*.ttf", "*.otf", "*.TTF", "*.OTF"):
                found.update(p for p in d.rglob(ext) if not EXCLUDE.search(p.name))
    return sorted(found)


def glyph_mask(font: Path, digit: int, size: int = GLYPH_SIZE) -> np.ndarray:
    """The filled glyph of `digit` as a bool (H, W) array, cropped to its ink (may be empty)."""
    face = ImageFont.truetype(str(font), size)
    img = Image.new("L", (2 * size, 2 * size))
    ImageDraw.Draw(img).text((size // 2, size // 4), str(digit), fill=255, font=face)
    mask = np.asarray(img) > 127
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return np.zeros((0, 0), bool)
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning: a bool (H, W) shape -> its one-pixel-wide skeleton, same shape."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = img
            n = p[:-2, 1:-1]
            ne = p[:-2, 2:]
            e = p[1:-1, 2:]
            se = p[2:, 2:]
            s = p[2:, 1:-1]
            sw = p[2:, :-2]
            w = p[1:-1, :-2]
            nw = p[:-2, :-2]
            ring = (n, ne, e, se, s, sw, w, nw, n)
            b = n + ne + e + se + s + sw + w + nw
            a = sum((ring[i] == 0) & (ring[i + 1] == 1) for i in range(8))
            if step == 0:
                c = (n * e * s == 0) & (e * s * w == 0)
            else:
                c = (n * e * w == 0) & (n * s * w == 0)
            delete = (p[1:-1, 1:-1] == 1) & (b >= 2) & (b <= 6) & (a == 1) & c
            if delete.any():
                img = img.copy()
                img[1:-1, 1:-1][delete] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


@lru_cache(maxsize=1024)
def stroke_points(font: Path, digit: int) -> np.ndarray:
    """The skeleton of a digit's glyph as (K, 2) float (y, x) points, height 1, centred at 0."""
    mask = glyph_mask(font, digit)
    pts = np.argwhere(skeleton(mask)).astype(np.float64) if mask.size else np.zeros((0, 2))
    if len(pts) < 2:
        return np.zeros((0, 2))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (pts - (lo + hi) / 2) / max(hi[0] - lo[0], 1)


def usable_fonts(fonts: list[Path]) -> list[Path]:
    """Fonts whose ten digits all have ink and are not all alike (a font without digits draws
    boxes or one fallback glyph)."""
    good = []
    for font in fonts:
        try:
            masks = [glyph_mask(font, d, 48) for d in range(10)]
        except OSError:
            continue
        if any(m.size == 0 for m in masks):
            continue
        shapes = {(m.shape, m.tobytes()) for m in masks}
        if len(shapes) == 10:
            good.append(font)
    return good


def draw_digit(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Skeleton points (K, 2) -> uint8 (280, 280) canvas drawn with a round brush.

    A random height, slant (shear), brush diameter and position, as a person might draw it.
    """
    height = rng.uniform(*HEIGHTS)
    slant = rng.uniform(-MAX_SLANT, MAX_SLANT)
    brush = rng.uniform(*BRUSH)
    p = points * height
    p = np.stack([p[:, 0], p[:, 1] - slant * p[:, 0]], axis=1)  # positive slant leans right
    lo, hi = p.min(axis=0), p.max(axis=0)
    r = brush / 2
    room = CANVAS - (hi - lo) - 2 * r
    offset = r - lo + rng.uniform(0, 1, 2) * np.maximum(room, 0)
    p = p + offset
    img = Image.new("L", (CANVAS, CANVAS))
    draw = ImageDraw.Draw(img)
    for y, x in p:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(img)


def font_set(
    count: int = 2000,
    seed: int = 0,
    fonts: list[Path] | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """`count` drawn font digits: inputs (N, 1, 32, 32) float32, labels (N,), font file names.

    Digits cycle 0-9 and fonts cycle through the usable fonts, so every font draws every digit
    about equally often. Raises FileNotFoundError when no usable font is installed.
    """
    fonts = usable_fonts(find_fonts() if fonts is None else fonts)
    if not fonts:
        raise FileNotFoundError(
            "no TrueType/OpenType font with digits found; install e.g. fonts-dejavu-core "
            "fonts-liberation fonts-freefont-ttf fonts-urw-base35, or set LENET_VIS_FONTS"
        )
    rng = np.random.default_rng(seed)
    x = np.empty((count, 1, 32, 32), np.float32)
    labels = np.arange(count) % 10
    names = []
    it = range(count)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="font set", unit="digit", file=sys.stderr)
    for i in it:
        font = fonts[(i // 10) % len(fonts)]
        x[i, 0] = to_network_input(draw_digit(stroke_points(font, int(labels[i])), rng))
        names.append(font.name)
    return x, labels, names
