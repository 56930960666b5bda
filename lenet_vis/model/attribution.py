"""Which input pixels mattered: gradient, gradient x input, integrated gradients, occlusion.

Every map is on the 32x32 network input and explains one target logit (or, for occlusion,
the target probability). All of them run on the network's own forward and backward passes;
the arrays keep the dtype they come in (float32 to serve, float64 to check). A naive
reference sits beside each batched path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lenet_vis.model.lenet import LeNet

METHODS = ("gradient", "gradient_x_input", "integrated_gradients", "occlusion")
FILLS = {"grey": 0.5, "black": 0.0}
IG_CHUNK = 64  # images per forward+backward in integrated gradients (64 steps: one batch)
PATH_PROBES = 128  # forward-only points that place the integrated-gradient samples
PATH_FLOOR = 0.1  # share of the sample density spread evenly


def as_input(x: np.ndarray) -> np.ndarray:
    """x: (32, 32) -> (32, 32) in its own float dtype (float32 unless it is float64)."""
    x = np.asarray(x)
    return x if x.dtype == np.float64 else x.astype(np.float32)


def resolve_target(net: LeNet, x: np.ndarray, target: int | None) -> int:
    """The given target digit, or the network's prediction for x (32, 32)."""
    return int(net.predict(as_input(x)).argmax()) if target is None else int(target)


def logit_gradients(
    net: LeNet, batch: np.ndarray, target: int, masks: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The logits of a batch and the gradient of the target logit on each input.

    batch: (N, 1, 32, 32) -> logits (N, 10), d logit[target] / d input (N, 32, 32)
    """
    outputs, caches = net.forward_with_caches(batch, masks)
    logits = outputs["fc3"]
    d_logits = np.zeros_like(logits)
    d_logits[:, target] = 1
    _, dx = net.backward(d_logits, caches)
    return logits, dx[:, 0]


def gradient(net: LeNet, x: np.ndarray, target: int) -> np.ndarray:
    """d logit[target] / d x. x: (32, 32) -> (32, 32)."""
    x = as_input(x)
    return logit_gradients(net, x[None, None], target)[1][0]


def gradient_x_input(net: LeNet, x: np.ndarray, target: int) -> np.ndarray:
    """The gradient times the input, pixel by pixel. x: (32, 32) -> (32, 32)."""
    x = as_input(x)
    return gradient(net, x, target) * x


@dataclass
class IntegratedGradients:
    """Integrated gradients and how well they add up (completeness).

    attributions: (32, 32); their sum should equal logit(x) - logit(baseline) for the target.
    """

    attributions: np.ndarray
    steps: int
    attribution_sum: float
    logit_difference: float

    @property
    def relative_error(self) -> float:
        """|sum - difference| / |difference| (0 when both are 0)."""
        gap = abs(self.attribution_sum - self.logit_difference)
        return gap / abs(self.logit_difference) if self.logit_difference else float(gap > 0)


def path_points(
    net: LeNet, x: np.ndarray, baseline: np.ndarray, target: int, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Where to sample the straight path from baseline to x, and each sample's share of it.

    The target logit along the path is piecewise linear (ReLU and max pooling), so a Riemann
    sum errs only where the slope jumps, and the jumps crowd near the black baseline. One
    forward-only pass over PATH_PROBES points (alpha = (k / PATH_PROBES)**2) finds the slope
    jumps; the samples are then spread with density ~ sqrt(jump density) (plus a floor), which
    minimises the summed error of the jumps. Each sample sits inside the interval it stands
    for, so this is still a Riemann sum of the gradient. At 64 steps it brings the first 300
    fixture digits within 1% (median 0.15%), against 2-5% for evenly spaced samples.

    x, baseline: (32, 32) -> alphas (steps,) increasing in (0, 1), weights (steps,) summing
    to 1 (the width of each sample's interval).
    """
    edges = (np.arange(PATH_PROBES + 1, dtype=np.float64) / PATH_PROBES) ** 2
    probes = baseline + edges.astype(x.dtype)[:, None, None] * (x - baseline)
    f = net.forward(probes[:, None])["fc3"][:, target].astype(np.float64)
    width = np.diff(edges)
    turn = np.abs(np.diff(np.diff(f) / width))  # slope jump at each inner probe
    jumps = np.zeros(PATH_PROBES)
    jumps[:-1] += turn / 2
    jumps[1:] += turn / 2
    density = np.sqrt(jumps / width)
    density += PATH_FLOOR * (density * width).sum() + 1e-12  # never leave a stretch unsampled
    mass = np.concatenate([[0], np.cumsum(density * width)])
    mass /= mass[-1]
    bounds = np.interp(np.arange(steps + 1) / steps, mass, edges)
    alphas = np.interp((np.arange(steps) + 0.5) / steps, mass, edges)
    return alphas.astype(x.dtype), np.diff(bounds).astype(x.dtype)


def _completeness(
    net: LeNet, x: np.ndarray, baseline: np.ndarray, target: int, attributions: np.ndarray, steps
) -> IntegratedGradients:
    ends = net.forward(np.stack([baseline, x])[:, None])["fc3"][:, target]
    return IntegratedGradients(
        attributions=attributions,
        steps=steps,
        attribution_sum=float(attributions.astype(np.float64).sum()),
        logit_difference=float(ends[1]) - float(ends[0]),
    )


def integrated_gradients(
    net: LeNet, x: np.ndarray, target: int, steps: int = 64, baseline: np.ndarray | None = None
) -> IntegratedGradients:
    """Integrated gradients from `baseline` (default black) to x, sampled by `path_points`.

    Every point of the path goes through one batched forward and backward (IG_CHUNK at a
    time). x, baseline: (32, 32) -> attributions (32, 32).
    """
    x = as_input(x)
    baseline = np.zeros_like(x) if baseline is None else as_input(baseline).astype(x.dtype)
    alphas, weights = path_points(net, x, baseline, target, steps)
    total = np.zeros_like(x)
    for start in range(0, steps, IG_CHUNK):
        a = alphas[start : start + IG_CHUNK, None, None]
        grads = logit_gradients(net, (baseline + a * (x - baseline))[:, None], target)[1]
        total += np.tensordot(weights[start : start + IG_CHUNK], grads, axes=1)
    attributions = (x - baseline) * total
    return _completeness(net, x, baseline, target, attributions, steps)


def integrated_gradients_naive(
    net: LeNet, x: np.ndarray, target: int, steps: int = 64, baseline: np.ndarray | None = None
) -> IntegratedGradients:
    """Reference: one forward and backward per step of the path. x: (32, 32)."""
    x = as_input(x)
    baseline = np.zeros_like(x) if baseline is None else as_input(baseline).astype(x.dtype)
    total = np.zeros_like(x)
    for alpha, weight in zip(*path_points(net, x, baseline, target, steps), strict=True):
        total += weight * gradient(net, baseline + alpha * (x - baseline), target)
    attributions = (x - baseline) * total
    return _completeness(net, x, baseline, target, attributions, steps)


# ---------------------------------------------------------------------------- occlusion


def patch_offsets(patch: int, stride: int, side: int = 32) -> np.ndarray:
    """Top-left rows (or columns) of a patch slid by stride inside side: (P,)."""
    if not 1 <= patch <= side or stride < 1:
        raise ValueError(f"patch must be 1-{side} and stride at least 1")
    return np.arange(0, side - patch + 1, stride)


@dataclass
class Occlusion:
    """What covering each part of the input with a patch costs the target.

    map: (32, 32), each pixel the mean drop in the target probability over the patches that
    covered it (0 where none did); logit_map: the same for the target logit (more telling when
    the probability is saturated near 1); drops, logit_drops: (P, P), per patch at each
    offset; offsets: (P,), the patches' top rows (and left columns).
    """

    map: np.ndarray
    logit_map: np.ndarray
    drops: np.ndarray
    logit_drops: np.ndarray
    offsets: np.ndarray
    probability: float


def _spread(drops: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per-patch drops (P, P) -> per-pixel mean over covering patches (32, 32)."""
    coverage = masks.sum(axis=(0, 1))
    total = np.tensordot(drops, masks.astype(drops.dtype), axes=2)
    return np.divide(total, coverage, out=np.zeros_like(total), where=coverage > 0)


def occlusion(
    net: LeNet, x: np.ndarray, target: int, patch: int = 4, stride: int = 2, fill: float = 0.5
) -> Occlusion:
    """Slide a patch of value `fill` over x; every occluded image runs in one batch.

    x: (32, 32) -> Occlusion with maps (32, 32) and drops (P, P).
    """
    x = as_input(x)
    offsets = patch_offsets(patch, stride, x.shape[0])
    side = np.arange(x.shape[0])
    covers = (side >= offsets[:, None]) & (side < offsets[:, None] + patch)  # (P, 32)
    masks = covers[:, None, :, None] & covers[None, :, None, :]  # (P, P, 32, 32)
    occluded = np.where(masks, x.dtype.type(fill), x).reshape(-1, *x.shape)
    out = net.forward(np.concatenate([x[None], occluded])[:, None])
    p = len(offsets)
    drops = (out["softmax"][0, target] - out["softmax"][1:, target]).reshape(p, p)
    logit_drops = (out["fc3"][0, target] - out["fc3"][1:, target]).reshape(p, p)
    return Occlusion(
        map=_spread(drops, masks),
        logit_map=_spread(logit_drops, masks),
        drops=drops,
        logit_drops=logit_drops,
        offsets=offsets,
        probability=float(out["softmax"][0, target]),
    )


def occlusion_naive(
    net: LeNet, x: np.ndarray, target: int, patch: int = 4, stride: int = 2, fill: float = 0.5
) -> Occlusion:
    """Reference: one forward per patch position and plain loops over the pixels."""
    x = as_input(x)
    side = x.shape[0]
    offsets = list(range(0, side - patch + 1, stride))
    base = net.forward(x)
    n = len(offsets)
    drops, logit_drops = np.zeros((n, n), x.dtype), np.zeros((n, n), x.dtype)
    total, logit_total = np.zeros_like(x), np.zeros_like(x)
    count = np.zeros(x.shape, int)
    for i, top in enumerate(offsets):
        for j, left in enumerate(offsets):
            occluded = x.copy()
            occluded[top : top + patch, left : left + patch] = fill
            out = net.forward(occluded)
            drops[i, j] = base["softmax"][target] - out["softmax"][target]
            logit_drops[i, j] = base["fc3"][target] - out["fc3"][target]
            for r in range(top, top + patch):
                for c in range(left, left + patch):
                    total[r, c] += drops[i, j]
                    logit_total[r, c] += logit_drops[i, j]
                    count[r, c] += 1
    covered = np.maximum(count, 1)
    return Occlusion(
        map=np.where(count > 0, total / covered, 0).astype(x.dtype),
        logit_map=np.where(count > 0, logit_total / covered, 0).astype(x.dtype),
        drops=drops,
        logit_drops=logit_drops,
        offsets=np.array(offsets),
        probability=float(base["softmax"][target]),
    )


# ---------------------------------------------------------------------------- all at once


@dataclass
class Attributions:
    """The maps asked for, by method name, each (32, 32), and what came with them."""

    target: int
    maps: dict[str, np.ndarray]
    integrated: IntegratedGradients | None = None
    occluded: Occlusion | None = None


def attribution_maps(
    net: LeNet,
    x: np.ndarray,
    target: int,
    methods=METHODS,
    steps: int = 64,
    patch: int = 4,
    stride: int = 2,
    fill: float = 0.5,
) -> Attributions:
    """Each named method's map for x (32, 32) and the target; one backward for the first two."""
    x = as_input(x)
    out = Attributions(target=target, maps={})
    if "gradient" in methods or "gradient_x_input" in methods:
        grad = gradient(net, x, target)
        if "gradient" in methods:
            out.maps["gradient"] = grad
        if "gradient_x_input" in methods:
            out.maps["gradient_x_input"] = grad * x
    if "integrated_gradients" in methods:
        out.integrated = integrated_gradients(net, x, target, steps)
        out.maps["integrated_gradients"] = out.integrated.attributions
    if "occlusion" in methods:
        out.occluded = occlusion(net, x, target, patch, stride, fill)
        out.maps["occlusion"] = out.occluded.map
    out.maps = {m: out.maps[m] for m in METHODS if m in out.maps}
    return out
