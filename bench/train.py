"""Training speed: one epoch of the project's recipe in NumPy, against PyTorch eager.

The recipe is lenet_vis/model/train.py's, timed through its public pieces: the seeded
validation split, Adam at batch 128 with the warm-up/cosine learning rate, the augmentation
of lenet_vis/model/augment.py, `forward_with_caches` + `backward`. Where PyTorch is
importable the same recipe (same weights at the start, same batches, same augmentation, same
Adam settings) runs in eager mode in the same process, in blocks of steps alternating with
NumPy's, so a burst of load on the shared machine hits both alike.

Run: python bench/train.py [--steps N] [--block 5] [--threads 2]
--steps times the first N steps of the epoch; the epoch time is extrapolated from the median
step (and from the mean) and the measured time of the steps run is given beside it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import blas_settings, torch_or_none

from lenet_vis.model.augment import augment
from lenet_vis.model.data import load_mnist
from lenet_vis.model.layers import softmax_cross_entropy
from lenet_vis.model.lenet import LeNet
from lenet_vis.model.train import Adam, TrainConfig, learning_rate, mnist_to_input


class NumpyRecipe:
    """One step of train.train(): augment, forward with caches, loss, backward, Adam."""

    def __init__(self, cfg: TrainConfig, steps_per_epoch: int) -> None:
        self.cfg, self.steps_per_epoch = cfg, steps_per_epoch
        self.net = LeNet(seed=cfg.seed)
        self.opt = Adam(cfg.lr, weight_decay=cfg.weight_decay)

    def step(self, step: int, xb: np.ndarray, yb: np.ndarray, rng) -> float:
        xb = augment(xb[:, 0], rng)[:, None]
        outputs, caches = self.net.forward_with_caches(xb)
        loss, d_logits = softmax_cross_entropy(outputs["fc3"], yb)
        grads, _ = self.net.backward(d_logits, caches)
        flat_grads = {f"{n}.{k}": g for n, gs in grads.items() for k, g in gs.items()}
        params = {
            key: self.net.layers[key.split(".")[0]].params[key.split(".")[1]] for key in flat_grads
        }
        self.opt.lr = learning_rate(self.cfg, step / self.steps_per_epoch)
        self.opt.step(params, flat_grads)
        return loss


class TorchRecipe:
    """The same step in PyTorch eager: same start weights, Adam, schedule and augmentation."""

    def __init__(self, torch, cfg: TrainConfig, steps_per_epoch: int, start: LeNet) -> None:
        from torch_lenet import torch_lenet

        self.torch, self.cfg, self.steps_per_epoch = torch, cfg, steps_per_epoch
        _, self.model = torch_lenet(start)
        self.model.train()
        self.opt = torch.optim.Adam(
            self.model.parameters(), lr=cfg.lr, betas=(0.9, 0.999), eps=1e-8
        )

    def step(self, step: int, xb: np.ndarray, yb: np.ndarray, rng) -> float:
        torch = self.torch
        xb = augment(xb[:, 0], rng)[:, None]
        logits = self.model(torch.from_numpy(xb))["fc3"]
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(yb))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        for group in self.opt.param_groups:
            group["lr"] = learning_rate(self.cfg, step / self.steps_per_epoch)
        self.opt.step()
        return loss.item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=0, help="steps to time (0: a whole epoch)")
    parser.add_argument("--block", type=int, default=5, help="steps per side before switching")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads")
    parser.add_argument("--no-torch", action="store_true", help="NumPy only")
    args = parser.parse_args()

    cfg = TrainConfig()
    data = load_mnist()
    order = np.random.default_rng(cfg.seed).permutation(len(data.train_labels))
    train_idx = order[cfg.validation :]
    x_train = mnist_to_input(data.train_images[train_idx])
    y_train = data.train_labels[train_idx]
    steps_per_epoch = int(np.ceil(len(y_train) / cfg.batch_size))
    steps = min(args.steps or steps_per_epoch, steps_per_epoch)

    sides = {"numpy": NumpyRecipe(cfg, steps_per_epoch)}
    torch = None if args.no_torch else torch_or_none()
    if torch is None:
        print("PyTorch is not importable (or --no-torch): NumPy figures only", file=sys.stderr)
    else:
        torch.set_num_threads(args.threads)
        sides["torch"] = TorchRecipe(torch, cfg, steps_per_epoch, sides["numpy"].net)
    perm = np.random.default_rng(cfg.seed + 1).permutation(len(y_train))
    rngs = {name: np.random.default_rng(cfg.seed + 2) for name in sides}  # same augmentation
    times: dict = {name: [] for name in sides}
    losses: dict = {name: [] for name in sides}

    for block_start in range(0, steps, args.block):
        for name, side in sides.items():
            for step in range(block_start, min(block_start + args.block, steps)):
                idx = perm[step * cfg.batch_size : (step + 1) * cfg.batch_size]
                t = time.perf_counter()
                losses[name].append(side.step(step, x_train[idx], y_train[idx], rngs[name]))
                times[name].append(time.perf_counter() - t)
        done = min(block_start + args.block, steps)
        print(
            f"\r  step {done}/{steps}  "
            + "  ".join(f"{n} {statistics.median(t) * 1e3:.1f} ms/step" for n, t in times.items()),
            end="",
            file=sys.stderr,
            flush=True,
        )
    print(file=sys.stderr)

    print(f"NumPy {np.__version__}")
    for line in blas_settings():
        print("  " + line)
    if torch is not None:
        print(f"PyTorch {torch.__version__} eager, threads {torch.get_num_threads()}")
    print(
        f"recipe: batch {cfg.batch_size}, Adam lr {cfg.lr} with warm-up/cosine, augmentation "
        f"{'on' if cfg.augment else 'off'}; {steps} of {steps_per_epoch} steps an epoch timed"
    )
    print(
        f"\n{'side':<8}{'ms/step med':>12}{'epoch (med)':>13}{'epoch (mean)':>14}"
        f"{'measured':>10}{'loss first/last 20':>22}"
    )
    for name, t in times.items():
        med, mean = statistics.median(t), statistics.fmean(t)
        first, last = np.mean(losses[name][:20]), np.mean(losses[name][-20:])
        print(
            f"{name:<8}{med * 1e3:>12.2f}{med * steps_per_epoch:>12.1f}s"
            f"{mean * steps_per_epoch:>13.1f}s{sum(t):>9.1f}s{first:>12.3f}/{last:.3f}"
        )
    if torch is not None:
        ratio_med = statistics.median(times["numpy"]) / statistics.median(times["torch"])
        ratio_sum = sum(times["numpy"]) / sum(times["torch"])
        print(
            f"\nNumPy time / PyTorch time: {ratio_med:.2f}x (median step), "
            f"{ratio_sum:.2f}x (measured total); goal at most 3x"
        )


if __name__ == "__main__":
    main()
