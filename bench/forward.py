"""Forward-pass speed: single-image `forward` (every layer) and batch `predict` throughput.

Where PyTorch is importable, the same network with the same weights runs in eager mode in the
same process; every layer is checked to agree to 1e-5 and the ratios are printed.
Run: python bench/forward.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lenet_vis.model.lenet import LeNet
from lenet_vis.model.train import mnist_to_input

ROOT = Path(__file__).resolve().parent.parent


def timeit(fn, repeat: int, label: str) -> float:
    """Median seconds per call over `repeat` calls in 10 rounds, with a progress line."""
    for _ in range(max(1, repeat // 20)):
        fn()
    rounds = []
    per_round = max(1, repeat // 10)
    for r in range(10):
        t = time.perf_counter()
        for _ in range(per_round):
            fn()
        rounds.append((time.perf_counter() - t) / per_round)
        print(f"\r  {label}: round {r + 1}/10", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return statistics.median(rounds)


def torch_lenet(net: LeNet):
    import torch
    from torch import nn

    class TorchLeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = (
                nn.Linear(400, 120),
                nn.Linear(120, 100),
                nn.Linear(100, 10),
            )

        def forward(self, x):
            """Every layer's output, as lenet.forward returns them."""
            out = {"input": x}
            out["conv1"] = h = self.conv1(x)
            out["relu1"] = h = torch.relu(h)
            out["pool1"] = h = torch.max_pool2d(h, 2, 2)
            out["conv2"] = h = self.conv2(h)
            out["relu2"] = h = torch.relu(h)
            out["pool2"] = h = torch.max_pool2d(h, 2, 2)
            out["fc1"] = h = self.fc1(h.flatten(1))
            out["relu3"] = h = torch.relu(h)
            out["fc2"] = h = self.fc2(h)
            out["relu4"] = h = torch.relu(h)
            out["fc3"] = h = self.fc3(h)
            out["softmax"] = torch.softmax(h, dim=1)
            return out

        def predict(self, x):
            return self.forward(x)["softmax"]

    model = TorchLeNet().eval()
    with torch.no_grad():
        for name in ("conv1", "conv2", "fc1", "fc2", "fc3"):
            getattr(model, name).weight.copy_(torch.from_numpy(net.layers[name].params["W"].copy()))
            getattr(model, name).bias.copy_(torch.from_numpy(net.layers[name].params["b"].copy()))
    return torch, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    net = LeNet.load(ROOT / "lenet_vis" / "weights" / "lenet.npz")
    with np.load(ROOT / "lenet_vis" / "data" / "mnist_test_2000.npz") as z:
        batch = mnist_to_input(z["images"][: args.batch])
    one = batch[0, 0].copy()

    print("NumPy LeNet", file=sys.stderr)
    fwd = timeit(lambda: net.forward(one), args.repeat, "forward, 1 image")
    pred = timeit(lambda: net.predict(batch), max(20, args.repeat // 100), f"predict, {args.batch}")
    rows = [
        ("forward, 1 image, every layer (us)", fwd * 1e6),
        (f"predict, batch {args.batch} (images/s)", args.batch / pred),
    ]

    try:
        torch, model = torch_lenet(net)
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(len(__import__("os").sched_getaffinity(0)))
        with torch.no_grad():
            ours = net.forward(batch[:8])
            theirs = model(torch.from_numpy(batch[:8]))
            worst = max(float(np.abs(ours[k] - theirs[k].numpy()).max()) for k in ours)
            assert worst <= 1e-5, f"layers disagree with PyTorch by {worst}"
            print(f"every layer agrees with PyTorch (max abs diff {worst:.2e})", file=sys.stderr)
            print(f"PyTorch {torch.__version__} eager", file=sys.stderr)
            x1 = torch.from_numpy(one[None, None])
            xb = torch.from_numpy(batch)
            tf = timeit(lambda: model(x1), args.repeat, "forward, 1 image")
            tp = timeit(
                lambda: model.predict(xb), max(20, args.repeat // 100), f"predict, {args.batch}"
            )
        rows[0] += (tf * 1e6, fwd / tf)
        rows[1] += (args.batch / tp, (args.batch / pred) / (args.batch / tp))

    print(f"\n{'measure':<40}{'NumPy':>12}{'PyTorch':>12}{'ratio':>8}")
    for row in rows:
        extra = f"{row[2]:>12.1f}{row[3]:>8.2f}" if len(row) > 2 else f"{'n/a':>12}{'':>8}"
        print(f"{row[0]:<40}{row[1]:>12.1f}{extra}")
    if torch is not None:
        print(
            "\nratio: forward is NumPy time / PyTorch time (lower is better); "
            "predict is NumPy throughput / PyTorch throughput (higher is better)"
        )


if __name__ == "__main__":
    main()
