"""Accuracy on MNIST test digits, on a drawing-style set made from them, and on the font set.

The drawing-style set imitates a person drawing in the browser: each test digit is put on a
280x280 canvas at a random position and height (80 to 250 px) with crisp strokes made
thicker or thinner, then goes through the same `to_network_input` as a drawing. The font set
(`fonts.py`) is digits from installed fonts re-drawn with a round brush: not MNIST at all.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from PIL import Image, ImageFilter

from lenet_vis.model.preprocess import to_network_input

CANVAS = 280
HEIGHTS = (80, 250)


def draw_like_a_person(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 (28, 28) MNIST digit -> uint8 (280, 280) canvas, white ink on black."""
    rows = np.flatnonzero(digit.max(axis=1) > 0)
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    height = rng.uniform(*HEIGHTS)
    scale = min(height / h, (CANVAS - 10) / w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    big = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BICUBIC), np.float32)
    # a canvas stroke is solid with a soft edge of a pixel or two, not a blurred gradient
    big = np.clip((big - 96) * 2.5, 0, 255).astype(np.uint8)
    stroke = Image.fromarray(big)
    change = rng.integers(-2, 3) * max(1, round(scale / 4))  # in pixels of width
    if change > 0:
        stroke = stroke.filter(ImageFilter.MaxFilter(2 * change + 1))
    elif change < 0:
        stroke = stroke.filter(ImageFilter.MinFilter(2 * min(-change, round(scale / 3)) + 1))
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    sh, sw = stroke.size[1], stroke.size[0]
    y = rng.integers(0, max(1, CANVAS - sh + 1))
    x = rng.integers(0, max(1, CANVAS - sw + 1))
    canvas[y : y + sh, x : x + sw] = np.asarray(stroke)[: CANVAS - y, : CANVAS - x]
    return canvas


def drawing_style_inputs(images: np.ndarray, seed: int = 0, progress: bool = False) -> np.ndarray:
    """uint8 (N, 28, 28) -> network inputs (N, 1, 32, 32) of their drawn-style versions."""
    rng = np.random.default_rng(seed)
    out = np.empty((len(images), 1, 32, 32), np.float32)
    it = range(len(images))
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="drawing-style set", unit="digit", file=sys.stderr)
    for i in it:
        out[i, 0] = to_network_input(draw_like_a_person(images[i], rng))
    return out


def cached_drawing_style_inputs(images: np.ndarray, source: str, seed: int) -> np.ndarray:
    """`drawing_style_inputs`, kept in the user cache (keyed by the data's hash, the digits'
    count and the seed) so that evaluating another network does not draw them again."""
    import hashlib

    from lenet_vis.model.data import cache_dir

    key = hashlib.sha256(f"{source}|{seed}|{len(images)}|".encode() + images.tobytes())
    path = cache_dir() / f"drawn-{len(images)}-{key.hexdigest()[:16]}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    x = drawing_style_inputs(images, seed=seed, progress=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, x)
    return x


def evaluate_all(
    weights,
    drawn: int = 10000,
    fonts: int = 2000,
    seed: int = 0,
    as_json: bool = False,
    checkpoint: str | None = None,
) -> dict:
    """Print (and return) accuracy on the MNIST test set, the drawing-style set and the font set.

    checkpoint: a checkpoint name of `weights` (e.g. "epoch-3") instead of the final weights.
    """
    from tqdm import tqdm

    from lenet_vis.model.checkpoints import load_checkpoint
    from lenet_vis.model.data import load_mnist, mnist_to_input
    from lenet_vis.model.fonts import font_set
    from lenet_vis.model.lenet import LeNet
    from lenet_vis.model.metrics import classification_report

    net = load_checkpoint(weights, checkpoint) if checkpoint else LeNet.load(weights)
    data = load_mnist()
    x = mnist_to_input(data.test_images)
    probs = np.concatenate(
        [
            net.predict(x[i : i + 1000])
            for i in tqdm(range(0, len(x), 1000), desc="MNIST test", unit="k", file=sys.stderr)
        ]
    )
    results = {"mnist_test": classification_report(probs, data.test_labels)}
    results["mnist_test"]["size"] = len(x)
    if drawn:
        xd = cached_drawing_style_inputs(data.test_images[:drawn], data.sha256, seed)
        results["drawing_style"] = classification_report(net.predict(xd), data.test_labels[:drawn])
        results["drawing_style"]["size"] = len(xd)
    if fonts:
        try:
            xf, yf, names = font_set(fonts, seed=seed, progress=True)
        except FileNotFoundError as exc:
            results["font_set"] = {"skipped": str(exc)}
        else:
            pf = net.predict(xf)
            report = classification_report(pf, yf)
            wrong = pf.argmax(axis=1) != yf
            per_font = {}
            for name, bad in zip(names, wrong, strict=True):
                per_font.setdefault(name, []).append(bad)
            report["size"] = len(xf)
            report["fonts"] = len(per_font)
            report["worst_fonts"] = sorted(
                ((n, round(1 - float(np.mean(b)), 4)) for n, b in per_font.items()),
                key=lambda item: item[1],
            )[:5]
            results["font_set"] = report
    if as_json:
        print(json.dumps(results, indent=1))
    else:
        for name, r in results.items():
            if "skipped" in r:
                print(f"{name}: skipped ({r['skipped']})")
                continue
            print(f"{name}: accuracy {r['accuracy']:.4%} of {r['size']:,} digits")
            print(
                "  per class: "
                + "  ".join(f"{d}:{a:.2%}" for d, a in enumerate(r["per_class_accuracy"]))
            )
            if "worst_fonts" in r:
                print(
                    f"  {r['fonts']} fonts; hardest: "
                    + ", ".join(f"{n} {a:.0%}" for n, a in r["worst_fonts"])
                )
    return results
