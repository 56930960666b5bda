"""The preprocessing equals its earlier, plainer form (`reference` below, kept verbatim from
before the live channel's lean path, with Pillow resizing each box itself, and with one
change: a centre of mass half-way between pixels is placed by `_shift`'s rule) within float32
rounding, with every digit at the same place: on the pad's 140x140 drawings of the fixture
digits, the digits at many sides, random scribbles, faint and tiny ink, a full grid, blank
grids, and on float32 ink as the HTTP path gives it. uint8 and float ink give the same bits.

The resize is now Pillow's weights applied as two matrix products (`preprocess.resampler`);
the model's accuracy figures and the live channel's equality with POST /api/predict rest on
this agreement.
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
    PAD,
    _paste,
    _shift,
    grid_input,
    resampler,
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
    _paste(out, digit, PAD + _shift(cy), PAD + _shift(cx))  # the one change: ties
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


ROUNDING = 2e-6  # of the brightest pixel (1.0): a few float32 steps


def same_digit(x: np.ndarray, expected: np.ndarray) -> bool:
    """Equal within float32 rounding, and the digit in the same place (no pixel that is clearly
    ink in one is background in the other)."""
    return np.allclose(x, expected, rtol=0, atol=ROUNDING) and np.array_equal(
        x > 0.01, expected > 0.01
    )


def test_the_uint8_grid_path_matches_pillow_resizing_each_box():
    x = np.empty((32, 32), np.float32)
    worst = 0.0
    for i, g in enumerate(GRIDS):
        expected, blank = reference(g)
        x.fill(np.nan)  # every value written, none left over
        assert grid_input(g, x) is blank, i
        assert same_digit(x, expected), (i, np.abs(x - expected).max())
        worst = max(worst, float(np.abs(x - expected).max()))
    assert 0 < worst < ROUNDING  # the products are not Pillow's own loops, but agree with them


@pytest.mark.parametrize("start", [0, 1])
def test_the_float_ink_path_matches_and_equals_the_uint8_path(start):
    for g in GRIDS[start::4]:
        ink = g.astype(np.float32)
        expected, _ = reference(ink)
        assert same_digit(to_network_input(ink), expected)
        assert to_network_input(g).tobytes() == to_network_input(ink).tobytes()  # same bits


def test_a_large_box_is_resized_by_pillow_itself():
    g = np.zeros((600, 600), np.uint8)
    g[40:560, 200:420] = 255  # a box over CACHED_SIDE pixels
    expected, _ = reference(g)
    assert to_network_input(g).tobytes() == expected.tobytes()


def test_resampler_is_pillows_resize_along_one_axis():
    rng = np.random.default_rng(3)
    for n, m in ((140, 20), (104, 17), (28, 20), (20, 20), (7, 20), (1, 1), (256, 5)):
        column = rng.random(n).astype(np.float32) * 255
        image = Image.frombuffer("F", (1, n), column, "raw", "F", 0, 1)
        pillow = np.asarray(image.resize((1, m), Image.Resampling.LANCZOS, reducing_gap=2.0))
        ours = resampler(n, m) @ column
        assert ours.shape == (m,)
        assert np.allclose(ours, pillow[:, 0], rtol=1e-6, atol=1e-4), (n, m)
    assert not resampler(140, 20).flags.writeable  # shared by every call
