"""Forward-pass speed: single-image `forward` (every layer) and batch `predict` throughput.

Where PyTorch is importable, the same network with the same weights runs in eager mode in the
same process; every layer is checked to agree to 1e-5 and the ratios are printed.
Run: python bench/forward.py [--repeat 2000] [--batch 1000] [--threads 2]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import blas_settings, torch_or_none
from torch_lenet import torch_lenet

ROOT = Path(__file__).resolve().parent.parent


def interleaved(fns: dict, calls: int, rounds: int, label: str) -> dict:
    """Median seconds per call of each fn, its rounds alternating with the others' rounds.

    The machine is shared, so each round of `calls` calls runs right after the other fns'
    rounds: a burst of load hits every fn alike, and the medians and their ratio stay fair.
    """
    for fn in fns.values():
        for _ in range(max(1, calls // 5)):
            fn()
    times: dict = {name: [] for name in fns}
    for r in range(rounds):
        for name, fn in fns.items():
            t = time.perf_counter()
            for _ in range(calls):
                fn()
            times[name].append((time.perf_counter() - t) / calls)
        print(f"\r  {label}: round {r + 1}/{rounds}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000, help="single-image calls per side")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="threads for each side")
    args = parser.parse_args()

    net = LeNet.load(ROOT / "lenet_vis" / "weights" / "lenet.npz")
    with np.load(ROOT / "lenet_vis" / "data" / "mnist_test_2000.npz") as z:
        batch = mnist_to_input(z["images"][: args.batch])
    one = batch[0, 0].copy()

    fwd_fns = {"numpy": lambda: net.forward(one)}
    pred_fns = {"numpy": lambda: net.predict(batch, threads=args.threads)}
    torch = torch_or_none()
    if torch is None:
        print("PyTorch is not importable: NumPy figures only", file=sys.stderr)
    else:
        torch, model = torch_lenet(net)
        torch.set_num_threads(args.threads)
        torch.set_grad_enabled(False)
        ours = net.forward(batch[:8])
        theirs = model(torch.from_numpy(batch[:8]))
        worst = max(float(np.abs(ours[k] - theirs[k].numpy()).max()) for k in ours)
        assert worst <= 1e-5, f"layers disagree with PyTorch by {worst}"
        agree = np.abs(
            net.predict(batch, threads=args.threads)
            - model.predict(torch.from_numpy(batch)).numpy()
        ).max()
        assert agree <= 1e-5, f"predict disagrees with PyTorch by {agree}"
        print(
            f"every layer agrees with PyTorch (max abs diff {worst:.2e}; "
            f"predict on the batch {agree:.2e})",
            file=sys.stderr,
        )
        x1, xb = torch.from_numpy(one[None, None]), torch.from_numpy(batch)
        fwd_fns["torch"] = lambda: model(x1)
        pred_fns["torch"] = lambda: model.predict(xb)

    fwd = interleaved(fwd_fns, max(1, args.repeat // args.rounds), args.rounds, "forward, 1 image")
    pred = interleaved(pred_fns, 1, args.rounds, f"predict, {args.batch}")

    print(f"NumPy {np.__version__}, predict threads {args.threads}")
    for line in blas_settings():
        print("  " + line)
    if torch is not None:
        print(f"PyTorch {torch.__version__} eager, threads {torch.get_num_threads()}")
    print(f"\n{'measure':<40}{'NumPy':>12}{'PyTorch':>12}{'ratio':>8}")
    rows = [
        ("forward, 1 image, every layer (us)", {k: v * 1e6 for k, v in fwd.items()}),
        (
            f"predict, batch {args.batch} (images/s)",
            {k: args.batch / v for k, v in pred.items()},
        ),
    ]
    for label, vals in rows:
        if "torch" in vals:
            ratio = vals["numpy"] / vals["torch"]
            extra = f"{vals['torch']:>12.1f}{ratio:>8.2f}"
        else:
            extra = f"{'n/a':>12}{'':>8}"
        print(f"{label:<40}{vals['numpy']:>12.1f}{extra}")
    if torch is not None:
        print(
            "\nratio: forward is NumPy time / PyTorch time (lower is better); "
            "predict is NumPy throughput / PyTorch throughput (higher is better); "
            f"medians of {args.rounds} alternating rounds"
        )


if __name__ == "__main__":
    main()
