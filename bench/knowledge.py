"""Speed of what the knowledge routes do per request, and of the training augmentation.

Per request (one fixture digit, after preprocessing): fc2 embedding (forward), the 8 nearest
in fc2 space (cosine), the 8 nearest in raw pixels, the map position; per training batch of
128: `augment`. Median and 95th percentile over many calls; prints, never fails on a time.
Run: python bench/knowledge.py [--repeat 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lenet_vis.assets import SAMPLES, WEIGHTS
from lenet_vis.model.augment import augment
from lenet_vis.model.data import mnist_to_input
from lenet_vis.model.knowledge import Knowledge
from lenet_vis.model.lenet import LeNet


def measure(fn, repeat: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times)), float(np.percentile(times, 95))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=500)
    args = parser.parse_args()
    net = LeNet.load(WEIGHTS)
    k = Knowledge.load(WEIGHTS, net.weights_sha256)
    with np.load(SAMPLES) as z:
        images = z["images"]
    x = mnist_to_input(images[:1])[0, 0]
    e = net.forward(x)["relu4"]

    def everything():
        emb = net.forward(x)["relu4"]
        k.nearest_fc2(emb)
        k.nearest_pixels(x)
        k.place(emb)

    rows = [
        ("forward (every layer, for relu4)", lambda: net.forward(x)),
        (f"8 nearest in fc2 space of {len(k):,}", lambda: k.nearest_fc2(e)),
        (f"8 nearest in raw pixels of {len(k):,}", lambda: k.nearest_pixels(x)),
        ("map position", lambda: k.place(e)),
        ("all of the above", everything),
    ]
    batch = mnist_to_input(images[:128])[:, 0]
    rng = np.random.default_rng(0)
    rows.append(("augment, batch of 128", lambda: augment(batch, rng)))
    for label, fn in rows:
        fn()
        median, p95 = measure(fn, args.repeat if "augment" not in label else 100)
        print(f"{label:40s} median {median:7.3f} ms   p95 {p95:7.3f} ms")


if __name__ == "__main__":
    main()
