"""Batched training augmentation that looks like drawing, vectorised over the batch.

A person's digit differs from an MNIST digit in slant, proportions, wobble, stroke width and
ink (a canvas stroke is solid), and it reaches the network through our preprocessing (ink box
scaled to 20 px, centre of mass on the centre). `augment` does all of it to a batch of
network inputs in one pass:

1. one resampling for a random slant (shear), rotation, aspect and scale plus a smooth
   elastic distortion (a random displacement field on a coarse grid, smoothly interpolated);
2. stroke width: thickened or thinned by a random, fractional amount (up to a pixel and a
   half);
3. ink: some digits get solid strokes (a random threshold and gain);
4. the preprocessing's placement: the ink box scaled to 20 px on its longer side, the centre
   of mass brought to pixel 16 (with the preprocessing's rounding as +-0.5 px of jitter), the
   brightest value to 1 (a second resampling).
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


def random_distortion(
    images: np.ndarray,
    rng: np.random.Generator,
    max_degrees: float = 10.0,
    max_slant: float = 0.3,
    scale: tuple[float, float] = (0.8, 1.2),
    aspect: tuple[float, float] = (0.8, 1.25),
    elastic: float = 1.3,
) -> np.ndarray:
    """Slant, rotate, stretch and wobble each image by its own amount. (N, H, W) -> same.

    max_slant: largest horizontal shear (x moves by slant * y); elastic: largest standard
    deviation, in pixels, of the control points of the displacement field.
    """
    n, h, w = images.shape
    theta = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n))
    slant = rng.uniform(-max_slant, max_slant, n)
    s = rng.uniform(*scale, n)
    a = np.exp(rng.uniform(np.log(aspect[0]), np.log(aspect[1]), n))
    cos, sin = np.cos(theta), np.sin(theta)
    # forward map (y, x) -> rotation @ slant @ diag(sy, sx); sampling needs its inverse
    sy, sx = s * a, s / a
    fwd = np.empty((n, 2, 2))
    fwd[:, 0, 0] = cos * sy
    fwd[:, 0, 1] = -sin * sx
    fwd[:, 1, 0] = (sin + slant * cos) * sy
    fwd[:, 1, 1] = (cos - slant * sin) * sx
    inv = np.linalg.inv(fwd).astype(np.float32)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ys, xs = _grid(h, w)
    src = inv @ np.stack([ys - cy, xs - cx])  # (N, 2, H*W)
    disp = elastic_field(n, h, rng, rng.uniform(0, elastic, n)).reshape(n, 2, -1)
    src += disp
    return bilinear(images, src[:, 0] + cy, src[:, 1] + cx).reshape(n, h, w)


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
    images: np.ndarray, rng: np.random.Generator, p: float = 0.7, thin: float = 0.8
) -> np.ndarray:
    """Change the strokes of a fraction p of the images by -thin to +1.5 pixels a side."""
    n = images.shape[0]
    amount = np.where(rng.random(n) < p, rng.uniform(-thin, 1.5, n), 0.0)
    return change_stroke_width(images, amount)


def random_solid_ink(images: np.ndarray, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    """Make the ink of a fraction p of the images solid, as a canvas stroke is. Same shape."""
    n = images.shape[0]
    pick = rng.random(n) < p
    t = np.where(pick, rng.uniform(0.0, 0.35, n), 0.0).astype(np.float32)[:, None, None]
    gain = np.where(pick, rng.uniform(1.2, 3.0, n), 1.0).astype(np.float32)[:, None, None]
    return np.clip((images - t) * gain, 0, 1)


def place_like_preprocessing(images: np.ndarray, jitter: np.ndarray | None = None) -> np.ndarray:
    """Ink box to BOX px on its longer side, centre of mass to pixel 16, brightest value to 1.

    What `preprocess.to_network_input` does to a drawing, done to a batch by one bilinear
    resampling; jitter (N, 2) moves the centre of mass by up to half a pixel, as the
    preprocessing's rounding does. images: (N, H, W) in [0, 1] -> same; blank images stay 0.
    """
    n, h, w = images.shape
    peak = images.reshape(n, -1).max(axis=1)
    mask = images > (BOX_THRESHOLD * peak)[:, None, None]
    rows, cols = mask.any(axis=2), mask.any(axis=1)
    r0 = rows.argmax(axis=1)
    r1 = h - 1 - rows[:, ::-1].argmax(axis=1)
    c0 = cols.argmax(axis=1)
    c1 = w - 1 - cols[:, ::-1].argmax(axis=1)
    side = np.maximum(r1 - r0 + 1, c1 - c0 + 1).astype(np.float32)
    scale = BOX / side  # output pixels per source pixel
    weight = images * mask
    mass = np.maximum(weight.sum(axis=(1, 2)), 1e-6)
    ys, xs = np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32)
    cy = weight.sum(axis=2) @ ys / mass
    cx = weight.sum(axis=1) @ xs / mass
    if jitter is None:
        jitter = np.zeros((n, 2), np.float32)
    gy, gx = _grid(h, w)
    sy = cy[:, None] + (gy[None] - CENTRE - jitter[:, :1]) / scale[:, None]
    sx = cx[:, None] + (gx[None] - CENTRE - jitter[:, 1:]) / scale[:, None]
    out = bilinear(images, sy, sx).reshape(n, h, w)
    top = out.reshape(n, -1).max(axis=1)
    out /= np.where(top > 0, top, 1)[:, None, None]
    out[peak <= 0] = 0
    return out


def augment(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training augmentation of network inputs. images: (N, 32, 32) float32 in [0, 1] -> same."""
    out = random_distortion(images, rng)
    out = random_stroke_width(out, rng)
    out = random_solid_ink(out, rng)
    jitter = rng.uniform(-0.5, 0.5, (len(images), 2)).astype(np.float32)
    out = place_like_preprocessing(out, jitter)
    return np.clip(out, 0, 1).astype(np.float32, copy=False)
