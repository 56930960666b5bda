"""The preprocessing is bit-identical to its earlier, plainer form (`reference` below, kept
verbatim from before the live channel's lean path): on the pad's 140x140 drawings of the
fixture digits, the digits at many sides, random scribbles, faint and tiny ink, a full grid,
blank grids, and on float32 ink as the HTTP path gives it.

The model's golden values and the live channel's equality with POST /api/predict rest on it.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lenet_vis.assets import SAMPLES
from lenet_vis.model.preprocess import (
    _INDEX,
    BLANK_MAX,
    BOX,
    BOX_THRESHOLD,
    FIELD,
    PAD,
    _paste,
    grid_input,
    to_network_input,
)


def reference(ink: np.ndarray) -> tuple[np.ndarray, bool]:
    """The earlier `_preprocess` (ink (H, W) float32 or uint8) -> ((32, 32) float32, blank)."""
    out = np.zeros((32, 32), np.float32)
    row_peaks = ink.max(axis=1)
    peak = float(row_peaks.max())
    if peak < BLANK_MAX:
        return out, True
    peak = min(peak, 255.0)
    threshold = np.float32(BOX_THRESHOLD * peak)
    rows = np.flatnonzero(row_peaks > threshold)
    band = ink[rows[0] : rows[-1] + 1]
    cols = np.flatnonzero(band.max(axis=0) > threshold)
    box = band[:, cols[0] : cols[-1] + 1]
    crop = box.astype(np.float32) if ink.dtype == np.uint8 else np.clip(box, 0, 255)
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = Image.frombuffer("F", (w, h), crop, "raw", "F", 0, 1).resize(
        size, Image.Resampling.LANCZOS, reducing_gap=2.0
    )
    digit = np.frombuffer(small.tobytes(), np.float32).reshape(size[1], size[0])
    digit = np.maximum(digit, 0)
    top = float(digit.max())
    if top <= 0:
        return out, False
    digit /= np.float32(top)
    mass = digit.sum()
    cy = digit.sum(axis=1) @ _INDEX[: digit.shape[0]] / mass
    cx = digit.sum(axis=0) @ _INDEX[: digit.shape[1]] / mass
    _paste(out, digit, PAD + round(FIELD / 2 - cy), PAD + round(FIELD / 2 - cx))
    return out, False


def scribble(rng: np.random.Generator, side: int) -> np.ndarray:
    """Random strokes of random width and brightness on a (side, side) uint8 grid."""
    img = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(1, 6)):
        points = [
            tuple(int(v) for v in rng.integers(0, side, 2)) for _ in range(rng.integers(2, 8))
        ]
        draw.line(
            points, fill=int(rng.integers(20, 256)), width=int(rng.integers(1, side // 8 + 2))
        )
    return np.asarray(img)


def grids() -> list[np.ndarray]:
    rng = np.random.default_rng(12)
    with np.load(SAMPLES, allow_pickle=False) as z:
        digits = z["images"][:300]
    out = []
    for i, d in enumerate(digits):  # the pad's export, and other sides and resamplings
        side = (140, 28, 64, 97, 200, 256)[i % 6]
        resample = (Image.Resampling.BILINEAR, Image.Resampling.NEAREST)[i % 2]
        out.append(np.asarray(Image.fromarray(d).resize((side, side), resample)))
    out += [scribble(rng, int(rng.integers(28, 257))) for _ in range(300)]
    noise = rng.integers(0, 256, (140, 140), dtype=np.uint8)
    out += [
        noise,  # ink everywhere
        np.full((140, 140), 255, np.uint8),  # a full grid
        np.zeros((140, 140), np.uint8),  # blank
        np.full((140, 140), 15, np.uint8),  # faint: just under the blank rule
        np.full((140, 140), 16, np.uint8),  # just at it
    ]
    for value in (16, 17, 40, 255):  # one pixel, a thin row, a thin column, faint strokes
        for shape in ((1, 1), (1, 90), (90, 1), (3, 3)):
            g = np.zeros((140, 140), np.uint8)
            y, x = rng.integers(0, 140 - shape[0]), rng.integers(0, 140 - shape[1])
            g[y : y + shape[0], x : x + shape[1]] = value
            g[0, 0] = value // 11  # ink under the box threshold does not widen the box
            out.append(g)
    return out


GRIDS = grids()


def test_the_uint8_grid_path_is_bit_identical_to_the_reference():
    x = np.empty((32, 32), np.float32)
    for i, g in enumerate(GRIDS):
        expected, blank = reference(g)
        x.fill(np.nan)  # every value written, none left over
        assert grid_input(g, x) is blank, i
        assert np.array_equal(x, expected), i
        assert x.tobytes() == expected.tobytes(), i  # the same bits, zeros' signs too


@pytest.mark.parametrize("start", [0, 1])
def test_the_float_ink_path_is_bit_identical_to_the_reference(start):
    for g in GRIDS[start::4]:
        ink = g.astype(np.float32)
        expected, _ = reference(ink)
        assert to_network_input(ink).tobytes() == expected.tobytes()
        assert to_network_input(g).tobytes() == expected.tobytes()  # uint8 and float agree
