"""Server time of each explanation, in process: p50 and p95 per operation against its goal.

Each operation runs on fixture digits as the server runs it (float32 network input, committed
weights), after a warm-up, `--repeat` times cycling over the digits. Prints a progress line per
operation on stderr and a table on stdout (wall p50/p95 and the process's CPU time p50, which a
shared machine inflates less); never fails on a time. On a busy machine multi-threaded OpenBLAS
stalls: compare with OPENBLAS_NUM_THREADS=1.
Run: python bench/explain.py [--repeat 200] [--digits 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lenet_vis.assets import SAMPLES, WEIGHTS
from lenet_vis.model import ablation, attribution, compare, counterfactual, randomisation
from lenet_vis.model.lenet import LeNet
from lenet_vis.model.train import mnist_to_input


def operations(net: LeNet):
    """(name, goal in ms or None, fn(x, label) -> anything)."""
    return [
        ("gradient", 5, lambda x, y: attribution.gradient(net, x, y)),
        ("gradient x input", 5, lambda x, y: attribution.gradient_x_input(net, x, y)),
        (
            "integrated gradients, 64 steps",
            30,
            lambda x, y: attribution.integrated_gradients(net, x, y, 64),
        ),
        ("occlusion, patch 4 stride 2", 30, lambda x, y: attribution.occlusion(net, x, y, 4, 2)),
        ("ablation ranking (22 filters)", 30, lambda x, y: ablation.filter_ranking(net, x, y)),
        ("counterfactual to (label+1)%10", 1000, counterfactual_to_next(net)),
        (
            "ablate conv2 filters 3, 7",
            None,
            lambda x, y: ablation.ablate(net, x, {"conv2": [3, 7]}),
        ),
        ("compare with the next, 11 blends", None, lambda x, y: compare.compare(net, x, x.T, 11)),
        (
            "randomisation, 3 maps, IG 32 steps",
            None,
            lambda x, y: randomisation.cascading_randomisation(
                net, x, y, ("gradient", "gradient_x_input", "integrated_gradients"), steps=32
            ),
        ),
    ]


def counterfactual_to_next(net: LeNet):
    def run(x, y):
        cf = counterfactual.counterfactual(net, x, (y + 1) % 10)
        assert cf.reached, "a counterfactual missed its target"
        return cf

    return run


def measure(fn, inputs, labels, repeat: int, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Wall and CPU (all threads of the process) milliseconds per call, `repeat` calls cycling
    over the inputs, after three warm-up calls."""
    for x, y in zip(inputs[:3], labels[:3], strict=True):
        fn(x, y)
    times, cpu = np.empty(repeat), np.empty(repeat)
    step = max(1, repeat // 20)
    for i in range(repeat):
        x, y = inputs[i % len(inputs)], labels[i % len(inputs)]
        t, c = time.perf_counter(), time.process_time()
        fn(x, y)
        times[i] = (time.perf_counter() - t) * 1e3
        cpu[i] = (time.process_time() - c) * 1e3
        if i % step == 0 or i == repeat - 1:
            print(f"\r  {label}: {i + 1}/{repeat}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="calls per operation")
    parser.add_argument("--digits", type=int, default=20, help="fixture digits to cycle over")
    args = parser.parse_args()

    net = LeNet.load(WEIGHTS)
    with np.load(SAMPLES, allow_pickle=False) as z:
        inputs = mnist_to_input(z["images"][: args.digits])[:, 0]
        labels = [int(v) for v in z["labels"][: args.digits]]
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(
        f"# {args.repeat} calls each over {len(inputs)} fixture digits; "
        f"{os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS={threads}"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the start (wall times grow with it)")
    print(f"{'operation':38} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'goal ms':>8}")
    for name, goal, fn in operations(net):
        repeat = max(10, args.repeat // 10) if (goal or 0) >= 1000 or goal is None else args.repeat
        t, cpu = measure(fn, inputs, labels, repeat, name)
        p50, p95 = np.percentile(t, [50, 95])
        cpu50 = np.percentile(cpu, 50)
        verdict = "" if goal is None else ("  ok" if p95 < goal else "  OVER")
        goal_text = "-" if goal is None else f"< {goal}"
        print(f"{name:38} {p50:8.2f} {p95:8.2f} {cpu50:8.2f} {goal_text:>8}{verdict}", flush=True)


if __name__ == "__main__":
    main()
