"""A drawing or an image to the network input, by MNIST's conventions.

MNIST digits were scaled to fit a 20x20 box (aspect kept, anti-aliased) and placed so their
centre of mass sits at the centre of 28x28. A drawing gets the same, then the 2-pixel border
that makes 32x32. Ink is bright on dark: 0 background, 255 ink.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from PIL import Image

BOX = 20  # the longer side of the ink's bounding box, in pixels
FIELD = 28  # MNIST's field; the centre of mass goes to its centre
PAD = 2  # 28 + 2 * 2 = 32
BLANK_MAX = 16.0  # an image whose brightest ink is below this (of 255) is blank
BOX_THRESHOLD = 0.1  # ink below this fraction of the maximum does not widen the box
NETWORK_SIDES = (FIELD, FIELD + 2 * PAD)  # what preprocess=False takes: 28x28 or 32x32
_INDEX = np.arange(BOX)  # row or column numbers of the scaled digit (at most BOX of each)
_max, _sum = np.maximum.reduce, np.add.reduce  # ndarray.max and .sum, without the wrappers


class NetworkInput(NamedTuple):
    """What the network sees: x (32, 32) float32 in [0, 1], and whether the ink was blank."""

    x: np.ndarray
    blank: bool


def network_input(image, preprocess: bool = True) -> NetworkInput:
    """Ink, a pixel array or a PIL image -> the (32, 32) network input and whether it is blank.

    The one path from "what was drawn" to "what the network sees", for the API, the batch, the
    lessons and the CLI. preprocess=True: crop, scale and centre as MNIST did
    (`to_network_input`). preprocess=False: the image is already the network's field, 28x28
    (padded by 2) or 32x32, scaled from 0-255 to 0-1. One blank rule for both: the brightest
    ink is below BLANK_MAX (16 of 255); a blank image gives all zeros with preprocess on.
    Raises ValueError (with the reason) for arrays that are not 2-D, hold NaN/Inf, or (with
    preprocess off) are not 28x28 or 32x32.
    """
    ink = as_ink(image)
    blank = _blank(ink)
    if preprocess:
        return NetworkInput(to_network_input(ink), blank)
    if ink.shape not in ((side, side) for side in NETWORK_SIDES):
        raise ValueError(
            f"with preprocess false the image must be 28x28 or 32x32, not "
            f"{ink.shape[0]}x{ink.shape[1]}"
        )
    x = np.empty((FIELD + 2 * PAD,) * 2, np.float32)
    field_input(np.clip(ink, 0, 255), x)
    return NetworkInput(x, blank)


def image_to_ink(img: Image.Image) -> np.ndarray:
    """A decoded image (grayscale, RGB, RGBA, palette) -> ink (H, W) float32, 0 bg, 255 ink.

    Transparent pixels are background. An opaque image whose border is bright (dark ink on
    paper) is inverted.
    """
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        img = img.convert("RGBA")
        if img.getextrema()[3][0] < 255:  # some transparency: transparent is background
            alpha = np.asarray(img.getchannel("A"), dtype=np.float32) / 255
            lum = np.asarray(img.convert("L"), dtype=np.float32)
            weight = alpha.sum()
            mean_lum = float((lum * alpha).sum() / weight) if weight > 0 else 0.0
            strokes = 255 - lum if mean_lum < 128 else lum
            return strokes * alpha
    return invert_if_bright_border(np.asarray(img.convert("L"), dtype=np.float32))


def invert_if_bright_border(ink: np.ndarray) -> np.ndarray:
    """ink: (H, W) 0-255 -> same, inverted when the border's mean is above mid-grey."""
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    return 255 - ink if border.mean() > 127.5 else ink


def as_ink(image) -> np.ndarray:
    """A PIL image, an (H, W) ink array or an (H, W, 3|4) pixel array -> ink (H, W) float32."""
    if isinstance(image, Image.Image):
        return image_to_ink(image)
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        return image_to_ink(Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)))
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"ink must be a non-empty 2-D array, got shape {arr.shape}")
    arr = arr.astype(np.float32, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError("ink holds NaN or infinite values")
    return arr


def is_blank(image) -> bool:
    """True when there is no ink worth the name (brightest pixel below 16 of 255)."""
    return _blank(as_ink(image))


def _blank(ink: np.ndarray) -> bool:
    """The one blank rule: ink (H, W) whose brightest value is below BLANK_MAX."""
    return float(ink.max(initial=0)) < BLANK_MAX


def to_network_input(image, out: np.ndarray | None = None) -> np.ndarray:
    """Ink or an image -> (32, 32) float32 in [0, 1]; all zeros when the image is blank.

    Steps: ink bounding box; longer side scaled to 20 px (Pillow, anti-aliased); brightest
    value to 1; centre of mass moved to the centre of the 28x28 field; padded to 32x32.
    A uint8 (H, W) array (the live channel's grid) is read as it is, with no float copy of the
    whole of it; the result is the same as for the same values as float32.
    out: an optional (32, 32) float32 array (e.g. a view into an outgoing buffer), written in
    place and returned.
    """
    if out is None:
        out = np.empty((FIELD + 2 * PAD, FIELD + 2 * PAD), np.float32)
    _preprocess(_ink_or_grid(image), out)
    return out


def _preprocess(ink: np.ndarray, out: np.ndarray) -> bool:
    """to_network_input's steps on ink (H, W) float32 or uint8, into out; True if blank.

    The reductions call the ufuncs' reduce directly (what ndarray.max and .sum call, without
    their Python wrappers), and the resize is two small matrix products (`resampler`): each
    live message runs this once, on a cold cache.
    """
    out.fill(0)
    row_peaks = _max(ink, axis=1)  # the box from each row's and column's brightest ink
    peak = float(_max(row_peaks))
    if peak < BLANK_MAX:
        return True
    peak = min(peak, 255.0)
    # ink is float32 (or uint8, compared in float32): the threshold as float32, as NumPy would
    # compare a float32 array with a Python float
    threshold = np.float32(BOX_THRESHOLD * peak)
    rows = (row_peaks > threshold).nonzero()[0]
    band = ink[rows[0] : rows[-1] + 1]  # the rows outside hold nothing above the threshold
    cols = (_max(band, axis=0) > threshold).nonzero()[0]
    box = band[:, cols[0] : cols[-1] + 1]
    h, w = box.shape
    scale = BOX / max(h, w)
    rows_out, cols_out = max(1, round(h * scale)), max(1, round(w * scale))
    crop = box.astype(np.float32) if ink.dtype == np.uint8 else np.clip(box, 0, 255)
    if max(h, w) <= CACHED_SIDE:  # Pillow's resize as two matrix products: rows, then columns
        digit = resampler(h, rows_out) @ crop @ resampler(w, cols_out).T
    else:  # a large image's box: Pillow resizes it itself
        image = Image.frombuffer("F", (w, h), np.ascontiguousarray(crop), "raw", "F", 0, 1)
        small = image.resize((cols_out, rows_out), Image.Resampling.LANCZOS, reducing_gap=2.0)
        digit = np.array(small, dtype=np.float32)
    np.maximum(digit, 0, out=digit)  # Lanczos rings below zero
    top = float(_max(digit, axis=None))
    if top <= 0:
        return False
    digit /= np.float32(top)
    # place so the centre of mass lands on the centre of the 28x28 field (pixel 14, as MNIST)
    mass = _sum(digit, axis=None)
    cy = _sum(digit, axis=1) @ _INDEX[: digit.shape[0]] / mass
    cx = _sum(digit, axis=0) @ _INDEX[: digit.shape[1]] / mass
    _paste(out, digit, PAD + _shift(cy), PAD + _shift(cx))
    return False


def _shift(centre: float) -> int:
    """Pixels to move a digit whose centre of mass is at `centre` so it lands on pixel 14.

    Rounded to 1e-4 first: a symmetric digit (a dot, a straight bar) has its centre exactly
    half-way between pixels, and float rounding in the sums must not decide which way it goes.
    """
    return round(round(FIELD / 2 - centre, 4))


CACHED_SIDE = 256  # resamplers from at most this many pixels are kept (the pad sends 140)


@lru_cache(maxsize=1024)
def resampler(n: int, m: int) -> np.ndarray:
    """(m, n) float32: Pillow's LANCZOS resize (reducing_gap=2.0: an integer box reduction
    first, Lanczos for the rest) from n pixels to m along one axis, as a matrix.

    Pillow's resize is linear and separable, so resizing an (h, w) image to (m_h, m_w) is
    resampler(h, m_h) @ image @ resampler(w, m_w).T, equal to `Image.resize` on the float image
    within float32 rounding (tests/model/test_preprocess_identity.py). Pillow computes the
    weights: resizing the n x n identity along its rows leaves column j as the weights of
    input pixel j. The last 1,024 are kept (n <= CACHED_SIDE: 20 MiB at worst).
    """
    eye = np.eye(n, dtype=np.float32)
    image = Image.frombuffer("F", (n, n), eye, "raw", "F", 0, 1)
    rows = image.resize((n, m), Image.Resampling.LANCZOS, reducing_gap=2.0)  # columns kept
    weights = np.array(rows, dtype=np.float32).reshape(m, n)
    weights.flags.writeable = False  # kept and shared
    return weights


def _ink_or_grid(image) -> np.ndarray:
    """A uint8 (H, W) array as it is (it needs no finiteness check), anything else as_ink."""
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 2 and image.size:
        return image
    return as_ink(image)


def _paste(dst: np.ndarray, src: np.ndarray, oy: int, ox: int) -> None:
    """Copy src into dst with its top-left at (oy, ox), clipping whatever falls outside."""
    y0, x0 = max(oy, 0), max(ox, 0)
    y1 = min(oy + src.shape[0], dst.shape[0])
    x1 = min(ox + src.shape[1], dst.shape[1])
    if y1 > y0 and x1 > x0:
        dst[y0:y1, x0:x1] = src[y0 - oy : y1 - oy, x0 - ox : x1 - ox]


def field_input(grid: np.ndarray, out: np.ndarray) -> bool:
    """Ink that is already the network's field, (28, 28) or (32, 32), 0-255 (uint8 from the
    live channel, float from network_input) -> `out` (32, 32) float32 in [0, 1], the border
    zero; returns whether it is blank (the one rule)."""
    pad = (out.shape[0] - grid.shape[0]) // 2
    out[...] = 0
    inner = out[pad : out.shape[0] - pad, pad : out.shape[1] - pad]
    np.divide(grid, np.float32(255), out=inner, dtype=np.float32)
    return _blank(grid)


def grid_input(grid: np.ndarray, out: np.ndarray) -> bool:
    """The live channel's path: a uint8 ink grid (H, W) -> its network input written into
    `out` (32, 32) float32; returns whether the grid is blank. The same as
    network_input(grid) (preprocess on), without a float copy of the grid."""
    return _preprocess(_ink_or_grid(grid), out)
