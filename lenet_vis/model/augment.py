"""Batched training augmentation that looks like drawing, vectorised over the batch.

A person's digit differs from an MNIST digit in slant, proportions, wobble, stroke width and
ink (a canvas stroke is solid), and it reaches the network through our preprocessing (ink box
scaled to 20 px, centre of mass on the centre). `augment` does all of it to a batch of
network inputs in one pass:

1. stroke width: thickened or thinned by a random, fractional amount (up to a pixel and a
   half a side);
2. ink: some digits get solid strokes (a random threshold and gain);
3. one bilinear resampling for a random slant (shear), rotation and aspect, a smooth
   elastic distortion (a random displacement field on a coarse grid, smoothly interpolated)
   and the preprocessing's placement: the ink box scaled to 20 px on its longer side, the
   centre of mass brought to pixel 16, the brightest value to 1; with some slack around
   that placement (a shift of up to 2 px and a scale of 0.85-1.15).
"""

from __future__ import annotations

import numpy as np

from lenet_vis.model.preprocess import BOX, BOX_THRESHOLD, FIELD, PAD

CENTRE = PAD + FIELD // 2  # where preprocessing puts the centre of mass: pixel 16 of 32
ELASTIC_GRID = 5  # control points a side for the displacement field


def bilinear(images: np.ndarray, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
    """Sample each image at source coordinates by bilinear interpolation; outside is 0.

    images: (N, H, W); sy, sx: (N, P) row and column coordinates -> (N, P)
    """
    n, h, w = images.shape
    hp, wp = h + 2, w + 2
    padded = np.zeros((n, hp, wp), np.float32)
    padded[:, 1:-1, 1:-1] = images
    flat = padded.ravel()
    sy = np.clip(sy + 1, 0, hp - 1.001, dtype=np.float32)  # +1: the padded border
    sx = np.clip(sx + 1, 0, wp - 1.001, dtype=np.float32)
    y0 = sy.astype(np.int32)  # floor: the coordinates are not negative
    x0 = sx.astype(np.int32)
    fy = sy - y0
    fx = sx - x0
    i00 = y0 * wp + x0 + (np.arange(n, dtype=np.int32) * (hp * wp))[:, None]
    top = flat[i00]
    top += (flat[i00 + 1] - top) * fx
    bottom = flat[i00 + wp]
    bottom += (flat[i00 + wp + 1] - bottom) * fx
    top += (bottom - top) * fy
    return top


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return ys.ravel(), xs.ravel()


def affine_warp(images: np.ndarray, matrices: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Warp each image about its centre by bilinear sampling; outside the image is 0.

    images: (N, H, W), matrices: (N, 2, 2) mapping output (y, x) offsets to source offsets,
    shifts: (N, 2) source offset added after the matrix -> (N, H, W)
    """
    n, h, w = images.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ys, xs = _grid(h, w)
    grid = np.stack([ys - cy, xs - cx])  # (2, H*W)
    src = matrices.astype(np.float32) @ grid + shifts[:, :, None].astype(np.float32)
    return bilinear(images, src[:, 0] + cy, src[:, 1] + cx).reshape(n, h, w)


def smooth_basis(size: int, points: int = ELASTIC_GRID) -> np.ndarray:
    """(size, points) Gaussian interpolation weights from control points to pixels (rows sum 1)."""
    at = np.linspace(0, size - 1, points)
    spacing = at[1] - at[0]
    d = np.arange(size)[:, None] - at[None, :]
    weights = np.exp(-0.5 * (d / spacing) ** 2)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def elastic_field(n: int, size: int, rng: np.random.Generator, sigma: np.ndarray) -> np.ndarray:
    """Smooth random displacements (N, 2, size, size) in pixels; sigma: (N,) their scale."""
    basis = smooth_basis(size)
    coarse = rng.standard_normal((n, 2, ELASTIC_GRID, ELASTIC_GRID)).astype(np.float32)
    coarse *= sigma.astype(np.float32)[:, None, None, None]
    return basis @ coarse @ basis.T


def random_linear_maps(
    n: int,
    rng: np.random.Generator,
    max_degrees: float = 12.0,
    max_slant: float = 0.15,
    scale: tuple[float, float] = (1.0, 1.0),
    aspect: tuple[float, float] = (0.9, 1.1),
) -> np.ndarray:
    """(N, 2, 2) maps of (y, x) offsets: a random slant, rotation, aspect and scale each.

    max_slant: largest horizontal shear (x moves by slant * y).
    """
    theta = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n))
    slant = rng.uniform(-max_slant, max_slant, n)
    s = rng.uniform(*scale, n)
    a = np.exp(rng.uniform(np.log(aspect[0]), np.log(aspect[1]), n))
    cos, sin = np.cos(theta), np.sin(theta)
    sy, sx = s * a, s / a
    fwd = np.empty((n, 2, 2))
    fwd[:, 0, 0] = cos * sy
    fwd[:, 0, 1] = -sin * sx
    fwd[:, 1, 0] = (sin + slant * cos) * sy
    fwd[:, 1, 1] = (cos - slant * sin) * sx
    return fwd


def distort_and_place(
    images: np.ndarray,
    fwd: np.ndarray,
    displacement: np.ndarray | None = None,
    jitter: np.ndarray | None = None,
    zoom: np.ndarray | None = None,
) -> np.ndarray:
    """Warp each image by its linear map and place it as preprocessing places a drawing.

    One bilinear resampling: the map `fwd` (N, 2, 2) applied about the image centre, then the
    ink box (ink above a tenth of the peak, mapped by `fwd`) scaled to BOX px on its longer side
    (times `zoom` (N,)) and the centre of mass moved to pixel 16 (+ jitter (N, 2)), plus a
    displacement field (N, 2, H, W) in output pixels; brightest value to 1.
    images: (N, H, W) in [0, 1] -> same; blank images stay 0.
    """
    n, h, w = images.shape
    c = np.array([(h - 1) / 2, (w - 1) / 2], np.float32)[:, None]
    ys, xs = _grid(h, w)
    grid = np.stack([ys, xs])  # (2, H*W)
    mapped = fwd.astype(np.float32) @ (grid - c)  # where each source pixel goes, (N, 2, H*W)
    flat = images.reshape(n, -1)
    peak = flat.max(axis=1)
    ink = flat > (BOX_THRESHOLD * peak)[:, None]
    lo = np.where(ink[:, None], mapped, np.inf).min(axis=2)
    hi = np.where(ink[:, None], mapped, -np.inf).max(axis=2)
    side = np.maximum((hi - lo).max(axis=1) + 1, 1)
    scale = (BOX / side).astype(np.float32)  # output pixels per mapped source pixel
    if zoom is not None:
        scale = scale * zoom.astype(np.float32)
    weight = flat * ink
    com = (mapped * weight[:, None]).sum(axis=2) / np.maximum(weight.sum(axis=1), 1e-6)[:, None]
    if jitter is None:
        jitter = np.zeros((n, 2), np.float32)
    at = (grid[None] - CENTRE - jitter[:, :, None]) / scale[:, None, None] + com[:, :, None]
    if displacement is not None:
        at += displacement.reshape(n, 2, -1) / scale[:, None, None]
    src = np.linalg.inv(fwd).astype(np.float32) @ at + c
    out = bilinear(images, src[:, 0], src[:, 1]).reshape(n, h, w)
    top = out.reshape(n, -1).max(axis=1)
    out /= np.where(top > 0, top, 1)[:, None, None]
    out[peak <= 0] = 0
    return out


def _neighbours(images: np.ndarray, reduce) -> np.ndarray:
    """Max or min over each pixel and its 4 neighbours (a plus-shaped window)."""
    p = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    out = p[:, 1:-1, 1:-1].copy()
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        reduce(out, p[:, dy : dy + images.shape[1], dx : dx + images.shape[2]], out=out)
    return out


def change_stroke_width(images: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Thicken (amount > 0) or thin (< 0) strokes by |amount| pixels a side (fractional).

    images: (N, H, W) in [0, 1], amount: (N,) in [-1, 2) -> same shape
    """
    out = images.copy()
    for reduce, chosen in ((np.maximum, amount > 0), (np.minimum, amount < 0)):
        idx = np.flatnonzero(chosen)
        if not idx.size:
            continue
        steps = np.abs(amount[idx]).astype(images.dtype)[:, None, None]
        current = images[idx]
        result = current.copy()
        k = 0
        while (steps > k).any():
            nxt = _neighbours(current, reduce)
            frac = np.clip(steps - k, 0, 1)
            result = np.where(steps > k, current * (1 - frac) + nxt * frac, result)
            current, k = nxt, k + 1
        out[idx] = result
    return out


def random_stroke_width(
    images: np.ndarray, rng: np.random.Generator, p: float = 0.7, thin: float = 0.5
) -> np.ndarray:
    """Change the strokes of a fraction p of the images by -thin to +1.5 pixels a side."""
    n = images.shape[0]
    amount = np.where(rng.random(n) < p, rng.uniform(-thin, 1.5, n), 0.0)
    return change_stroke_width(images, amount)


def random_solid_ink(images: np.ndarray, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    """Make the ink of a fraction p of the images solid, as a canvas stroke is. Same shape."""
    n = images.shape[0]
    pick = rng.random(n) < p
    t = np.where(pick, rng.uniform(0.0, 0.25, n), 0.0).astype(np.float32)[:, None, None]
    gain = np.where(pick, rng.uniform(1.2, 3.0, n), 1.0).astype(np.float32)[:, None, None]
    return np.clip((images - t) * gain, 0, 1)


def augment(
    images: np.ndarray,
    rng: np.random.Generator,
    elastic: float = 0.6,
    slack: float = 2.0,
    zoom: tuple[float, float] = (0.85, 1.15),
) -> np.ndarray:
    """Training augmentation of network inputs. images: (N, 32, 32) float32 in [0, 1] -> same.

    elastic: largest standard deviation, in pixels, of the displacement field's control points;
    slack and zoom: how far around the preprocessing's placement a digit may land (pixels
    either way) and be scaled, so the network does not depend on it to the pixel.
    """
    n, h, _ = images.shape
    out = random_stroke_width(images, rng)
    out = random_solid_ink(out, rng)
    field = elastic_field(n, h, rng, rng.uniform(0, elastic, n))
    jitter = rng.uniform(-slack, slack, (n, 2)).astype(np.float32)
    scale = rng.uniform(*zoom, n)
    out = distort_and_place(out, random_linear_maps(n, rng), field, jitter, scale)
    return np.clip(out, 0, 1).astype(np.float32, copy=False)
