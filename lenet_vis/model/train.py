"""Training by backpropagation through the same layers the server runs.

Mini-batches, Adam (or SGD with momentum), a cosine learning-rate schedule with warm-up,
drawing-like augmentation on every batch, three quarters of each batch swapped for copies of
the same training digits re-drawn as a person draws (`evaluate.draw_like_a_person`: a big
canvas, crisp strokes made thicker or thinner, then our preprocessing; two copies a digit,
made once and cached), a seeded validation split (also drawn like a person's digit, to
watch), progress bars; writes the weights, their metadata and the checkpoints of
`checkpoints.py` (initialisation and chosen epochs, each with its test and fixture accuracy).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lenet_vis.model import checkpoints
from lenet_vis.model.augment import augment
from lenet_vis.model.data import load_mnist, mnist_to_input
from lenet_vis.model.layers import softmax_cross_entropy
from lenet_vis.model.lenet import LeNet
from lenet_vis.model.metrics import accuracy, evaluate

__all__ = ["Adam", "Momentum", "TrainConfig", "learning_rate", "mnist_to_input", "train"]
CHECKPOINT_EPOCHS = (1, 2, 3, 5, 10, 20)


@dataclass
class TrainConfig:
    epochs: int = 40
    batch_size: int = 128
    optimizer: str = "adam"  # or "sgd" (momentum 0.9)
    lr: float = 2e-3
    min_lr: float = 1e-5
    warmup_epochs: float = 0.5
    weight_decay: float = 0.0
    augment: bool = True
    validation: int = 5000
    seed: int = 0
    out: str = "weights/lenet.npz"
    checkpoint_epochs: tuple[int, ...] = CHECKPOINT_EPOCHS  # and 0 (init) and the last
    limit: int = 0  # train on only this many digits (0: all); for quick trials
    drawn_variants: int = 2  # drawing-style copies of each training digit (0: none)
    drawn_fraction: float = 0.75  # share of each batch taken from those copies


def fixture() -> tuple[np.ndarray, np.ndarray]:
    """The committed 2,000 MNIST test digits as network inputs (2000, 1, 32, 32), labels."""
    from lenet_vis.assets import SAMPLES

    with np.load(SAMPLES, allow_pickle=False) as z:
        return mnist_to_input(z["images"]), z["labels"].astype(np.int64)


class Adam:
    """Adam on a dict of arrays; `step` updates them in place from matching grads."""

    def __init__(self, lr: float, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        self.lr, self.b1, self.b2, self.eps, self.wd = lr, beta1, beta2, eps, weight_decay
        self.m: dict = {}
        self.v: dict = {}
        self.t = 0

    def step(self, params: dict, grads: dict) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for k, g in grads.items():
            if self.wd and k.endswith(".W"):
                g = g + self.wd * params[k]
            m = self.m.setdefault(k, np.zeros_like(g))
            v = self.v.setdefault(k, np.zeros_like(g))
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            params[k] -= (self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)).astype(np.float32)


class Momentum:
    """SGD with momentum 0.9 (Nesterov off); same interface as Adam."""

    def __init__(self, lr: float, momentum=0.9, weight_decay=0.0):
        self.lr, self.mu, self.wd = lr, momentum, weight_decay
        self.v: dict = {}

    def step(self, params: dict, grads: dict) -> None:
        for k, g in grads.items():
            if self.wd and k.endswith(".W"):
                g = g + self.wd * params[k]
            v = self.v.setdefault(k, np.zeros_like(g))
            v *= self.mu
            v += g
            params[k] -= (self.lr * v).astype(np.float32)


def learning_rate(cfg: TrainConfig, progress: float) -> float:
    """Linear warm-up then cosine decay; progress is in epochs (float)."""
    if progress < cfg.warmup_epochs:
        return cfg.lr * max(progress / cfg.warmup_epochs, 0.01)
    t = (progress - cfg.warmup_epochs) / max(cfg.epochs - cfg.warmup_epochs, 1e-9)
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + np.cos(np.pi * min(t, 1.0)))


def train(cfg: TrainConfig) -> tuple[LeNet, dict]:
    """Train a LeNet on MNIST; returns the network and its metadata (also saved to cfg.out).

    Also writes the checkpoints (init, cfg.checkpoint_epochs that fall within the run, and the
    last epoch) to `checkpoints.checkpoints_path(cfg.out)`, listed in the metadata.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    data = load_mnist()
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(data.train_labels))
    val_idx, train_idx = order[: cfg.validation], order[cfg.validation :]
    if cfg.limit:
        train_idx = train_idx[: cfg.limit]
    x_train = mnist_to_input(data.train_images[train_idx])
    y_train = data.train_labels[train_idx]
    x_val = mnist_to_input(data.train_images[val_idx])
    y_val = data.train_labels[val_idx]
    # the validation digits drawn like a person's (the test set's drawn version is for evaluate)
    x_val_drawn = _drawn_validation(data, val_idx, cfg.seed + 1)
    x_test = mnist_to_input(data.test_images)
    x_fix, y_fix = fixture()
    # training digits re-drawn as a person draws (evaluate.draw_like_a_person, other seeds than
    # the test set's), uint8 (V, N, 32, 32); batches mix them with the plain digits
    drawn = _drawn_training(data, train_idx, cfg) if cfg.drawn_variants else None

    net = LeNet(seed=cfg.seed)
    opt = (Adam if cfg.optimizer == "adam" else Momentum)(cfg.lr, weight_decay=cfg.weight_decay)
    steps = int(np.ceil(len(y_train) / cfg.batch_size))
    history = []
    wanted = {0, cfg.epochs, *(e for e in cfg.checkpoint_epochs if 0 < e < cfg.epochs)}
    states: dict[str, dict[str, np.ndarray]] = {}
    records: list[dict] = []

    def keep(epoch: int) -> None:
        name = checkpoints.checkpoint_name(epoch)
        states[name] = {k: v.copy() for k, v in net.state().items()}
        records.append(
            {
                "name": name,
                "epoch": epoch,
                "test_accuracy": round(accuracy(net, x_test, data.test_labels), 6),
                "fixture_accuracy": round(accuracy(net, x_fix, y_fix), 6),
            }
        )

    keep(0)
    augment_seconds = 0.0
    for epoch in range(cfg.epochs):
        epoch_started = time.perf_counter()
        perm = rng.permutation(len(y_train))
        loss_sum, correct, seen = 0.0, 0, 0
        bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", leave=True)
        for step in bar:
            idx = perm[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            xb = x_train[idx]
            if drawn is not None:
                xb = _mix_drawn(xb, drawn, idx, cfg.drawn_fraction, rng)
            if cfg.augment:
                t0 = time.perf_counter()
                xb = augment(xb[:, 0], rng)[:, None]
                augment_seconds += time.perf_counter() - t0
            yb = y_train[idx]
            outputs, caches = net.forward_with_caches(xb)
            loss, d_logits = softmax_cross_entropy(outputs["fc3"], yb)
            grads, _ = net.backward(d_logits, caches)
            flat_grads = {f"{n}.{k}": g for n, gs in grads.items() for k, g in gs.items()}
            opt.lr = learning_rate(cfg, epoch + step / steps)
            _step(opt, net, flat_grads)
            loss_sum += loss * len(idx)
            correct += int((outputs["fc3"].argmax(axis=1) == yb).sum())
            seen += len(idx)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}")
        epoch_seconds = time.perf_counter() - epoch_started
        val = evaluate(net, x_val, y_val) if len(y_val) else {"loss": 0.0, "accuracy": 0.0}
        record = {
            "epoch": epoch + 1,
            "train_loss": round(loss_sum / seen, 6),
            "train_accuracy": round(correct / seen, 6),
            "val_loss": round(val["loss"], 6),
            "val_accuracy": round(val["accuracy"], 6),
            "val_drawing_accuracy": round(accuracy(net, x_val_drawn, y_val), 6)
            if len(y_val)
            else 0.0,
            "lr_end": float(opt.lr),
            "epoch_seconds": round(epoch_seconds, 1),
            "seconds": round(time.perf_counter() - started, 1),
        }
        history.append(record)
        if epoch + 1 in wanted:
            keep(epoch + 1)
        bar.write(
            f"epoch {epoch + 1}: train loss {record['train_loss']:.4f} acc "
            f"{record['train_accuracy']:.4f} | val loss {record['val_loss']:.4f} acc "
            f"{record['val_accuracy']:.4f} drawn {record['val_drawing_accuracy']:.4f} | "
            f"{epoch_seconds:.0f}s ({record['seconds']:.0f}s)"
        )

    test = evaluate(net, x_test, data.test_labels)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ckpt_path = checkpoints.checkpoints_path(out)
    for rec, saved in zip(records, checkpoints.save_checkpoints(ckpt_path, states), strict=True):
        rec["weights_sha256"] = saved["weights_sha256"]
    meta = {
        "name": "lenet-vis LeNet",
        "test_accuracy": test["accuracy"],
        "test_loss": round(test["loss"], 6),
        "per_class_accuracy": test["per_class_accuracy"],
        "confusion_matrix": test["confusion_matrix"],
        "fixture_accuracy": records[-1]["fixture_accuracy"],
        "history": history,
        "checkpoints": {"file": ckpt_path.name, "list": records},
        "training_seconds": round(time.perf_counter() - started, 1),
        "augment_ms_per_batch": round(1000 * augment_seconds / max(cfg.epochs * steps, 1), 2),
        "seed": cfg.seed,
        "data_sha256": data.sha256,
        "train_size": len(y_train),
        "validation_size": len(y_val),
        "config": asdict(cfg),
    }
    net.save(out, meta)
    return net, net.metadata


def _drawn_validation(data, val_idx: np.ndarray, seed: int) -> np.ndarray:
    """The drawing-style versions of the validation digits (N, 1, 32, 32), cached on disk."""
    import hashlib

    from lenet_vis.model.data import cache_dir
    from lenet_vis.model.evaluate import drawing_style_inputs

    key = hashlib.sha256(f"{data.sha256}|{seed}|".encode() + val_idx.tobytes()).hexdigest()
    path = cache_dir() / f"drawn-validation-{key[:16]}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    x = drawing_style_inputs(data.train_images[val_idx], seed=seed, progress=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, x)
    return x


def _mix_drawn(
    xb: np.ndarray, drawn: np.ndarray, idx: np.ndarray, fraction: float, rng
) -> np.ndarray:
    """Swap a random `fraction` of the batch (B, 1, 32, 32) for a drawn copy of the same digit.

    drawn: uint8 (V, N, 32, 32) indexed by the training position `idx` (B,)."""
    pick = np.flatnonzero(rng.random(len(idx)) < fraction)
    if not pick.size:
        return xb
    xb = xb.copy()
    variant = rng.integers(0, drawn.shape[0], pick.size)
    xb[pick, 0] = drawn[variant, idx[pick]] * np.float32(1 / 255)
    return xb


def _draw_chunk(args) -> np.ndarray:
    from lenet_vis.model.evaluate import drawing_style_inputs

    images, seed = args
    x = drawing_style_inputs(images, seed=seed)[:, 0]
    return np.round(x * 255).astype(np.uint8)


def _drawn_training(data, train_idx: np.ndarray, cfg: TrainConfig) -> np.ndarray:
    """uint8 (V, N, 32, 32): each training digit drawn like a person's V times, cached on disk.

    Seeds start at 1000 + cfg.seed (the test set's drawing-style version uses seed 0, the
    validation set's cfg.seed + 1); made in 2 processes, a chunk of 2,000 digits at a time.
    """
    import hashlib
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    from lenet_vis.model.data import cache_dir

    key = hashlib.sha256(
        f"{data.sha256}|{cfg.seed}|{cfg.drawn_variants}|".encode() + train_idx.tobytes()
    ).hexdigest()
    path = cache_dir() / f"drawn-training-{key[:16]}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    chunk = 2000
    jobs = [
        (data.train_images[train_idx[i : i + chunk]], 1000 + cfg.seed + v * 1000 + i // chunk)
        for v in range(cfg.drawn_variants)
        for i in range(0, len(train_idx), chunk)
    ]
    with ProcessPoolExecutor(2) as pool:
        parts = list(
            tqdm(
                pool.map(_draw_chunk, jobs),
                total=len(jobs),
                desc="drawing training digits",
                unit="chunk",
            )
        )
    out = np.concatenate(parts).reshape(cfg.drawn_variants, len(train_idx), 32, 32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def _step(opt, net: LeNet, flat_grads: dict) -> None:
    """Apply one optimiser step to the net's parameters, keyed `layer.param`."""
    flat = {}
    for key in flat_grads:
        name, k = key.split(".")
        flat[key] = net.layers[name].params[k]
    opt.step(flat, flat_grads)
